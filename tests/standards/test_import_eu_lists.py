"""CEN/CENELEC published-standards lists and the Commission's harmonised-standards lists:
real rows load, broken files are refused with nothing written, a second import changes
nothing."""

import csv
import datetime
import io
from pathlib import Path

import openpyxl
import pytest

from cesip.tabular import ImportRefused
from standards.imports.cen import import_cen_list
from standards.imports.harmonised import import_harmonised_list
from standards.imports.publications import import_publications
from standards.models import Change, Citation, Standard
from tests.factories import make_regulation

DATA = Path(__file__).resolve().parents[1] / "data"
CEN = DATA / "cen_sample.csv"
TOYS = DATA / "harmonised_toys.csv"


def rows_of(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write(path: Path, header: list[str], rows: list[dict], encoding="utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def refused(importer, path, *args) -> list[str]:
    before = (Standard.objects.count(), Citation.objects.count(), Change.objects.count())
    with pytest.raises(ImportRefused) as excinfo:
        importer(path, *args)
    assert (Standard.objects.count(), Citation.objects.count(), Change.objects.count()) == before
    return [str(error) for error in excinfo.value.errors]


# -- CEN/CENELEC ---------------------------------------------------------------------------


def test_cen_list_loads_real_rows_with_dates_links_and_bodies(reference_tables):
    import_publications(DATA / "iso_sample.csv", "iso")
    report = import_cen_list(CEN)
    assert (report.rows, report.created) == (5, 5)

    mdr = Standard.objects.get(key="ENISO13485:2016")
    assert mdr.title_en.startswith("Medical devices - Quality management systems")
    assert mdr.title_zh_hans_source == "curator" and mdr.title_en_source == "official"
    assert (mdr.dor, mdr.dav, mdr.dop, mdr.dow) == (
        datetime.date(2016, 1, 30),
        datetime.date(2016, 3, 2),
        datetime.date(2016, 9, 30),
        datetime.date(2019, 3, 31),
    )
    assert mdr.issued_date == mdr.dav
    assert mdr.body.code == "CEN"
    assert mdr.committee_code == "CEN/CLC/JTC 3"
    assert sorted(mdr.ics_codes.values_list("code", flat=True)) == ["03.100.70", "11.020.01"]
    assert list(mdr.adoptions.values_list("adopted__key", "degree")) == [("ISO13485:2016", "IDT")]
    # The edition it supersedes was not in the catalogue: recorded, marked superseded.
    old = Standard.objects.get(key="ENISO13485:2012")
    assert old.stage == "superseded" and mdr.replaces.filter(pk=old.pk).exists()

    hair = Standard.objects.get(key="EN60335-2-23:2003")
    assert hair.body.code == "CENELEC"  # an EN in the 60000 range is CENELEC's
    assert sorted(hair.hs_codes.values_list("code", flat=True)) == ["8516", "851631", "851632"]
    assert report.warnings  # IEC 60335-2-23:2003 is not in this catalogue
    toys = Standard.objects.get(key="EN71-1:2014+AMD1:2018")
    assert list(toys.sectors.values_list("slug", flat=True)) == ["toys"]
    assert Change.objects.filter(standard=toys, kind="new").count() == 1


def test_without_dav_or_dor_the_issue_year_comes_from_the_reference(reference_tables, tmp_path):
    import_cen_list(CEN)
    toys = Standard.objects.get(key="EN71-1:2014+AMD1:2018")  # no DOR or DAV in the list
    assert (toys.issued_date, toys.issued_precision) == (datetime.date(2018, 1, 1), "year")
    flammability = Standard.objects.get(key="EN71-2:2020")  # DOR only
    assert (flammability.issued_date, flammability.issued_precision) == (
        datetime.date(2020, 9, 28),
        "day",
    )
    stub = Standard.objects.get(key="ENISO13485:2012")  # recorded from "Supersedes"
    assert (stub.issued_date, stub.issued_precision) == (datetime.date(2012, 1, 1), "year")

    # A later list giving the DAV makes it exact; one giving no date does not undo that.
    header, rows = rows_of(CEN)
    dated = [{**row, "DAV": "2018-06-20"} for row in rows if row["Reference"].startswith("EN 71-1")]
    import_cen_list(write(tmp_path / "dated.csv", header, dated))
    toys.refresh_from_db()
    assert (toys.issued_date, toys.issued_precision) == (datetime.date(2018, 6, 20), "day")
    import_cen_list(CEN)
    toys.refresh_from_db()
    assert (toys.issued_date, toys.issued_precision) == (datetime.date(2018, 6, 20), "day")


def test_cen_list_import_is_idempotent(reference_tables):
    import_cen_list(CEN)
    changes = Change.objects.count()
    again = import_cen_list(CEN)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert Change.objects.count() == changes


def test_cen_list_in_xlsx_and_gbk(reference_tables, tmp_path):
    header, rows = rows_of(CEN)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row[name] for name in header])
    book.save(tmp_path / "cen.xlsx")
    assert import_cen_list(tmp_path / "cen.xlsx").created == 5
    gbk = write(tmp_path / "gbk.csv", header, rows, encoding="gb18030")
    assert import_cen_list(gbk).unchanged == 5


def test_cen_dry_run_writes_nothing(reference_tables):
    report = import_cen_list(CEN, dry_run=True)
    assert report.created == 5
    assert not Standard.objects.exists() and not Change.objects.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h, r: (h, [{**r[0], "DAV": "31.02.2020"}]), "Row 1, DAV: “31.02.2020” is not"),
        (lambda h, r: (h, [r[0], r[0]]), "Row 2, Reference: The same standard as row 1."),
        (lambda h, r: (h, [{**r[0], "ICS": "97.200.50;99.999"}]), "Row 1, ICS: Unknown code(s)"),
        (lambda h, r: (h, [{**r[0], "Reference": "EN ABC-2014"}]), "Row 1, Reference:"),
        (lambda h, r: (h, [{**r[0], "Reference": "GB 6675.1-2014"}]), "not a European standard"),
        (lambda h, r: ([n for n in h if n != "Title"], r), "Row 0, Title: Missing column(s)."),
        (lambda h, r: (h, [{**r[0], "Status": "Lost"}]), "Row 1, Status: Unknown status “Lost”."),
        (lambda h, r: (h, [{**r[0], "Degree": "SAME"}]), "Row 1, Degree: The degree must be"),
    ],
    ids=["bad-date", "duplicate", "unknown-ics", "unparsable", "not-european", "missing-column",
         "unknown-status", "bad-degree"],
)  # fmt: skip
def test_broken_cen_lists_are_refused(reference_tables, tmp_path, change, expected):
    header, rows = change(*rows_of(CEN))
    errors = refused(import_cen_list, write(tmp_path / "broken.csv", header, rows))
    assert any(expected in error for error in errors), errors


def test_cen_list_in_another_encoding_is_refused(reference_tables, tmp_path):
    header, rows = rows_of(CEN)
    errors = refused(import_cen_list, write(tmp_path / "utf16.csv", header, rows, "utf-16"))
    assert errors == ["Row 0, file: The file is neither UTF-8 nor GBK text."]


# -- The Commission's summary lists ------------------------------------------------------------


@pytest.fixture
def toy_directive(reference_tables):
    regulation = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
    regulation.sectors.set([s for s in reference_tables if s.slug == "toys"])
    return regulation


def test_harmonised_list_cites_standards_and_ends_the_superseded_ones(toy_directive):
    report = import_harmonised_list(TOYS, toy_directive)
    assert report.rows == 4
    cited = Citation.objects.get(regulation=toy_directive, standard__key="EN71-1:2014+AMD1:2018")
    assert cited.kind == "harmonised"
    assert cited.oj_reference == "OJ C 282, 10.8.2018, p. 3"
    assert cited.date_cited == datetime.date(2018, 8, 10)
    assert cited.replaces.key == "EN71-1:2014"
    ended = Citation.objects.get(regulation=toy_directive, standard__key="EN71-1:2014")
    assert ended.presumption_ends == datetime.date(2019, 2, 28)
    standard = cited.standard
    assert standard.title_en == "Safety of toys - Part 1: Mechanical and physical properties"
    assert list(standard.sectors.values_list("slug", flat=True)) == ["toys"]
    # EN 71-3:2019 is both cited and, by its A1, superseded.
    en713 = Citation.objects.get(regulation=toy_directive, standard__key="EN71-3:2019")
    assert en713.presumption_ends == datetime.date(2022, 5, 15)
    assert en713.oj_reference == "Implementing Decision (EU) 2019/1728"
    assert Change.objects.filter(regulation=toy_directive, kind="cited").count() >= 4


def test_harmonised_list_is_idempotent(toy_directive):
    import_harmonised_list(TOYS, toy_directive)
    counts = (Standard.objects.count(), Citation.objects.count(), Change.objects.count())
    report = import_harmonised_list(TOYS, toy_directive)
    assert report.citations == 0 and report.created == 0
    assert (Standard.objects.count(), Citation.objects.count(), Change.objects.count()) == counts


REFERENCE = "Reference and title of the standard"
CESSATION = "Date of cessation of presumption of conformity of the superseded standard"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h, r: ([n for n in h if n != "ESO"], r), "Row 0, ESO: Missing column(s)."),
        (lambda h, r: (h, [{**r[0], "ESO": "DIN"}]), "Row 1, ESO: Unknown ESO “DIN”"),
        (lambda h, r: (h, [{**r[0], CESSATION: "2019-02-30"}]), f"Row 1, {CESSATION}:"),
        (lambda h, r: (h, [{**r[0], REFERENCE: "Safety of toys"}]), f"Row 1, {REFERENCE}:"),
        (lambda h, r: (h, [r[0], r[0]]), "Row 2, Reference and title of the standard: The same"),
        (lambda h, r: (h, [{**r[0], "OJ reference": ""}]), "Row 1, OJ reference: The OJ"),
        (lambda h, r: (h, [{**r[0], "Superseded standard": ""}]), "needs a superseded standard"),
    ],
    ids=["missing-eso", "unknown-eso", "bad-date", "no-reference", "duplicate", "no-oj",
         "cessation-without-superseded"],
)  # fmt: skip
def test_broken_harmonised_lists_are_refused(toy_directive, tmp_path, change, expected):
    header, rows = change(*rows_of(TOYS))
    path = write(tmp_path / "broken.csv", header, rows)
    errors = refused(import_harmonised_list, path, toy_directive)
    assert any(expected in error for error in errors), errors
