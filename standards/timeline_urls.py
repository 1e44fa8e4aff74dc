from django.urls import path

from standards import timeline_views

urlpatterns = [
    path("calendar/", timeline_views.calendar_view, name="calendar"),
    path("calendar.ics", timeline_views.calendar_ics, name="calendar_ics"),
    path("changes/", timeline_views.changes_view, name="changes"),
    path("changes/feed/", timeline_views.changes_feed, name="changes_feed"),
    path("glossary/", timeline_views.glossary, name="glossary"),
]
