from django.urls import path

from sectors import views

urlpatterns = [
    path("sectors/<slug:slug>/", views.sector_detail, name="sector_detail"),
    path("products/", views.product_finder, name="product_finder"),
]
