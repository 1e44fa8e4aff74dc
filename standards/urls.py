from django.urls import path

from standards import views

urlpatterns = [
    path("search/", views.search, name="search"),
]
