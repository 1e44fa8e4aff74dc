"""CSV and XLSX import and export in the admin: preview, row errors, all or nothing,
idempotent re-import."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from standards.models import Change, ChangeKind, Standard
from tests.factories import make_body
from tests.forms import form_data

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "iso_1000.csv"
IMPORT_URL = "/en/admin/standards/standard/import/"
# The long file's length. What lets any length through is that each row costs the same
# few queries (test_each_row_costs_the_same_few_queries): the file's first thousand rows
# proved no more than these and took three times as long.
ROWS = 300


@dataclasses.dataclass
class ImportResult:
    preview: str
    confirmed: bool
    errors: list[str]


def admin_import(
    client, content: str | bytes, *, name: str = "standards.csv", fmt: str = "0"
) -> ImportResult:
    """Upload a file in the admin, read the dry-run preview, confirm when it is clean."""
    upload = io.BytesIO(content.encode("utf-8") if isinstance(content, str) else content)
    upload.name = name
    page = client.post(IMPORT_URL, {"import_file": upload, "format": fmt, "resource": "0"})
    html = page.content.decode()
    if "confirm-import-form" not in html and "process_import" not in html:
        return ImportResult(html, False, _row_errors(html))
    data = form_data(html, "confirm-import-form") or form_data(html)
    response = client.post("/en/admin/standards/standard/process_import/", data)
    return ImportResult(html, response.status_code == 302, [])


def _row_errors(html: str) -> list[str]:
    """ "row N: field message" for each refused row of the preview table."""
    rows = re.findall(r'<tr>\s*<td>(\d+)\s*</td>\s*<td class="errors">(.*?)</td>', html, re.S)
    errors = [
        f"row {number}: " + " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for number, cell in rows
    ]
    return errors or [" ".join(re.sub(r"<[^>]+>", " ", html).split())[:2000]]


def export_csv(client) -> str:
    response = client.post(
        "/en/admin/standards/standard/export/",
        {"format": "0", "resource": "0", **{f"standardresource_{f}": "on" for f in EXPORT_FIELDS}},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode("utf-8-sig")


EXPORT_FIELDS = ["identifier", "body", "title_en", "title_zh_hans", "implementation_date",
                 "issued_date", "stage", "sectors", "published"]  # fmt: skip


@pytest.fixture
def iso_ready(reference_tables):
    make_body("ISO")


def _sample_with(changes: dict[int, dict[str, str]], rows: int = ROWS, start: int = 0) -> str:
    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))[start : start + rows]
    for index, values in changes.items():
        rows[index].update(values)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_long_file_with_three_bad_rows_is_refused_then_fixed_then_idempotent(
    curator_client, iso_ready
):
    bad = _sample_with({
        9: {"identifier": "ISO hello world"},
        ROWS // 2 - 1: {"issued_date": "2019-02-30"},
        ROWS - 3: {"ics_codes": "97.999.99"},
    })  # fmt: skip
    refused = admin_import(curator_client, bad)
    assert not refused.confirmed
    assert len(refused.errors) == 3, refused.errors
    assert refused.errors[0].startswith("row 10: 1 identifier “hello” is not a document number")
    assert refused.errors[1] == (
        f"row {ROWS // 2}: 1 issued_date “2019-02-30” is not a date (YYYY-MM-DD)."
    )
    assert refused.errors[2] == f"row {ROWS - 2}: 1 ics_codes Unknown code(s): 97.999.99."
    assert Standard.objects.count() == 0
    assert Change.objects.count() == 0

    good = _sample_with({})
    imported = admin_import(curator_client, good)
    assert imported.confirmed, imported.errors
    assert Standard.objects.count() == ROWS
    assert Change.objects.filter(kind=ChangeKind.NEW).count() == ROWS
    first = Standard.objects.get(key="ISO10001:2018")
    assert first.ics_codes.get().code == "03.120.10"
    assert first.history.count() == 1

    again = admin_import(curator_client, good)
    assert again.confirmed
    assert Change.objects.count() == ROWS
    assert "Skipped" in again.preview or "skip" in again.preview.lower()
    assert first.history.count() == 1


def _import_queries(client, content: str) -> int:
    """The queries of one admin import (the preview, then the confirmed import)."""
    with CaptureQueriesContext(connection) as queries:
        assert admin_import(client, content).confirmed
    return len(queries.captured_queries)


def test_each_row_costs_the_same_few_queries(curator_client, iso_ready):
    """What a file of any length costs: for each new row, in the preview and again in the
    import, a savepoint and its release, the body and the two unique checks, the record,
    its history row and its ICS codes (8 queries); for an unchanged row only the
    savepoint and its release (2). Its links are read once for the whole file, not once
    a row, in the preview's diff and the unchanged-row check."""
    short, long = _sample_with({}, rows=20), _sample_with({}, rows=40, start=20)
    new = [_import_queries(curator_client, short), _import_queries(curator_client, long)]
    same = [_import_queries(curator_client, short), _import_queries(curator_client, long)]
    assert Standard.objects.count() == 60
    assert (new[1] - new[0]) / 20 <= 2 * 8, new
    assert (same[1] - same[0]) / 20 <= 2 * 2, same


def test_xlsx_import_and_export_round_trip(curator_client, iso_ready):
    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))[:5]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    result = admin_import(curator_client, buffer.getvalue(), name="standards.xlsx", fmt="1")
    assert result.confirmed, result.errors
    assert Standard.objects.count() == 5
    exported = export_csv(curator_client)
    assert "ISO 10001:2018" in exported


def test_duplicate_identifiers_in_one_file_are_row_errors(curator_client, iso_ready):
    content = _sample_with({1: {"identifier": "iso 10001:2018"}}, rows=3)
    result = admin_import(curator_client, content)
    assert not result.confirmed
    assert any("same standard as row 1" in e for e in result.errors), result.errors
    assert Standard.objects.count() == 0
