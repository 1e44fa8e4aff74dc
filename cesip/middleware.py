"""The project's middleware: the member's time zone, and query strings without NUL."""

import zoneinfo

from django.utils import timezone

from cesip.web import without_nul


class UserTimeZoneMiddleware:
    """Dates and times in the member's own time zone (chosen on the profile page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone)) if zone else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class NulFreeQueryMiddleware:
    """Query parameters without NUL characters, for every view (they arrive from URLs
    people edit and fuzzers send; PostgreSQL would refuse them). Form fields need no
    such step: Django's CharField rejects NUL with a clear message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in value for _name, values in request.GET.lists() for value in values):
            cleaned = request.GET.copy()
            for name, values in cleaned.lists():
                cleaned.setlist(name, [without_nul(value) for value in values])
            request.GET = cleaned
        return self.get_response(request)
