"""Exports of a watchlist: a CSV or Excel table of its records and the private iCal feed
of their upcoming dates, in the active language.

Each builder reads the watchlist through accounts.watchlists and returns the file's
content; the views (accounts/views/watchlists.py) answer with it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Watchlist
from accounts.watchlists import WatchedRecord, items_of, watched_records
from standards import calendar
from standards.models import DatePrecision

CSV_TYPE = "text/csv; charset=utf-8"

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
                str(row.status),
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


@dataclasses.dataclass
class Export:
    """A file to download."""

    content: bytes
    content_type: str
    filename: str


def export_name(watchlist: Watchlist, extension: str) -> str:
    stem = slugify(watchlist.name) or f"watchlist-{watchlist.pk}"
    return f"cesip-{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_content(header: list, table: list) -> bytes:
    buffer = io.StringIO()
    # The byte order mark makes Excel read the file as UTF-8 (Chinese titles).
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in table:
        writer.writerow([_csv_value(value) for value in values])
    return buffer.getvalue().encode("utf-8")


def xlsx_content(watchlist: Watchlist, header: list, table: list) -> bytes:
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
    return buffer.getvalue()


FORMATS = ("csv", "xlsx")


def table_export(watchlist: Watchlist, kind: str) -> Export:
    """The watchlist as a table, `kind` one of FORMATS."""
    header, table = export_rows(watched_records(items_of(watchlist)))
    if kind == "xlsx":
        content, content_type = xlsx_content(watchlist, header, table), XLSX_TYPE
    else:
        content, content_type = csv_content(header, table), CSV_TYPE
    return Export(content, content_type, export_name(watchlist, kind))


def ical_feed(watchlist: Watchlist) -> str:
    """The private calendar feed: every upcoming date of the watched records."""
    rows = watched_records(items_of(watchlist), uid_prefix=f"watchlist-{watchlist.pk}-")
    entries = sorted(
        (entry for row in rows for entry in row.dates),
        key=lambda entry: (entry.date, entry.kind.key, entry.code),
    )
    site = settings.SITE_URL.rstrip("/")
    return calendar.ical_calendar(
        entries,
        name=_("CESIP watchlist: %(watchlist)s") % {"watchlist": watchlist.name},
        absolute=lambda path: site + path,
        host=urlsplit(settings.SITE_URL).hostname or "cesip",
    )
