"""The kit every importer uses to read a table and check it before writing anything.

Neutral: imports no app of the project. An importer reads a file with `read_table` (or
streams a large CSV with `stream_csv`), finds its columns with `match_columns`, checks
every row with a `RowCheck` (errors by row and column, a repeated key named by the row
it repeats) and writes nothing unless the whole file is right: `RowCheck.refuse_if_errors`
raises `ImportRefused`, which lists where and why. Dates in any list are read by
`parse_date`; `differs` says whether saving a record would change what is stored, so
that importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models
from django.utils.translation import gettext as _

# An import refused lists this many errors, then says how many more there are.
MAX_REPORTED_ERRORS = 50


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the first row under the header; 0 is the file itself
    field: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, %(field)s: %(message)s") % {
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }


class ImportRefused(Exception):
    """The file was not imported; `errors` says where and why (nothing was written)."""

    def __init__(self, errors: list[RowError], *, more: int = 0):
        self.errors = errors
        self.more = more
        lines = [str(error) for error in errors]
        if more:
            lines.append(_("… and %(count)s more errors.") % {"count": more})
        super().__init__("\n".join(lines))


def refuse(column: str, message: str) -> ImportRefused:
    """A refusal for the file as a whole (a missing column, an unreadable file)."""
    return ImportRefused([RowError(0, column, message)])


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: int = 0
    seconds: float = 0.0
    peak_memory_mb: float = 0.0  # resident set size of the process
    duplicates: int = 0  # rows that repeat an earlier row exactly, left out
    citations: int = 0  # citations written (new or changed)
    skipped: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    """What an import would do, shown before it runs."""

    rows: int = 0
    new: int = 0
    existing: int = 0
    duplicates: int = 0
    citations: int = 0  # citations that would be written (new or changed)
    skipped: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------

ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM, then GBK and its superset


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX file, every cell
    as stripped text; blank rows are left out.

    Raises ImportRefused when the file cannot be read at all.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raw = path.read_bytes()
        for encoding in ENCODINGS:
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise refuse("file", _("The file is neither UTF-8 nor GBK text."))
        # Keep line breaks inside quoted cells ("EN 71-1:2014+A1:2018\nSafety of toys").
        rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise refuse("file", _("The file is empty."))
    header = [str(name).strip() for name in rows[0]]
    body = [
        dict(zip(header, (str(value).strip() for value in row), strict=False))
        for row in rows[1:]
        if any(str(value).strip() for value in row)
    ]
    return header, body


def _xlsx_rows(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged file
        raise refuse("file", _("Not a readable XLSX file: %(error)s") % {"error": exc}) from exc
    rows = [
        ["" if cell is None else cell_text(cell) for cell in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    book.close()
    return rows


def cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV would hold (dates as YYYY-MM-DD, 12.0 as 12)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stream_csv(path: Path, required: Iterable[str] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) from a UTF-8 CSV, one row at a time whatever the file's size.

    Raises ImportRefused when a required column is missing or the file is not UTF-8.
    """
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in required if column not in (reader.fieldnames or [])]
            if missing:
                raise refuse(", ".join(missing), _("Missing column(s)."))
            yield from enumerate(reader, start=1)
    except UnicodeDecodeError as exc:
        raise refuse("file", _("The file is not UTF-8 text: %(error)s") % {"error": exc}) from exc


def normalise(name: str) -> str:
    """A column name or a list's word as compared: spaces collapsed, lower case."""
    return re.sub(r"\s+", " ", name).strip().lower()


def match_columns(
    header: list[str], layout: dict[str, tuple[str, ...]], required: Iterable[str] = ()
) -> dict[str, str]:
    """Map each of the layout's columns (its name, or one of its aliases) to the file's
    own spelling of it. Raises ImportRefused when a required column is missing."""
    found = {}
    spelled = {normalise(name): name for name in header}
    for column, aliases in layout.items():
        for alias in (column, *aliases):
            if normalise(alias) in spelled:
                found[column] = spelled[normalise(alias)]
                break
    missing = [column for column in required if column not in found]
    if missing:
        raise refuse(", ".join(missing), _("Missing column(s)."))
    return found


def pick(row: dict[str, str], columns: dict[str, str]) -> dict[str, str]:
    """A row under the layout's column names (see match_columns); absent cells are ""."""
    return {column: row.get(name, "").strip() for column, name in columns.items()}


def split(value: str | None, separators: str = ";\n") -> list[str]:
    """The values of a list cell: "97.200.50; 13.120" → ["97.200.50", "13.120"]."""
    pattern = "[" + re.escape(separators) + "]"
    return [part.strip() for part in re.split(pattern, value or "") if part.strip()]


# Every date format the lists we import use, with the precision each gives.
DATE_FORMATS = (
    ("%Y-%m-%d", "day"),
    ("%Y/%m/%d", "day"),
    ("%Y.%m.%d", "day"),
    ("%Y年%m月%d日", "day"),
    ("%Y-%m", "month"),
    ("%Y", "year"),
)


def parse_date(value: str, *, partial: bool = False):
    """A list's date: '2018-07-15', '2018/07/15', '2018.07.15' or '2018年7月15日'.

    With `partial`, a month ('2018-07') or a year ('2018') is accepted too, and the
    result is (date, precision) with precision "day", "month" or "year". An empty cell
    is None (or (None, "day")). Anything else raises ValueError saying what a date is.
    """
    value = (value or "").strip()
    if not value:
        return (None, "day") if partial else None
    for fmt, precision in DATE_FORMATS:
        if precision != "day" and not partial:
            continue
        try:
            day = datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return (day, precision) if partial else day
    if partial:
        raise ValueError(
            _("“%(value)s” is not a date (YYYY-MM-DD, YYYY-MM or YYYY).") % {"value": value}
        )
    raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})


def unknown_codes(column: str, codes: Iterable[str], known) -> list[tuple[str, str]]:
    """The error for a cell naming codes not in `known` (a set or a dict), if any."""
    unknown = [code for code in codes if code not in known]
    if not unknown:
        return []
    return [(column, _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)})]


# ----------------------------------------------------------------------------------------
# Checking every row before writing
# ----------------------------------------------------------------------------------------


class RowCheck:
    """The errors of every row of a file, collected before anything is written.

    `same_as` is the message for a row whose key an earlier row already had ("The same
    standard as row %(row)s."). Call `row()` for each row, then `refuse_if_errors()`.
    With `skip_invalid`, rows with errors are left out and listed in `skipped` instead.
    """

    def __init__(self, same_as: str, *, skip_invalid: bool = False):
        self.same_as = same_as
        self.skip_invalid = skip_invalid
        self.errors: list[RowError] = []
        self.skipped: list[RowError] = []
        self.echoes = 0
        self._first: dict[object, tuple[int, object]] = {}

    def row(
        self,
        number: int,
        errors: list[tuple[str, str]],
        *,
        key=None,
        column: str = "",
        echo=None,
    ) -> bool:
        """Note row `number`'s errors, (column, message) pairs; True when it is to be
        written. A `key` an earlier row had is one more error, in `column`, unless both
        rows have the same `echo` (a fingerprint of their facts): a list repeating a row
        exactly is left out silently (counted in `echoes`)."""
        errors = list(errors)
        if key is not None and key != "":
            if key in self._first:
                first, first_echo = self._first[key]
                if echo is not None and echo == first_echo:
                    self.echoes += 1
                    return False
                errors.append((column, self.same_as % {"row": first}))
            else:
                self._first[key] = (number, echo)
        found = [RowError(number, name, message) for name, message in errors]
        (self.skipped if self.skip_invalid else self.errors).extend(found)
        return not found

    def errors_of(self, number: int) -> dict[str, str]:
        """Row `number`'s errors by column (the last one when a column has several)."""
        return {error.field: error.message for error in self.errors if error.row == number}

    def refuse_if_errors(self) -> None:
        if self.errors:
            raise ImportRefused(
                self.errors[:MAX_REPORTED_ERRORS],
                more=max(len(self.errors) - MAX_REPORTED_ERRORS, 0),
            )


def check_rows(
    rows: list[dict[str, str]],
    read: Callable[[dict[str, str]], tuple[object, list[tuple[str, str]]]],
    *,
    key: Callable[[dict[str, str], object], object],
    column: str,
    same_as: str,
) -> list:
    """Every row read and checked, then the records, in order; raises ImportRefused if
    any row is wrong. `read(row)` gives (record, errors), `key(row, record)` the row's key
    (None when it has none) and `column` the column a repeated key is reported in."""
    check = RowCheck(same_as)
    records = []
    for number, row in enumerate(rows, start=1):
        record, errors = read(row)
        if check.row(number, errors, key=key(row, record), column=column):
            records.append(record)
    check.refuse_if_errors()
    return records


# ----------------------------------------------------------------------------------------
# Writing only what changed
# ----------------------------------------------------------------------------------------


def _same(stored, value) -> bool:
    # Empty text may be stored as NULL or "": neither differs from an empty cell.
    return stored == value or (stored in (None, "") and value in (None, ""))


def differs(instance: models.Model, m2m: dict[str, Iterable] | None = None) -> bool:
    """Would saving `instance`, and setting its many-to-many fields to `m2m` (objects or
    primary keys), change what is stored? Timestamps aside. A new instance always does.
    (Saving unchanged rows would add history rows and changes nobody made.)"""
    if instance.pk is None:
        return True
    model = type(instance)
    stored = model._default_manager.get(pk=instance.pk)
    for field_obj in model._meta.concrete_fields:
        if getattr(field_obj, "auto_now", False) or getattr(field_obj, "auto_now_add", False):
            continue
        if not _same(getattr(stored, field_obj.attname), getattr(instance, field_obj.attname)):
            return True
    for name, wanted in (m2m or {}).items():
        wanted_pks = {getattr(value, "pk", value) for value in wanted}
        if set(getattr(stored, name).values_list("pk", flat=True)) != wanted_pks:
            return True
    return False
