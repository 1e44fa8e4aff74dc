"""The project's middleware: the member's time zone, no control characters from URLs
and cookies, and a 503 page while the database cannot be reached."""

import logging
import re
import zoneinfo

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template import loader
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from cesip.web import without_nul

logger = logging.getLogger(__name__)

# C0 controls (NUL, tab, newline…), DEL and the C1 controls: no page address has one.
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What the 503 page asks browsers and crawlers to wait: the embedded server is back
# within a few seconds of a crash.
RETRY_AFTER_SECONDS = 10
# SQLSTATEs that say the server cannot take the connection (rather than a query it
# refused): connection exceptions (08…), shutting down or starting up, too many clients.
UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


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


class ControlCharacterMiddleware:
    """No control character from a URL or a cookie reaches a view or the database
    (PostgreSQL refuses NUL in text; fuzzers and edited URLs send them).

    A path with one answers 404: no page has one. Query parameters lose their NUL
    characters, names and values, so that a search or a filter still answers. A cookie
    with one is dropped (a session key with NUL would reach the session table). Form
    fields need no such step: Django's CharField refuses NUL with a clear message.
    Placed before the session middleware, which reads the session cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in name + value for name, values in request.GET.lists() for value in values):
            cleaned = QueryDict(mutable=True)
            for name, values in request.GET.lists():
                cleaned.setlist(without_nul(name), [without_nul(value) for value in values])
            request.GET = cleaned
        if any(CONTROL_CHARACTER.search(name + value) for name, value in request.COOKIES.items()):
            request.COOKIES = {
                name: value
                for name, value in request.COOKIES.items()
                if not CONTROL_CHARACTER.search(name + value)
            }
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Here, after the URL is resolved, so that the 404 page has the page's language
        # and every middleware's headers.
        if CONTROL_CHARACTER.search(request.path_info):
            raise Http404("A control character in the path.")
        return None


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers the translated 503 page with
    `Retry-After`, not a 500: the server is down, restarting (the embedded one starts
    again by itself, cesip.embedded_db) or refusing connections. Errors raised before the
    view (the session or the user, read by a middleware) reach `cesip.views.server_error`,
    which answers the same way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            return unavailable_response(request, exception)
        return None


def database_unavailable(exception: BaseException | None) -> bool:
    """Whether `exception` says the database cannot be reached, as opposed to a query it
    refused (a syntax, a limit or a constraint: those stay errors)."""
    if not isinstance(exception, OperationalError | InterfaceError):
        return False
    cause = exception.__cause__
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return not code or code.startswith("08") or code in UNAVAILABLE_SQLSTATES


def unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 page, in the language of the page asked for. It reads neither the
    database nor the session (no context processors): both may be what is down. A GET
    tries again by itself; a form sent is not resent."""
    logger.warning("The database cannot be reached (%s): 503 for %s", exception, request.path)
    retry_url = request.get_full_path() if request.method in ("GET", "HEAD") else ""
    with translation.override(translation.get_language_from_request(request, check_path=True)):
        content = loader.render_to_string(
            "503.html", {"retry_after": RETRY_AFTER_SECONDS, "retry_url": retry_url}
        )
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
