"""Dates and changes over time: the calendar, what's new, and their feeds.

Two read-only views of the catalogue, each a list of plain objects ready for templates:
- `date_entries` (and `upcoming_dates` for the home page): the dates readers plan for
  (implementation, withdrawal, DOP, DOW, end of presumption of conformity, a
  regulation's entry into force…), each linked to its record;
- `change_entries` (and `latest_changes`): Change rows told in plain language, built
  from `Change.kind` and `Change.fields` as standards.changes writes them.

Both take filters parsed from a query string by `parse_filters`, which keeps what it
understands and says what it ignored, so a bad value never becomes a server error.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import icalendar
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cesip.web import is_chinese
from sectors.models import Sector
from standards.models import (
    Change,
    ChangeKind,
    Citation,
    CitationKind,
    DatePrecision,
    Jurisdiction,
    Stage,
    Standard,
    TechnicalRegulation,
)

CALENDAR_MONTHS = 24
PAST_DAYS = 30
JURISDICTIONS = {"cn": Jurisdiction.CN, "eu": Jurisdiction.EU}
TRUE_VALUES = {"1", "on", "true", "yes"}
FALSE_VALUES = {"", "0", "off", "false", "no"}


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


# ---------------------------------------------------------------------------
# Filters


@dataclasses.dataclass
class Filters:
    """What a calendar or changes URL asks for, after dropping what was not understood."""

    sectors: list[Sector] = dataclasses.field(default_factory=list)
    jurisdictions: list[str] = dataclasses.field(default_factory=list)
    kinds: list[str] = dataclasses.field(default_factory=list)
    past: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)

    def params(self) -> list[tuple[str, str]]:
        """The understood filters as query parameters (for feed and subscribe links)."""
        pairs = [("sector", sector.slug) for sector in self.sectors]
        pairs += [("jurisdiction", j.lower()) for j in self.jurisdictions]
        pairs += [("kind", kind) for kind in self.kinds]
        if self.past:
            pairs.append(("past", "1"))
        return pairs

    @property
    def active(self) -> bool:
        return bool(self.sectors or self.jurisdictions or self.kinds)


def _shown(value: str) -> str:
    """A user-typed value, safe and short enough to quote back in a message."""
    value = value.strip()
    return value if len(value) <= 40 else value[:40] + "…"


def parse_filters(
    params: Mapping[str, Any], *, kinds: Iterable[str], all_sectors: Sequence[Sector]
) -> Filters:
    """Filters from a QueryDict-like `params` (`getlist`); unknown values become problems.

    `kinds` are the values allowed for `kind` (date kinds on the calendar, change kinds
    on what's new); `all_sectors` is the list the page shows anyway, so the slugs are
    checked without another query.
    """
    filters = Filters()
    by_slug = {sector.slug: sector for sector in all_sectors}
    allowed_kinds = list(kinds)

    def values(name: str) -> list[str]:
        getlist = getattr(params, "getlist", None)
        raw = getlist(name) if getlist else [params[name]] if name in params else []
        seen: list[str] = []
        for value in raw:
            value = value.strip()
            if value and value not in seen:
                seen.append(value)
        return seen

    for slug in values("sector"):
        if slug in by_slug:
            filters.sectors.append(by_slug[slug])
        else:
            filters.problems.append(_("Unknown sector “%(value)s”.") % {"value": _shown(slug)})
    for code in values("jurisdiction"):
        if code.lower() in JURISDICTIONS:
            if JURISDICTIONS[code.lower()] not in filters.jurisdictions:
                filters.jurisdictions.append(JURISDICTIONS[code.lower()])
        else:
            filters.problems.append(
                _("Unknown market “%(value)s”: use cn or eu.") % {"value": _shown(code)}
            )
    for kind in values("kind"):
        if kind in allowed_kinds:
            filters.kinds.append(kind)
        else:
            filters.problems.append(_("Unknown kind “%(value)s”.") % {"value": _shown(kind)})
    past = [value.lower() for value in values("past")]
    if past and past[-1] in TRUE_VALUES:
        filters.past = True
    elif past and past[-1] not in FALSE_VALUES:
        filters.problems.append(
            _("“%(value)s” is not a yes or no for past dates.") % {"value": _shown(past[-1])}
        )
    return filters


def _in_sectors(queryset: QuerySet, sectors: Sequence[Sector], *paths: str) -> QuerySet:
    """Rows linked to any of `sectors` through any of `paths`, without duplicate rows."""
    if not sectors:
        return queryset
    ids = [sector.pk for sector in sectors]
    linked = Q()
    for path in paths:
        linked |= Q(**{f"{path}__in": ids})
    return queryset.filter(pk__in=queryset.model.objects.filter(linked).values("pk"))


# ---------------------------------------------------------------------------
# Calendar


def countdown(day: datetime.date, today: datetime.date) -> str:
    """“in 43 days”, “today”, “12 days ago”."""
    days = (day - today).days
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days}
    return ngettext("%(days)s day ago", "%(days)s days ago", -days) % {"days": -days}


class RecordLink:
    """What an entry about `self.record` (a standard or a regulation) shows and links to."""

    @property
    def is_standard(self) -> bool:
        return isinstance(self.record, Standard)

    @property
    def code(self) -> str:
        return self.record.identifier if self.is_standard else self.record.reference

    @property
    def title(self) -> str:
        if self.is_standard:
            return self.record.title
        return self.record.short_name or self.record.title

    @property
    def url(self) -> str:
        return self.record.get_absolute_url()


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


_RECORD_DEFERRED = [
    "search_zh_title",
    "search_zh_scope",
    "search_vector",
    "scope_en",
    "scope_zh_hans",
]


def _kind_rows(
    kind: DateKind, filters: Filters, start: datetime.date, end: datetime.date, limit: int
):
    """The rows holding `kind` dates in [start, end], earliest first, at most `limit`."""
    in_window = {f"{kind.field}__gte": start, f"{kind.field}__lte": end}
    if kind.source == "citation":
        rows = Citation.objects.public().filter(**in_window)
        if filters.jurisdictions:
            rows = rows.filter(regulation__jurisdiction__in=filters.jurisdictions)
        rows = _in_sectors(rows, filters.sectors, "standard__sectors", "regulation__sectors")
        deferred = [f"{rel}__{f}" for rel in ("standard", "regulation") for f in _RECORD_DEFERRED]
        rows = rows.select_related("standard", "regulation").defer(*deferred)
    else:
        model = Standard if kind.source == "standard" else TechnicalRegulation
        rows = model.objects.public().filter(**in_window).defer(*_RECORD_DEFERRED)
        if filters.jurisdictions:
            rows = rows.filter(jurisdiction__in=filters.jurisdictions)
        rows = _in_sectors(rows, filters.sectors, "sectors")
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


def _sector_objects(sectors: Sequence[Sector | str]) -> list[Sector]:
    objects = [s for s in sectors if not isinstance(s, str)]
    slugs = [s for s in sectors if isinstance(s, str)]
    if slugs:
        objects += list(Sector.objects.filter(slug__in=slugs))
    return objects


def upcoming_dates(
    limit: int = 8, sectors: Iterable[Sector | str] | None = None
) -> list[DateEntry]:
    """The next `limit` dates from today (for the home page), optionally in `sectors`
    (Sector objects or slugs). Each DateEntry has date, kind (.label, .anchor), code,
    title, url, countdown, days, jurisdiction and summary."""
    sectors = list(sectors or [])
    objects = _sector_objects(sectors)
    if sectors and not objects:
        return []  # none of the sectors asked for exists: nothing, rather than everything
    entries, _more = date_entries(Filters(sectors=objects), limit=limit)
    return entries


# ---------------------------------------------------------------------------
# What's new


DATE_FIELD_LABELS: dict[str, Promise] = {
    "issued_date": gettext_lazy("Issue date"),
    "implementation_date": gettext_lazy("Implementation date"),
    "first_issued_date": gettext_lazy("First issue date"),
    "confirmed_date": gettext_lazy("Review confirmation date"),
    "withdrawn_date": gettext_lazy("Withdrawal date"),
    "dor": gettext_lazy("DOR (date of ratification)"),
    "dav": gettext_lazy("DAV (date of availability)"),
    "doa": gettext_lazy("DOA (date of announcement)"),
    "dop": gettext_lazy("DOP (latest date of publication)"),
    "dow": gettext_lazy("DOW (latest date of withdrawal)"),
    "adopted_date": gettext_lazy("Adoption date"),
    "in_force_date": gettext_lazy("Entry-into-force date"),
    "applies_from": gettext_lazy("Date of application"),
    "transition_ends": gettext_lazy("End of the transition period"),
    "repealed_date": gettext_lazy("Repeal date"),
    "date_cited": gettext_lazy("Citation date"),
}
TEXT_FIELD_LABELS: dict[str, Promise] = {
    "title_en": gettext_lazy("English title"),
    "title_zh_hans": gettext_lazy("Chinese title"),
    "scope_en": gettext_lazy("English scope"),
    "scope_zh_hans": gettext_lazy("Chinese scope"),
    "short_name_en": gettext_lazy("English short name"),
    "short_name_zh_hans": gettext_lazy("Chinese short name"),
    "title_en_source": gettext_lazy("source of the English title"),
    "title_zh_hans_source": gettext_lazy("source of the Chinese title"),
    "scope_en_source": gettext_lazy("source of the English scope"),
    "scope_zh_hans_source": gettext_lazy("source of the Chinese scope"),
    "restrictions_en": gettext_lazy("restrictions"),
    "restrictions_zh_hans": gettext_lazy("restrictions"),
    "oj_reference": gettext_lazy("OJ reference"),
}
CITED_SENTENCES: dict[str, Promise] = {
    CitationKind.HARMONISED: gettext_lazy("Listed as a harmonised standard under %(regulation)s"),
    CitationKind.COMPULSORY: gettext_lazy("Made compulsory by %(regulation)s"),
    CitationKind.CCC_TESTING: gettext_lazy("Named for CCC testing by %(regulation)s"),
    CitationKind.REFERENCED: gettext_lazy("Referenced by %(regulation)s"),
}


def join_list(items: Iterable[Any]) -> str:
    # Chinese lists use the enumeration comma (、), not a comma and a space.
    return ("、" if is_chinese() else ", ").join(str(item) for item in items)


def headed(head: Any, text: Any) -> str:
    """“GB 4706.1-2024: text”, with the full-width colon in Chinese."""
    return f"{head}{'：' if is_chinese() else ': '}{text}"


def _date_sentence(label: Any, old: Any, new: Any) -> str:
    values = {"field": label, "old": old, "new": new}
    if old and new:
        return _("%(field)s moved from %(old)s to %(new)s") % values
    if new:
        return _("%(field)s set to %(new)s") % values
    return _("%(field)s removed (was %(old)s)") % values


def _at_precision(value: Any, precision: Any) -> Any:
    """An ISO date string cut to its year or month when that is all that was known."""
    if isinstance(value, str) and precision in (DatePrecision.YEAR, DatePrecision.MONTH):
        return value[: 4 if precision == DatePrecision.YEAR else 7]
    return value


def _listed(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list) else []


def _relation_names(entries: Iterable[str]) -> str:
    """“GB 1-2024 (partial)” as written by standards.changes → “GB 1-2024, in part”."""
    shown = []
    for entry in entries:
        identifier, _sep, extent = entry.rpartition(" (")
        if extent == "partial)":
            shown.append(_("%(standard)s, in part") % {"standard": identifier})
        else:
            shown.append(identifier if extent == "whole)" else entry)
    return join_list(shown)


def _field_label(model: type, name: str) -> str:
    if name in DATE_FIELD_LABELS:
        return str(DATE_FIELD_LABELS[name])
    if name in TEXT_FIELD_LABELS:
        return str(TEXT_FIELD_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a reverse relation such as replaced_by, or a field since removed
        return name.replace("_", " ")


def _stage_label(value: Any) -> str:
    return str(dict(Stage.choices).get(value, value or "—"))


def _record_sentences(change: Change, fields: Mapping[str, list]) -> list[str]:
    """One sentence per changed field of a standard or regulation."""
    model = Standard if change.regulation_id is None else TechnicalRegulation
    sentences: list[str] = []
    others: list[str] = []
    translated: list[str] = []
    for name, pair in fields.items():
        old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if name == "stage":
            sentences.append(
                _("Status changed from %(old)s to %(new)s")
                % {"old": _stage_label(old), "new": _stage_label(new)}
            )
        elif name == "status_label" and old and new:
            sentences.append(
                _("Status at the source changed from %(old)s to %(new)s") % {"old": old, "new": new}
            )
        elif name == "status_label":
            sentences.append(_date_sentence(_("Status at the source"), old, new))
        elif name == "issued_date" and isinstance(fields.get("issued_precision"), list):
            # "2018" became "2018-06-20": each date as precisely as it was known then.
            before, after = (list(fields["issued_precision"]) + [None, None])[:2]
            sentences.append(
                _date_sentence(
                    DATE_FIELD_LABELS[name], _at_precision(old, before), _at_precision(new, after)
                )
            )
        elif name in DATE_FIELD_LABELS:
            sentences.append(_date_sentence(DATE_FIELD_LABELS[name], old, new))
        elif name == "issued_precision":
            labels = dict(DatePrecision.choices)
            sentences.append(
                _("The issue date is now known to the %(precision)s")
                % {"precision": str(labels.get(new, new)).lower()}
            )
        elif name in ("replaced_by", "replaces", "adopts"):
            added = [v for v in _listed(new) if v not in _listed(old)]
            removed = [v for v in _listed(old) if v not in _listed(new)]
            if name == "replaced_by" and added:
                sentences.append(
                    _("Replaced by %(standards)s") % {"standards": _relation_names(added)}
                )
            elif name == "replaces" and added:
                sentences.append(
                    _("Now replaces %(standards)s") % {"standards": _relation_names(added)}
                )
            elif name == "adopts" and added:
                sentences.append(_("Now adopts %(standards)s") % {"standards": join_list(added)})
            if removed or not added:
                others.append(_field_label(model, name))
        elif name == "translation_verified":
            if new:
                sentences.append(_("Translation checked by a curator"))
        elif change.kind == ChangeKind.TRANSLATION:
            translated.append(_field_label(model, name))
        else:
            others.append(_field_label(model, name))
    if translated:
        sentences.append(_("Translation updated: %(fields)s") % {"fields": join_list(translated)})
    if others:
        sentences.append(_("Details updated: %(fields)s") % {"fields": join_list(others)})
    return sentences


def _citation_sentences(change: Change, fields: Mapping[str, list]) -> list[str]:
    regulation = change.regulation.reference
    ends = fields.get("presumption_ends") or [None, None]
    if change.kind == ChangeKind.CITED:
        kind = (fields.get("kind") or [None, None])[1]
        sentence = CITED_SENTENCES.get(kind, CITED_SENTENCES[CitationKind.REFERENCED])
        sentences = [str(sentence) % {"regulation": regulation}]
        if ends[1]:
            sentences.append(_("Presumption of conformity ends on %(date)s") % {"date": ends[1]})
        if (fields.get("replaces") or [None, None])[1]:
            sentences.append(
                _("Replaces %(standard)s in the list") % {"standard": fields["replaces"][1]}
            )
        return sentences
    sentences = []
    if "presumption_ends" in fields:
        label = _("End of presumption of conformity under %(regulation)s") % {
            "regulation": regulation
        }
        sentences.append(_date_sentence(label, ends[0], ends[1]))
    rest = [_field_label(Citation, name) for name in fields if name != "presumption_ends"]
    if rest:
        sentences.append(
            _("Citation under %(regulation)s updated: %(fields)s")
            % {"regulation": regulation, "fields": join_list(rest)}
        )
    return sentences


def describe_change(change: Change) -> list[str]:
    """The change in plain language, one sentence per fact, in the active language."""
    fields = change.fields if isinstance(change.fields, dict) else {}
    if change.kind == ChangeKind.NEW:
        if change.standard_id:
            return [_("New standard added")]
        return [_("New regulation added")]
    if change.standard_id and change.regulation_id:
        sentences = _citation_sentences(change, fields)
    else:
        sentences = _record_sentences(change, fields)
    if change.kind == ChangeKind.WITHDRAWN and "stage" not in fields:
        sentences.insert(0, _("Withdrawn"))
    return sentences or [str(change.get_kind_display())]


@dataclasses.dataclass
class ChangeEntry(RecordLink):
    """A Change row ready for a template or a feed."""

    change: Change
    record: Standard | TechnicalRegulation
    regulation: TechnicalRegulation | None  # the citing act, for citation changes
    sentences: list[str]
    sectors: list[Sector]

    @property
    def pk(self) -> int:
        return self.change.pk

    @property
    def kind(self) -> str:
        return self.change.kind

    @property
    def kind_label(self) -> str:
        return str(self.change.get_kind_display())

    @property
    def when(self) -> datetime.datetime:
        return self.change.created_at

    @property
    def regulation_url(self) -> str:
        return self.regulation.get_absolute_url() if self.regulation else ""

    @property
    def headline(self) -> str:
        return headed(self.code, self.sentences[0])


def public_changes(filters: Filters) -> QuerySet:
    """Changes to published records, newest first, with what the entries need loaded."""
    rows = Change.objects.filter(
        Q(standard__isnull=True) | Q(standard__published=True),
        Q(regulation__isnull=True) | Q(regulation__published=True),
    )
    if filters.kinds:
        rows = rows.filter(kind__in=filters.kinds)
    if filters.jurisdictions:
        rows = rows.filter(
            Q(regulation__jurisdiction__in=filters.jurisdictions)
            | Q(regulation__isnull=True, standard__jurisdiction__in=filters.jurisdictions)
        )
    rows = _in_sectors(rows, filters.sectors, "sectors")
    deferred = [f"{rel}__{f}" for rel in ("standard", "regulation") for f in _RECORD_DEFERRED]
    return (
        rows.select_related("standard", "regulation")
        .defer(*deferred)
        .prefetch_related("sectors")
        .order_by("-created_at", "-id")
    )


def change_entries(changes: Iterable[Change]) -> list[ChangeEntry]:
    """Entries for already loaded changes (see public_changes); no further queries."""
    entries = []
    for change in changes:
        citation = change.standard_id is not None and change.regulation_id is not None
        record = change.standard if change.standard_id else change.regulation
        entries.append(
            ChangeEntry(
                change=change,
                record=record,
                regulation=change.regulation if citation else None,
                sentences=describe_change(change),
                sectors=list(change.sectors.all()),
            )
        )
    return entries


def latest_changes(
    limit: int = 8, sectors: Iterable[Sector | str] | None = None
) -> list[ChangeEntry]:
    """The newest `limit` changes (for the home page), optionally in `sectors` (Sector
    objects or slugs). Each ChangeEntry has when, kind, kind_label, code, title, url,
    sentences (plain language), headline, regulation and regulation_url, sectors."""
    sectors = list(sectors or [])
    objects = _sector_objects(sectors)
    if sectors and not objects:
        return []
    return change_entries(public_changes(Filters(sectors=objects))[:limit])
