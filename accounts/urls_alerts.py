"""The member's alerts, under /<lang>/account/alerts/."""

from django.urls import path

from accounts import alerts

urlpatterns = [
    path("", alerts.alert_settings, name="alert_settings"),
    path("searches/add/", alerts.saved_search_add, name="saved_search_add"),
    path("searches/<int:pk>/delete/", alerts.saved_search_delete, name="saved_search_delete"),
    path("history/", alerts.delivery_history, name="delivery_history"),
    path("unsubscribe/<str:token>/", alerts.unsubscribe, name="unsubscribe"),
]
