"""The calendar: the dates readers plan for, each linked to its record.

`date_entries` (and `upcoming_dates` for the home page) list the implementation and
withdrawal dates of standards, CEN's DOP and DOW, ends of presumption of conformity, and
an act's entry into force, date of application, end of transition and repeal; one query
per kind of date. `ical_calendar` writes them as RFC 5545 text.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import itertools
from collections.abc import Callable, Iterable, Sequence

import icalendar
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cesip.web import headed
from sectors.models import Sector
from standards.entries import RECORD_DEFERRED, Filters, RecordLink, in_sectors, sectors_named
from standards.models import Citation, Standard, TechnicalRegulation

CALENDAR_MONTHS = 24
PAST_DAYS = 30


@dataclasses.dataclass(frozen=True)
class DateKind:
    """A kind of date on the calendar: where it is stored and its glossary entry."""

    key: str
    label: Promise
    source: str  # "standard", "regulation" or "citation"
    field: str
    anchor: str


DATE_KINDS: dict[str, DateKind] = {
    kind.key: kind
    for kind in [
        DateKind(
            "implementation",
            gettext_lazy("Implementation (实施)"),
            "standard",
            "implementation_date",
            "implementation",
        ),
        DateKind(
            "withdrawal",
            gettext_lazy("Withdrawal (废止)"),
            "standard",
            "withdrawn_date",
            "withdrawn",
        ),
        DateKind("dop", gettext_lazy("DOP (latest date of publication)"), "standard", "dop", "dop"),
        DateKind("dow", gettext_lazy("DOW (latest date of withdrawal)"), "standard", "dow", "dow"),
        DateKind(
            "presumption-ends",
            gettext_lazy("End of presumption of conformity"),
            "citation",
            "presumption_ends",
            "presumption-ends",
        ),
        DateKind(
            "in-force",
            gettext_lazy("Entry into force"),
            "regulation",
            "in_force_date",
            "in-force",
        ),
        DateKind(
            "applies-from",
            gettext_lazy("Date of application"),
            "regulation",
            "applies_from",
            "applies-from",
        ),
        DateKind(
            "transition-ends",
            gettext_lazy("End of the transition period"),
            "regulation",
            "transition_ends",
            "transition",
        ),
        DateKind("repealed", gettext_lazy("Repeal"), "regulation", "repealed_date", "repealed"),
    ]
}


def countdown(day: datetime.date, today: datetime.date) -> str:
    """“in 43 days”, “today”, “12 days ago”."""
    days = (day - today).days
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days}
    return ngettext("%(days)s day ago", "%(days)s days ago", -days) % {"days": -days}


@dataclasses.dataclass
class DateEntry(RecordLink):
    """One date on the calendar. `record` is what the entry links to (the standard for
    an end of presumption of conformity, with `regulation` the act that cited it)."""

    date: datetime.date
    kind: DateKind
    record: Standard | TechnicalRegulation
    uid: str
    today: datetime.date
    regulation: TechnicalRegulation | None = None

    @property
    def jurisdiction(self) -> str:
        return (self.regulation or self.record).jurisdiction

    @property
    def days(self) -> int:
        return (self.date - self.today).days

    @property
    def countdown(self) -> str:
        return countdown(self.date, self.today)

    @property
    def summary(self) -> str:
        """A one-line summary in the active language, e.g. for an iCal SUMMARY."""
        if self.regulation is not None:
            return _("%(standard)s: end of presumption of conformity under %(regulation)s") % {
                "standard": self.code,
                "regulation": self.regulation.reference,
            }
        return headed(self.code, self.kind.label)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def calendar_window(
    filters: Filters, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=PAST_DAYS) if filters.past else today
    return start, _add_months(today, CALENDAR_MONTHS)


def _kind_rows(
    kind: DateKind, filters: Filters, start: datetime.date, end: datetime.date, limit: int
):
    """The rows holding `kind` dates in [start, end], earliest first, at most `limit`."""
    in_window = {f"{kind.field}__gte": start, f"{kind.field}__lte": end}
    if kind.source == "citation":
        rows = Citation.objects.public().filter(**in_window)
        if filters.jurisdictions:
            rows = rows.filter(regulation__jurisdiction__in=filters.jurisdictions)
        rows = in_sectors(rows, filters.sectors, "standard__sectors", "regulation__sectors")
        deferred = [f"{rel}__{f}" for rel in ("standard", "regulation") for f in RECORD_DEFERRED]
        rows = rows.select_related("standard", "regulation").defer(*deferred)
    else:
        model = Standard if kind.source == "standard" else TechnicalRegulation
        rows = model.objects.public().filter(**in_window).defer(*RECORD_DEFERRED)
        if filters.jurisdictions:
            rows = rows.filter(jurisdiction__in=filters.jurisdictions)
        rows = in_sectors(rows, filters.sectors, "sectors")
    return rows.order_by(kind.field, "pk")[:limit]


def date_entries(
    filters: Filters, *, limit: int = 500, today: datetime.date | None = None
) -> tuple[list[DateEntry], bool]:
    """The calendar's entries in date order, and whether more than `limit` matched.

    One query per kind of date (at most nine), whatever the number of rows.
    """
    today = today or timezone.localdate()
    start, end = calendar_window(filters, today)
    entries: list[DateEntry] = []
    for key in filters.kinds or DATE_KINDS:
        kind = DATE_KINDS[key]
        for row in _kind_rows(kind, filters, start, end, limit + 1):
            day = getattr(row, kind.field)
            if kind.source == "citation":
                entry = DateEntry(
                    day, kind, row.standard, f"{kind.key}-citation-{row.pk}", today, row.regulation
                )
            else:
                entry = DateEntry(day, kind, row, f"{kind.key}-{kind.source}-{row.pk}", today)
            entries.append(entry)
    order = list(DATE_KINDS)
    entries.sort(key=lambda e: (e.date, order.index(e.kind.key), e.code))
    return entries[:limit], len(entries) > limit


def by_month(entries: Sequence[DateEntry]) -> list[tuple[datetime.date, list[DateEntry]]]:
    """Entries grouped by month, each group keyed by the month's first day."""
    return [
        (month, list(group))
        for month, group in itertools.groupby(entries, key=lambda e: e.date.replace(day=1))
    ]


def ical_calendar(
    entries: Iterable[DateEntry], *, name: str, absolute: Callable[[str], str], host: str
) -> bytes:
    """RFC 5545 text for `entries`: one all-day VEVENT each, with a UID that stays the
    same from one download to the next (kind of date, record type, row id, site host).

    icalendar writes CRLF line ends, folds lines at 75 octets without splitting a
    character, and escapes commas, semicolons and backslashes in text values.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//CESIP//Standards calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)
    for entry in entries:
        url = absolute(entry.url)
        event = icalendar.Event()
        event.add("uid", f"{entry.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.date)
        event.add("dtend", entry.date + datetime.timedelta(days=1))
        event.add("summary", entry.summary)
        event.add("description", f"{entry.code} {entry.title}\n{url}")
        event.add("url", url)
        event.add("categories", [str(entry.kind.label)])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def upcoming_dates(
    limit: int = 8, sectors: Iterable[Sector | str] | None = None
) -> list[DateEntry]:
    """The next `limit` dates from today (for the home page), optionally in `sectors`
    (Sector objects or slugs). Each DateEntry has date, kind (.label, .anchor), code,
    title, url, countdown, days, jurisdiction and summary."""
    sectors = list(sectors or [])
    objects = sectors_named(sectors)
    if sectors and not objects:
        return []  # none of the sectors asked for exists: nothing, rather than everything
    entries, _more = date_entries(Filters(sectors=objects), limit=limit)
    return entries
