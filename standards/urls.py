from django.urls import path

from standards import views

urlpatterns = [
    path("search/", views.search_view, name="search"),
    path("standards/<slug:slug>/", views.standard_detail, name="standard_detail"),
    path("regulations/<slug:slug>/", views.regulation_detail, name="regulation_detail"),
]
