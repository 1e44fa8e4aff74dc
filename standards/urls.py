"""The public catalogue pages, under each language prefix."""

from django.urls import path

from standards.views import records, search, sectors, suggest, timeline

app_name = "standards"

urlpatterns = [
    path("search/", search.search_view, name="search"),
    path("standards/<str:slug>/", records.standard_detail, name="standard_detail"),
    path("regulations/<slug:slug>/", records.regulation_detail, name="regulation_detail"),
    path("compare/", records.compare, name="compare"),
    path("sectors/<slug:slug>/", sectors.sector_detail, name="sector_detail"),
    path("products/", sectors.product_finder, name="product_finder"),
    path("products/suggest/", suggest.product_suggestions, name="product_suggestions"),
    path("calendar/", timeline.calendar_view, name="calendar"),
    path("calendar.ics", timeline.calendar_ics, name="calendar_ics"),
    path("changes/", timeline.changes_view, name="changes"),
    path("changes/feed/", timeline.changes_feed, name="changes_feed"),
    path("glossary/", timeline.glossary, name="glossary"),
]
