"""Company watchlists: the lists, the watch button, exports and the private iCal feed.

Every view goes through accounts.access (membership_or_404 / owner_or_404) so that an
outsider gets a 404 for anything belonging to another company, whatever pk they try.
The iCal feed is the one exception: calendar apps cannot log in, so its URL carries a
secret token that an owner can replace.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import login_required, membership_or_404, owner_or_404
from accounts.models import Membership, Role, WatchItem, Watchlist, WatchlistVisit
from standards import calendar, changelog
from standards.entries import Filters, RecordLink
from standards.models import Citation, DatePrecision, Standard, Status, TechnicalRegulation

Record = Standard | TechnicalRegulation

# The dates a watchlist plans for (keys of standards.calendar.DATE_KINDS).
STANDARD_DATE_KINDS = ["implementation", "withdrawal", "dow"]
CITATION_DATE_KIND = "presumption-ends"
REGULATION_DATE_KINDS = ["applies-from", "transition-ends", "repealed"]
# "Changed since your last visit" shows at most this many changes.
CHANGES_LIMIT = 200


def new_ical_token() -> str:
    return secrets.token_urlsafe(32)


# ----------------------------------------------------------------------------------------
# Forms
# ----------------------------------------------------------------------------------------


class WatchlistForm(forms.ModelForm):
    """Create or rename a watchlist; names are unique within the company."""

    class Meta:
        model = Watchlist
        fields = ["name"]
        labels = {"name": gettext_lazy("Name")}

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(gettext_lazy("Give the watchlist a name."))
        taken = Watchlist.objects.filter(company=self.company, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                gettext_lazy("Your company already has a watchlist with this name.")
            )
        return name


class NoteForm(forms.ModelForm):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Visible to everyone in your company."),
    )

    class Meta:
        model = WatchItem
        fields = ["note"]


class WatchForm(forms.Form):
    """What the watch button posts: a watchlist and exactly one record."""

    watchlist = forms.IntegerField(min_value=1)
    standard = forms.IntegerField(min_value=1, required=False)
    regulation = forms.IntegerField(min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("standard")) == bool(data.get("regulation")):
            raise forms.ValidationError("Give a standard or a regulation.")
        return data


# ----------------------------------------------------------------------------------------
# Loading, with the access rules
# ----------------------------------------------------------------------------------------


def _get_watchlist(request: HttpRequest, slug: str, pk: int) -> tuple[Membership, Watchlist]:
    membership = membership_or_404(request, slug)
    watchlist = get_object_or_404(Watchlist, pk=pk, company=membership.company)
    return membership, watchlist


def _get_watchlist_by_pk(request: HttpRequest, pk: int) -> Watchlist:
    """A watchlist named by its pk alone (the watch button): 404 unless the visitor is a
    member of its company."""
    watchlist = get_object_or_404(Watchlist.objects.select_related("company"), pk=pk)
    membership_or_404(request, watchlist.company.slug)
    return watchlist


def _can_delete(membership: Membership, watchlist: Watchlist) -> bool:
    return membership.role == Role.OWNER or watchlist.created_by_id == membership.user_id


def _safe_next(request: HttpRequest, fallback: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else fallback


def _record_from(data: dict) -> Record:
    """The published record a WatchForm names, or 404."""
    if data.get("standard"):
        return get_object_or_404(Standard.objects.public().with_status(), pk=data["standard"])
    return get_object_or_404(TechnicalRegulation.objects.public(), pk=data["regulation"])


def _items_of(watchlist: Watchlist) -> list[WatchItem]:
    """The watchlist's items on published records, with what pages and exports show, in
    three queries whatever their number."""
    standards = Standard.objects.with_status().select_related("body")
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


def record_status(record: Record, today: datetime.date) -> RecordStatus:
    if isinstance(record, Standard):
        key = getattr(record, "current_status", None) or record.status_on(today)
        return RecordStatus(key, str(Status(key).label))
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
        return "standard" if self.is_standard else "regulation"


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
        return "standard" if isinstance(self.record, Standard) else "regulation"

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
# Views: the lists
# ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watchlist_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    company = membership.company
    form = WatchlistForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        watchlist = form.save(commit=False)
        watchlist.company = company
        watchlist.created_by = request.user
        watchlist.ical_token = new_ical_token()
        watchlist.save()
        messages.success(request, _("Watchlist created."))
        return redirect("accounts:watchlist_detail", slug=company.slug, pk=watchlist.pk)
    watchlists = company.watchlists.annotate(item_count=Count("items")).order_by("name")
    ctx = {"company": company, "membership": membership, "watchlists": watchlists, "form": form}
    return render(request, "accounts/watchlists/watchlist_list.html", ctx)


@login_required
@require_safe
def watchlist_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, watchlist = _get_watchlist(request, slug, pk)
    now = timezone.now()
    visit = WatchlistVisit.objects.filter(watchlist=watchlist, user=request.user).first()
    # A first visit shows what changed since the list was created.
    since = visit.seen_at if visit else watchlist.created_at
    rows = watched_records(_items_of(watchlist))
    change_count = attach_changes(rows, since)
    if request.method == "GET":
        record_visit(watchlist, request.user, now)
    ical_path = reverse("accounts:watchlist_ical", kwargs={"token": watchlist.ical_token})
    ical_url = settings.SITE_URL.rstrip("/") + ical_path
    ctx = {
        "company": membership.company,
        "membership": membership,
        "watchlist": watchlist,
        "rows": rows,
        "last_visit": visit.seen_at if visit else None,
        "change_count": change_count,
        "changes_capped": change_count >= CHANGES_LIMIT,
        "ical_url": ical_url,
        "webcal_url": "webcal://" + ical_url.split("://", 1)[1],
        "is_owner": membership.role == Role.OWNER,
        "can_delete": _can_delete(membership, watchlist),
    }
    return render(request, "accounts/watchlists/watchlist_detail.html", ctx)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watchlist_rename(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, watchlist = _get_watchlist(request, slug, pk)
    form = WatchlistForm(request.POST or None, instance=watchlist, company=membership.company)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Watchlist renamed."))
        return redirect("accounts:watchlist_detail", slug=slug, pk=watchlist.pk)
    ctx = {"company": membership.company, "watchlist": watchlist, "form": form}
    return render(request, "accounts/watchlists/watchlist_rename.html", ctx)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watchlist_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, watchlist = _get_watchlist(request, slug, pk)
    # A shared list: only an owner or the member who made it may delete it.
    if not _can_delete(membership, watchlist):
        raise Http404
    if request.method == "POST":
        watchlist.delete()
        messages.success(request, _("Watchlist deleted."))
        return redirect("accounts:watchlist_list", slug=slug)
    ctx = {
        "company": membership.company,
        "watchlist": watchlist,
        "item_count": watchlist.items.count(),
    }
    return render(request, "accounts/watchlists/watchlist_delete.html", ctx)


@login_required
@require_POST
def watchlist_token_reset(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = owner_or_404(request, slug)
    watchlist = get_object_or_404(Watchlist, pk=pk, company=membership.company)
    watchlist.ical_token = new_ical_token()
    watchlist.save(update_fields=["ical_token"])
    messages.success(request, _("The calendar link was replaced; the old link no longer works."))
    return redirect("accounts:watchlist_detail", slug=slug, pk=watchlist.pk)


# ----------------------------------------------------------------------------------------
# Views: items
# ----------------------------------------------------------------------------------------


def _watch_response(request: HttpRequest, record: Record, fallback: str) -> HttpResponse:
    """htmx gets the button again; a plain POST goes back where it came from."""
    if request.htmx:
        forget_watch_context(request)
        ctx = {
            "record": record,
            "nested": request.POST.get("nested") == "1",
            "watch_next": _safe_next(request, ""),
        }
        return render(request, "accounts/includes/watch_button.html", ctx)
    return redirect(_safe_next(request, fallback))


def _login_first(request: HttpRequest) -> HttpResponse:
    response = redirect_to_login(_safe_next(request, reverse("home")))
    if request.htmx:
        # htmx would follow the redirect and put the log-in page inside the button.
        return HttpResponseClientRedirect(response.url)
    return response


@require_POST
def watch_add(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    form = WatchForm(request.POST)
    if not form.is_valid():
        raise Http404
    watchlist = _get_watchlist_by_pk(request, form.cleaned_data["watchlist"])
    record = _record_from(form.cleaned_data)
    field = "standard" if isinstance(record, Standard) else "regulation"
    _item, created = WatchItem.objects.get_or_create(
        watchlist=watchlist, **{field: record}, defaults={"added_by": request.user}
    )
    if not request.htmx:
        message = _("Added to “%(watchlist)s”.") if created else _("Already on “%(watchlist)s”.")
        messages.success(request, message % {"watchlist": watchlist.name})
    fallback = reverse("accounts:watchlist_detail", args=[watchlist.company.slug, watchlist.pk])
    return _watch_response(request, record, fallback)


@require_POST
def watch_remove(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    form = WatchForm(request.POST)
    if not form.is_valid():
        raise Http404
    watchlist = _get_watchlist_by_pk(request, form.cleaned_data["watchlist"])
    data = form.cleaned_data
    if data.get("standard"):
        record = get_object_or_404(Standard.objects.with_status(), pk=data["standard"])
        removed, _rows = watchlist.items.filter(standard=record).delete()
    else:
        record = get_object_or_404(TechnicalRegulation, pk=data["regulation"])
        removed, _rows = watchlist.items.filter(regulation=record).delete()
    if removed and not request.htmx:
        messages.success(
            request, _("Removed from “%(watchlist)s”.") % {"watchlist": watchlist.name}
        )
    fallback = reverse("accounts:watchlist_detail", args=[watchlist.company.slug, watchlist.pk])
    return _watch_response(request, record, fallback)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watch_note(request: HttpRequest, slug: str, pk: int, item_pk: int) -> HttpResponse:
    membership, watchlist = _get_watchlist(request, slug, pk)
    item = get_object_or_404(watchlist.items.select_related("standard", "regulation"), pk=item_pk)
    form = NoteForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Note saved."))
        return redirect("accounts:watchlist_detail", slug=slug, pk=watchlist.pk)
    ctx = {"company": membership.company, "watchlist": watchlist, "item": item, "form": form}
    return render(request, "accounts/watchlists/watch_note.html", ctx)


# ----------------------------------------------------------------------------------------
# Views: export and calendar feed
# ----------------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_WIDTHS = [12, 22, 50, 40, 20, 12, 12, 12, 12, 40, 40, 24, 12, 50]


def _spreadsheet_safe(value):
    """Text that a spreadsheet would read as a formula is prefixed with an apostrophe:
    notes are typed by members and opened by colleagues (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _spreadsheet_safe(str(value))


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


def _upcoming_what(entry: calendar.DateEntry | None) -> str:
    if entry is None:
        return ""
    if entry.regulation is not None:
        return f"{entry.kind.label} ({entry.regulation.reference})"
    return str(entry.kind.label)


def export_rows(rows: Sequence[WatchedRecord]) -> tuple[list[str], list[list]]:
    """The header and one row per watched record, in the active language."""
    header = [
        _("Type"),
        _("Identifier"),
        _("Title (English)"),
        _("Title (Chinese)"),
        _("Status"),
        _("Issued or adopted"),
        _("In force or applies from"),
        _("Withdrawn or repealed"),
        _("Next date"),
        _("Next date: what"),
        _("Note"),
        _("Added by"),
        _("Added on"),
        _("Link"),
    ]
    site = settings.SITE_URL.rstrip("/")
    table = []
    for row in rows:
        record = row.record
        if row.is_standard:
            kind = _("Standard")
            english, chinese = record.title_en, record.title_zh_hans
            # A year or a month when that is all the source gives, not its first day.
            exact = record.issued_precision == DatePrecision.DAY
            issued = record.issued_date if exact else record.issued_text
            starts = record.implementation_date
            ends = record.withdrawn_date
        else:
            kind = _("Regulation")
            english = " · ".join(filter(None, [record.short_name_en, record.title_en]))
            chinese = " · ".join(filter(None, [record.short_name_zh_hans, record.title_zh_hans]))
            issued = record.adopted_date
            starts = record.applies_from or record.in_force_date
            ends = record.repealed_date
        upcoming = row.next_date
        table.append(
            [
                kind,
                row.code,
                english or "",
                chinese or "",
                row.status.label,
                issued,
                starts,
                ends,
                upcoming.date if upcoming else None,
                _upcoming_what(upcoming),
                row.item.note,
                _user_name(row.item.added_by),
                timezone.localtime(row.item.added_at).date(),
                site + row.url,
            ]
        )
    return header, table


def _export_name(watchlist: Watchlist, extension: str) -> str:
    stem = slugify(watchlist.name) or f"watchlist-{watchlist.pk}"
    return f"cesip-{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _csv_response(watchlist: Watchlist, header: list, table: list) -> HttpResponse:
    buffer = io.StringIO()
    # The byte order mark makes Excel read the file as UTF-8 (Chinese titles).
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in table:
        writer.writerow([_csv_value(value) for value in values])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(watchlist, "csv")}"'
    return response


def _xlsx_response(watchlist: Watchlist, header: list, table: list) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (slugify(watchlist.name) or "watchlist")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in table:
        sheet.append([_spreadsheet_safe(v) for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLMN", XLSX_WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_export_name(watchlist, "xlsx")}"'
    return response


@login_required
@require_safe
def watchlist_export(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _membership, watchlist = _get_watchlist(request, slug, pk)
    kind = request.GET.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        raise Http404
    header, table = export_rows(watched_records(_items_of(watchlist)))
    if kind == "xlsx":
        return _xlsx_response(watchlist, header, table)
    return _csv_response(watchlist, header, table)


@require_safe
def watchlist_ical(request: HttpRequest, token: str) -> HttpResponse:
    """The private calendar feed: no log-in, the token in the URL is the key."""
    watchlist = Watchlist.objects.filter(ical_token=token).first() if token else None
    if watchlist is None:
        raise Http404
    rows = watched_records(_items_of(watchlist), uid_prefix=f"watchlist-{watchlist.pk}-")
    entries = sorted(
        (entry for row in rows for entry in row.dates),
        key=lambda entry: (entry.date, entry.kind.key, entry.code),
    )
    site = settings.SITE_URL.rstrip("/")
    body = calendar.ical_calendar(
        entries,
        name=_("CESIP watchlist: %(watchlist)s") % {"watchlist": watchlist.name},
        absolute=lambda path: site + path,
        host=urlsplit(settings.SITE_URL).hostname or "cesip",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cesip-watchlist.ics"'
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, max-age=900"
    return response
