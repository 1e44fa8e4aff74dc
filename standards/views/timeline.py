"""The calendar, what's new and the glossary, with their iCal and Atom feeds."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cesip.web import join_list, page_number, site_host
from sectors.models import Sector
from standards import calendar, changelog
from standards.entries import Filters
from standards.forms import TimelineFilterForm
from standards.models import ChangeKind

CHANGES_PER_PAGE = 30
FEED_ENTRIES = 50
ICS_LIMIT = 2000


def _with_query(url: str, filters: Filters) -> str:
    query = urlencode(filters.params())
    return f"{url}?{query}" if query else url


def _calendar_filters(request: HttpRequest, sectors: list[Sector]) -> Filters:
    return TimelineFilterForm(request.GET, kinds=calendar.DATE_KINDS, sectors=sectors).filters()


def _change_filters(request: HttpRequest, sectors: list[Sector]) -> Filters:
    return TimelineFilterForm(request.GET, kinds=ChangeKind.values, sectors=sectors).filters()


@require_safe
def calendar_view(request: HttpRequest) -> HttpResponse:
    sectors = list(Sector.objects.all())
    filters = _calendar_filters(request, sectors)
    entries, truncated = calendar.date_entries(filters)
    start, end = calendar.calendar_window(filters)
    ics_url = _with_query(reverse("standards:calendar_ics"), filters)
    absolute_ics = request.build_absolute_uri(ics_url)
    ctx = {
        "filters": filters,
        "market": filters.jurisdictions[0].lower() if len(filters.jurisdictions) == 1 else "",
        "sectors": sectors,
        "date_kinds": calendar.DATE_KINDS.values(),
        "months": calendar.by_month(entries),
        "count": len(entries),
        "truncated": truncated,
        "start": start,
        "end": end,
        "ics_url": ics_url,
        "webcal_url": "webcal://" + absolute_ics.split("://", 1)[1],
    }
    return render(request, "standards/calendar.html", ctx)


@require_safe
def calendar_ics(request: HttpRequest) -> HttpResponse:
    filters = _calendar_filters(request, list(Sector.objects.all()))
    entries, _truncated = calendar.date_entries(filters, limit=ICS_LIMIT)
    body = calendar.ical_calendar(
        entries,
        name=_("CESIP: standards and regulation dates"),
        absolute=request.build_absolute_uri,
        host=site_host(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cesip-calendar.ics"'
    return response


@require_safe
def changes_view(request: HttpRequest) -> HttpResponse:
    sectors = list(Sector.objects.all())
    filters = _change_filters(request, sectors)
    paginator = Paginator(changelog.public_changes(filters), CHANGES_PER_PAGE)
    number, page_note = page_number(request.GET.get("page"), paginator.num_pages)
    page = paginator.page(number)
    query = urlencode(filters.params())
    ctx = {
        "filters": filters,
        "sectors": sectors,
        "change_kinds": ChangeKind.choices,
        "page": page,
        "entries": changelog.change_entries(page.object_list),
        "page_note": page_note,
        "query_string": query,
        "feed_url": _with_query(reverse("standards:changes_feed"), filters),
    }
    return render(request, "standards/changes.html", ctx)


class ChangesFeed(Feed):
    """What's new as Atom, filtered by the same parameters as the page."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args, **kwargs) -> Filters:
        self.language = get_language()
        return _change_filters(request, list(Sector.objects.all()))

    def title(self, obj: Filters) -> str:
        names = [sector.name for sector in obj.sectors]
        names += [str(dict(ChangeKind.choices)[kind]) for kind in obj.kinds]
        if names:
            return _("CESIP: what's new (%(filters)s)") % {"filters": join_list(names)}
        return _("CESIP: what's new")

    def subtitle(self, obj: Filters) -> str:
        return _("Changes to standards and technical regulations for China and the EU.")

    def link(self, obj: Filters) -> str:
        return _with_query(reverse("standards:changes"), obj)

    def feed_url(self, obj: Filters) -> str:
        return _with_query(reverse("standards:changes_feed"), obj)

    def feed_guid(self, obj: Filters) -> str:
        return _with_query(f"tag:{site_host()},2025:changes/{get_language()}", obj)

    def items(self, obj: Filters) -> list[changelog.ChangeEntry]:
        return changelog.change_entries(changelog.public_changes(obj)[:FEED_ENTRIES])

    def item_title(self, item: changelog.ChangeEntry) -> str:
        return item.headline

    def item_description(self, item: changelog.ChangeEntry) -> str:
        """HTML (Atom's summary type="html"): the record, then one line per fact."""
        html = format_html("<p>{} {}</p>", item.code, item.title)
        html += format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((s,) for s in item.sentences))
        )
        if item.regulation:
            html += format_html(
                "<p>{} {}</p>", item.regulation.reference, item.regulation.short_name
            )
        return html

    def item_link(self, item: changelog.ChangeEntry) -> str:
        return item.url

    def item_guid(self, item: changelog.ChangeEntry) -> str:
        return f"tag:{site_host()},2025:change/{item.pk}/{get_language()}"

    def item_guid_is_permalink(self, item: changelog.ChangeEntry) -> bool:
        return False

    def item_pubdate(self, item: changelog.ChangeEntry):
        # Atom's <published>: when the event happened (the entries' order).
        return item.event_time

    def item_updateddate(self, item: changelog.ChangeEntry):
        # Atom's <updated>: when CESIP recorded it.
        return item.change.created_at

    def item_categories(self, item: changelog.ChangeEntry) -> list[str]:
        return [item.kind_label, *(sector.name for sector in item.sectors)]


changes_feed = require_safe(ChangesFeed())


@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "standards/glossary.html", {})
