import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from cesip.middleware import database_unavailable, unavailable_response
from cesip.web import is_chinese
from sectors.models import Sector

HOME_ITEMS = 6


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # The page has its own large search box; the header's would repeat it.
    from standards.calendar import upcoming_dates
    from standards.changelog import latest_changes

    ctx = {
        "sectors": _sectors_with_both_names(),
        "hide_header_search": True,
        "upcoming": upcoming_dates(limit=HOME_ITEMS),
        "changes": latest_changes(limit=HOME_ITEMS),
    }
    return render(request, "home.html", ctx)


@never_cache
@vary_on_headers("Accept-Language", "Cookie")
@require_safe
def root(request: HttpRequest) -> HttpResponse:
    """`/`: the English home page, unless the visitor prefers another language.

    The choice comes from the language cookie (set by the switcher), then from the
    browser's Accept-Language, as Django's LocaleMiddleware would decide it.
    """
    language = translation.get_language_from_request(request)
    if language != settings.LANGUAGE_CODE:
        with translation.override(language):
            return redirect(reverse("home"))
    return home(request)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page, the admin's included."""
    return redirect(static("img/favicon.svg"), permanent=True)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 500 page in the page's language, rendered without the database
    or the context processors (they read the session and the user, and the error may
    be the database's). An error because the database cannot be reached (raised in a
    middleware, before the view) is the 503 page instead, as in
    cesip.middleware.DatabaseUnavailableMiddleware."""
    exception = sys.exc_info()[1]
    if database_unavailable(exception):
        return unavailable_response(request, exception)
    with translation.override(translation.get_language_from_request(request, check_path=True)):
        return HttpResponseServerError(loader.render_to_string("500.html"))


def _sectors_with_both_names() -> list[dict]:
    """Each sector's name in the reader's language, with the other language beside it."""
    chinese = is_chinese()
    return [
        {
            "slug": sector.slug,
            "get_absolute_url": sector.get_absolute_url(),
            "name": sector.name_zh_hans if chinese else sector.name_en,
            "other_name": sector.name_en if chinese else sector.name_zh_hans,
            "other_language": "en" if chinese else "zh-hans",
            "summary": sector.summary,
        }
        for sector in Sector.objects.all()
    ]
