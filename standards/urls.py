from django.urls import path

from standards import pages, views

urlpatterns = [
    path("search/", views.search_view, name="search"),
    path("standards/<str:slug>/", pages.standard_detail, name="standard_detail"),
    path("regulations/<slug:slug>/", pages.regulation_detail, name="regulation_detail"),
]
urlpatterns += [path("compare/", pages.compare, name="compare")]
