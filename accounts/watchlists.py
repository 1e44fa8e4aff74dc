"""Company watchlists as their pages, exports and feeds read them, and the watch button's
state on public pages.

`watched_records` turns a watchlist's items into rows with status, upcoming dates and
(`attach_changes`) the changes since a date, in a fixed number of queries whatever the
number of items; `watch_state` tells the watch button what the visitor watches, loading
their watchlists once per request.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Membership, Role, WatchItem, Watchlist, WatchlistVisit
from standards import calendar, changelog, status
from standards.entries import Filters, RecordLink
from standards.models import Citation, Standard, TechnicalRegulation

Record = Standard | TechnicalRegulation

# The dates a watchlist plans for (keys of standards.calendar.DATE_KINDS).
STANDARD_DATE_KINDS = ["implementation", "withdrawal", "dow"]
CITATION_DATE_KIND = "presumption-ends"
REGULATION_DATE_KINDS = ["applies-from", "transition-ends", "repealed"]
# "Changed since your last visit" shows at most this many changes.
CHANGES_LIMIT = 200


def record_field(record: Record) -> str:
    """The WatchItem field (and WatchForm field) that holds `record`."""
    return "standard" if isinstance(record, Standard) else "regulation"


# ----------------------------------------------------------------------------------------
# A company's lists
# ----------------------------------------------------------------------------------------


def watchlists_with_counts(company: Company) -> QuerySet[Watchlist]:
    return company.watchlists.annotate(item_count=Count("items")).order_by("name")


def can_delete(membership: Membership, watchlist: Watchlist) -> bool:
    """A shared list: only an owner or the member who made it may delete it."""
    return membership.role == Role.OWNER or watchlist.created_by_id == membership.user_id


def items_of(watchlist: Watchlist) -> list[WatchItem]:
    """The watchlist's items on published records, with what pages and exports show, in
    three queries whatever their number."""
    standards = Standard.objects.with_status().select_related("body", "superseded_by")
    return list(
        watchlist.items.filter(Q(standard__published=True) | Q(regulation__published=True))
        .select_related("regulation", "added_by")
        .prefetch_related(Prefetch("standard", queryset=standards))
        .order_by("-added_at", "-pk")
    )


# ----------------------------------------------------------------------------------------
# What a watched record shows: status and dates
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class RecordStatus:
    key: str  # a CSS badge suffix: current, upcoming, withdrawn…
    label: str
    detail: str = ""  # "replaced by GB 6675.1-2025, valid until 2026-11-01"

    def __str__(self) -> str:
        return status.joined(self.label, self.detail)


def record_status(record: Record, today: datetime.date) -> RecordStatus:
    if isinstance(record, Standard):
        found = status.phrase(record, today)
        return RecordStatus(found.key, found.label, found.detail)
    if record.repealed_date and record.repealed_date <= today:
        return RecordStatus("withdrawn", _("Repealed"))
    starts = record.applies_from or record.in_force_date
    if starts and starts > today:
        return RecordStatus("upcoming", _("Not yet applicable"))
    return RecordStatus("current", _("Applies"))


def _presumption_ends(items: Iterable[WatchItem], today: datetime.date) -> dict[int, list]:
    """Upcoming ends of presumption of conformity of the watched standards, by standard."""
    ids = [item.standard_id for item in items if item.standard_id]
    found: dict[int, list[Citation]] = defaultdict(list)
    if not ids:
        return found
    rows = (
        Citation.objects.filter(
            standard_id__in=ids, regulation__published=True, presumption_ends__gte=today
        )
        .select_related("regulation")
        .only("pk", "standard_id", "presumption_ends", "regulation__reference")
    )
    for citation in rows:
        found[citation.standard_id].append(citation)
    return found


def record_dates(
    record: Record, citations: Sequence[Citation], today: datetime.date, *, uid_prefix: str
) -> list[calendar.DateEntry]:
    """The record's dates from today on, earliest first, as calendar entries."""
    entries = []
    if isinstance(record, Standard):
        kinds, source = STANDARD_DATE_KINDS, "standard"
    else:
        kinds, source = REGULATION_DATE_KINDS, "regulation"
    for key in kinds:
        kind = calendar.DATE_KINDS[key]
        day = getattr(record, kind.field)
        if day and day >= today:
            uid = f"{uid_prefix}{key}-{source}-{record.pk}"
            entries.append(calendar.DateEntry(day, kind, record, uid, today))
    successor = getattr(record, "superseded_by", None) if isinstance(record, Standard) else None
    if successor is not None and successor.implementation_date:
        # The watched edition's successor coming into force is the watcher's date too.
        if successor.implementation_date >= today:
            kind = calendar.DATE_KINDS["implementation"]
            uid = f"{uid_prefix}successor-standard-{record.pk}-{successor.pk}"
            entries.append(
                calendar.DateEntry(successor.implementation_date, kind, successor, uid, today)
            )
    kind = calendar.DATE_KINDS[CITATION_DATE_KIND]
    for citation in citations:
        uid = f"{uid_prefix}{kind.key}-citation-{citation.pk}"
        entries.append(
            calendar.DateEntry(
                citation.presumption_ends, kind, record, uid, today, citation.regulation
            )
        )
    entries.sort(key=lambda entry: (entry.date, entry.kind.key))
    return entries


@dataclasses.dataclass
class WatchedRecord(RecordLink):
    """One item as the watchlist page and the exports show it."""

    item: WatchItem
    record: Record
    status: RecordStatus
    dates: list[calendar.DateEntry]
    changes: list[changelog.ChangeEntry] = dataclasses.field(default_factory=list)

    @property
    def next_date(self) -> calendar.DateEntry | None:
        return self.dates[0] if self.dates else None

    @property
    def field_name(self) -> str:
        """The WatchForm field that names this record."""
        return record_field(self.record)


def watched_records(
    items: Sequence[WatchItem], today: datetime.date | None = None, *, uid_prefix: str = ""
) -> list[WatchedRecord]:
    today = today or timezone.localdate()
    ends = _presumption_ends(items, today)
    rows = []
    for item in items:
        record = item.standard or item.regulation
        citations = ends.get(item.standard_id, []) if item.standard_id else []
        rows.append(
            WatchedRecord(
                item=item,
                record=record,
                status=record_status(record, today),
                dates=record_dates(record, citations, today, uid_prefix=uid_prefix),
            )
        )
    return rows


def attach_changes(rows: Sequence[WatchedRecord], since: datetime.datetime) -> int:
    """Put the changes newer than `since` on their rows (two queries); returns how many
    changes there are. A citation change concerns both the standard and the act."""
    standard_ids = {row.item.standard_id for row in rows if row.item.standard_id}
    regulation_ids = {row.item.regulation_id for row in rows if row.item.regulation_id}
    if not rows:
        return 0
    changes = (
        changelog.public_changes(Filters())
        .filter(Q(standard_id__in=standard_ids) | Q(regulation_id__in=regulation_ids))
        .filter(created_at__gt=since)[:CHANGES_LIMIT]
    )
    entries = changelog.change_entries(changes)
    by_standard, by_regulation = defaultdict(list), defaultdict(list)
    for entry in entries:
        if entry.change.standard_id:
            by_standard[entry.change.standard_id].append(entry)
        if entry.change.regulation_id:
            by_regulation[entry.change.regulation_id].append(entry)
    for row in rows:
        if row.item.standard_id:
            row.changes = by_standard.get(row.item.standard_id, [])
        else:
            row.changes = by_regulation.get(row.item.regulation_id, [])
    return len(entries)


def record_visit(watchlist: Watchlist, user, when: datetime.datetime) -> None:
    """Remember that `user` saw `watchlist` at `when`, in one upsert."""
    WatchlistVisit.objects.bulk_create(
        [WatchlistVisit(watchlist=watchlist, user=user, seen_at=when)],
        update_conflicts=True,
        unique_fields=["watchlist", "user"],
        update_fields=["seen_at"],
    )


# ----------------------------------------------------------------------------------------
# The watchlist page
# ----------------------------------------------------------------------------------------


def watchlist_page(membership: Membership, watchlist: Watchlist, *, user, seen: bool) -> dict:
    """What the watchlist page shows `user`, a member: the rows with the changes since
    their last visit (a first visit: since the list was created), and the calendar
    links. `seen` records this visit as the member's last."""
    now = timezone.now()
    visit = WatchlistVisit.objects.filter(watchlist=watchlist, user=user).first()
    rows = watched_records(items_of(watchlist))
    change_count = attach_changes(rows, visit.seen_at if visit else watchlist.created_at)
    if seen:
        record_visit(watchlist, user, now)
    ical_path = reverse("accounts:watchlist_ical", kwargs={"token": watchlist.ical_token})
    ical_url = settings.SITE_URL.rstrip("/") + ical_path
    return {
        "rows": rows,
        "last_visit": visit.seen_at if visit else None,
        "change_count": change_count,
        "changes_capped": change_count >= CHANGES_LIMIT,
        "ical_url": ical_url,
        "webcal_url": "webcal://" + ical_url.split("://", 1)[1],
        "is_owner": membership.role == Role.OWNER,
        "can_delete": can_delete(membership, watchlist),
    }


# ----------------------------------------------------------------------------------------
# The watch button's state, loaded once per request
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class WatchContext:
    """The visitor's watchlists and what is on them (two queries per request)."""

    watchlists: list[Watchlist]
    standards: dict[int, set[int]]
    regulations: dict[int, set[int]]
    companies: list = dataclasses.field(default_factory=list)

    @property
    def several_companies(self) -> bool:
        return len({w.company_id for w in self.watchlists}) > 1


@dataclasses.dataclass
class WatchState:
    """What the watch button shows for one record."""

    record: Record
    next_url: str = ""
    anonymous: bool = False
    watching: list[Watchlist] = dataclasses.field(default_factory=list)
    available: list[Watchlist] = dataclasses.field(default_factory=list)
    companies: list = dataclasses.field(default_factory=list)
    several_companies: bool = False

    @property
    def field_name(self) -> str:
        return record_field(self.record)

    @property
    def dom_id(self) -> str:
        return f"watch-{self.field_name}-{self.record.pk}"

    @property
    def record_url(self) -> str:
        return self.record.get_absolute_url()


def _watch_context(request: HttpRequest) -> WatchContext:
    cached = getattr(request, "_cesip_watch_context", None)
    if cached is not None:
        return cached
    watchlists = list(
        Watchlist.objects.filter(company__memberships__user=request.user)
        .select_related("company")
        .order_by("company__name", "name")
    )
    standards: dict[int, set[int]] = defaultdict(set)
    regulations: dict[int, set[int]] = defaultdict(set)
    companies = []
    if watchlists:
        rows = WatchItem.objects.filter(watchlist__in=watchlists).values_list(
            "watchlist_id", "standard_id", "regulation_id"
        )
        for watchlist_id, standard_id, regulation_id in rows:
            if standard_id:
                standards[standard_id].add(watchlist_id)
            else:
                regulations[regulation_id].add(watchlist_id)
    else:
        # No watchlist yet: say where to create one.
        companies = [m.company for m in request.user.memberships.select_related("company")]
    context = WatchContext(watchlists, standards, regulations, companies)
    request._cesip_watch_context = context
    return context


def forget_watch_context(request: HttpRequest) -> None:
    request.__dict__.pop("_cesip_watch_context", None)


def watch_state(request: HttpRequest | None, record: Record, *, next_url: str = "") -> WatchState:
    """The watch button's state for `record`; queries once per request, not per record."""
    if request is None:
        return WatchState(record, anonymous=True)
    next_url = next_url or request.get_full_path()
    if not request.user.is_authenticated:
        return WatchState(record, next_url, anonymous=True)
    context = _watch_context(request)
    on = (context.standards if isinstance(record, Standard) else context.regulations).get(
        record.pk, set()
    )
    return WatchState(
        record,
        next_url,
        watching=[w for w in context.watchlists if w.pk in on],
        available=[w for w in context.watchlists if w.pk not in on],
        companies=context.companies,
        several_companies=context.several_companies,
    )


# ----------------------------------------------------------------------------------------
# A requirement sheet's standards, all at once
# ----------------------------------------------------------------------------------------

# More than a sheet ever lists; the form is refused beyond it.
SHEET_WATCH_LIMIT = 1000


@dataclasses.dataclass
class SheetWatchState:
    """What the sheet's "watch all its standards" form offers the visitor."""

    next_url: str
    anonymous: bool = False
    watchlists: list[Watchlist] = dataclasses.field(default_factory=list)
    companies: list[Company] = dataclasses.field(default_factory=list)

    @property
    def several_companies(self) -> bool:
        return len(self.companies) > 1


def sheet_watch_state(request: HttpRequest | None, *, next_url: str = "") -> SheetWatchState:
    """The visitor's companies and their watchlists (two queries once per request; none
    when anonymous)."""
    if request is None or not request.user.is_authenticated:
        return SheetWatchState(next_url, anonymous=True)
    next_url = next_url or request.get_full_path()
    cached = getattr(request, "_cesip_sheet_watch", None)
    if cached is not None and cached.next_url == next_url:
        return cached
    companies = [
        m.company
        for m in request.user.memberships.select_related("company").order_by("company__name")
    ]
    watchlists = (
        list(
            Watchlist.objects.filter(company__in=companies)
            .select_related("company")
            .order_by("company__name", "name")
        )
        if companies
        else []
    )
    request._cesip_sheet_watch = SheetWatchState(
        next_url, watchlists=watchlists, companies=companies
    )
    return request._cesip_sheet_watch


def watch_standards(watchlist: Watchlist, standard_ids: Iterable[int], *, user) -> tuple[int, int]:
    """Put the published standards among `standard_ids` on `watchlist`; returns how many
    were added and how many were on it already (three queries whatever their number)."""
    wanted = set(
        Standard.objects.public().filter(pk__in=set(standard_ids)).values_list("pk", flat=True)
    )
    already = set(watchlist.items.filter(standard__in=wanted).values_list("standard_id", flat=True))
    new = [
        WatchItem(watchlist=watchlist, standard_id=pk, added_by=user)
        for pk in sorted(wanted - already)
    ]
    # A colleague adding the same standard meanwhile is not an error (unique per list).
    WatchItem.objects.bulk_create(new, ignore_conflicts=True)
    return len(new), len(already)
