"""SAMR's national-standard list layout: CSV (UTF-8, BOM, GBK) and XLSX."""

import datetime
from pathlib import Path

import openpyxl
import pytest

from cesip.tabular import ImportRefused, read_table
from standards import status
from standards.imports.samr import import_samr_list
from standards.models import Change, ChangeKind, Replacement, Stage, Standard, Status

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samr_sample.csv"


def _write(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "gb.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(tmp_path: Path, text: str) -> Path:
    header, rows = read_table(_write(tmp_path, text))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row[column] for column in header])
    path = tmp_path / "gb.xlsx"
    book.save(path)
    return path


def test_imports_a_gb_standard_with_its_facts_and_replacement(reference_tables):
    report = import_samr_list(SAMPLE)
    assert (report.rows, report.created, report.warnings) == (2, 2, [])
    toys = Standard.objects.get(key="GB6675.1:2014")
    assert (toys.title_zh_hans, toys.title_en) == (
        "玩具安全 第1部分:基本规范",
        "Toys safety -- Part 1: Basic code",
    )
    assert (toys.legal_force, toys.jurisdiction, toys.body.code) == ("mandatory", "CN", "SAC")
    assert (toys.issued_date, toys.implementation_date) == (
        datetime.date(2014, 5, 6),
        datetime.date(2016, 1, 1),
    )
    assert (toys.stage, toys.status_label, toys.status) == (Stage.PUBLISHED, "有效", Status.CURRENT)
    assert toys.committee_code == "SAC/TC 253"
    assert [c.code for c in toys.ics_codes.all()] == ["97.200.50"]
    assert [c.code for c in toys.ccs_codes.all()] == ["Y57"]
    assert [s.slug for s in toys.sectors.all()] == ["toys"]
    old = Standard.objects.get(key="GB6675:2003")
    assert old.stage == Stage.SUPERSEDED and old.issued_date is None
    link = Replacement.objects.get(new=toys)
    assert (link.old, link.extent) == (old, "partial")
    assert Change.objects.filter(standard=old, kind=ChangeKind.REPLACED).exists()


def test_reimporting_changes_nothing(reference_tables):
    import_samr_list(SAMPLE)
    count = Change.objects.count()
    history = Standard.objects.get(key="GB6675.1:2014").history.count()
    again = import_samr_list(SAMPLE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Change.objects.count() == count
    assert Standard.objects.get(key="GB6675.1:2014").history.count() == history


@pytest.mark.parametrize("variant", ["utf-8-sig", "gbk", "xlsx"])
def test_same_list_in_bom_gbk_and_xlsx(reference_tables, tmp_path, variant):
    text = SAMPLE.read_text(encoding="utf-8")
    path = _xlsx(tmp_path, text) if variant == "xlsx" else _write(tmp_path, text, encoding=variant)
    report = import_samr_list(path)
    assert report.created == 2
    assert Standard.objects.get(key="GB6675.1:2014").title_zh_hans == "玩具安全 第1部分:基本规范"


def test_a_link_to_a_standard_not_held_is_a_warning(reference_tables, tmp_path):
    first_row_only = "\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:2])
    report = import_samr_list(_write(tmp_path, first_row_only))
    assert report.created == 1
    assert report.warnings == [
        "GB 6675.1-2014 replaces GB 6675-2003, which is not in the catalogue."
    ]


@pytest.mark.parametrize(
    "old,new,column,words",
    [
        ("2014-05-06", "2014-05-36", "发布日期", "2014-05-36"),
        ("97.200.50", "97.999.99", "ICS", "97.999.99"),
        ("GB 6675.1-2014,", "GB 6675.1-20x4,", "标准号", "20x4"),
        ("GB 6675.1-2014,", "EN 71-1:2014,", "标准号", "not a Chinese standard"),
        ("有效", "停用", "标准状态", "停用"),
        ("GB 6675-2003,国家", "GB 6675.1-2014,国家", "标准号", "same standard as row 1"),
        ("标准号,", "编号,", "标准号", "Missing column"),
    ],
    ids=["bad date", "unknown ICS", "unparseable", "not Chinese", "unknown status", "duplicate", "missing column"],  # noqa: E501
)  # fmt: skip
def test_broken_lists_are_refused_with_nothing_written(
    reference_tables, tmp_path, old, new, column, words
):
    text = SAMPLE.read_text(encoding="utf-8").replace(old, new, 1)
    with pytest.raises(ImportRefused) as refused:
        import_samr_list(_write(tmp_path, text))
    assert any(e.field == column and words in str(e) for e in refused.value.errors), str(
        refused.value
    )
    assert not Standard.objects.exists() and not Change.objects.exists()


def test_a_file_in_neither_utf8_nor_gbk_is_refused(reference_tables, tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes(b"\xff\xfe\x00\xd8" * 10)
    with pytest.raises(ImportRefused, match="neither UTF-8 nor GBK"):
        import_samr_list(path)


def test_command_reports_counts_and_refusals(reference_tables, tmp_path):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("import_samr_list", str(SAMPLE), stdout=out)
    assert "2 rows, 2 created" in out.getvalue()
    broken = _write(tmp_path, SAMPLE.read_text(encoding="utf-8").replace("2014-05-06", "x"))
    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_samr_list", str(broken), stdout=io.StringIO())


@pytest.mark.parametrize("label", ["现行", "未生效", "Active", "Upcoming", "即将实施"])
def test_status_words_of_real_lists_are_understood(reference_tables, tmp_path, label):
    text = SAMPLE.read_text(encoding="utf-8").replace("有效", label, 1)
    import_samr_list(_write(tmp_path, text))
    standard = Standard.objects.get(key="GB6675.1:2014")
    assert (standard.stage, standard.status_label) == (Stage.PUBLISHED, label)


def test_adopted_standard_with_a_note_and_no_degree(reference_tables, tmp_path):
    from tests.factories import make_standard

    make_standard("ISO 8124-1:2009", title_en="Safety of toys — Part 1")
    with_note = SAMPLE.read_text(encoding="utf-8").replace(
        "GB 6675-2003 (部分),,,", "GB 6675-2003 (部分),ISO 8124-1:2009 (Ed2),,", 1
    )
    report = import_samr_list(_write(tmp_path, with_note))
    assert report.warnings == [
        "GB 6675.1-2014 adopts ISO 8124-1:2009, but the list gives no degree (IDT, MOD, NEQ)."
    ]
    assert not Standard.objects.get(key="GB6675.1:2014").adoptions.exists()
    with_degree = with_note.replace("(Ed2),,", "(Ed2),NEQ,", 1)
    import_samr_list(_write(tmp_path, with_degree, name="again.csv"))
    (adoption,) = Standard.objects.get(key="GB6675.1:2014").adoptions.all()
    assert (adoption.adopted.identifier, adoption.degree) == ("ISO 8124-1:2009", "NEQ")


def test_an_adopted_document_that_is_not_a_standard_is_a_warning(reference_tables, tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "GB 6675-2003 (部分),,,", "GB 6675-2003 (部分),ECE R44,,", 1
    )
    report = import_samr_list(_write(tmp_path, text))
    assert report.created == 2
    assert report.warnings == [
        "GB 6675.1-2014 adopts “ECE R44”, which is not a standard identifier CESIP can read."
    ]


def _adopting(tmp_path, reference: str, name: str = "adopts.csv") -> Path:
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "GB 6675-2003 (部分),,,", f"GB 6675-2003 (部分),{reference},IDT,", 1
    )
    return _write(tmp_path, text, name=name)


def test_an_adoption_dated_by_a_consolidated_version_links_to_its_edition(
    reference_tables, tmp_path
):
    """Chinese lists name the 2010 edition as amended in 2016 "IEC 60335-1:2016"."""
    from tests.factories import make_standard

    for identifier in ("IEC 60335-1:2001", "IEC 60335-1:2010", "IEC 60335-1:2020",
                       "IEC 60335-1:2010+AMD1:2013+AMD2:2016 CSV"):  # fmt: skip
        make_standard(identifier, title_en="Household appliances - Safety - Part 1")
    report = import_samr_list(_adopting(tmp_path, "IEC 60335-1:2016 (Ed5.2)"))
    (adoption,) = Standard.objects.get(key="GB6675.1:2014").adoptions.all()
    assert (adoption.adopted.identifier, adoption.degree, adoption.named_as) == (
        "IEC 60335-1:2010",
        "IDT",
        "IEC 60335-1:2016",
    )
    assert report.warnings == [
        "GB 6675.1-2014 adopts IEC 60335-1:2016: linked to IEC 60335-1:2010, whose "
        "consolidated version IEC 60335-1:2010+AMD1:2013+AMD2:2016 CSV carries that date."
    ]
    again = import_samr_list(_adopting(tmp_path, "IEC 60335-1:2016", name="again.csv"))
    assert again.changes == 0


def test_without_the_consolidated_version_the_edition_published_by_then_is_taken(
    reference_tables, tmp_path
):
    from tests.factories import make_standard

    for identifier in ("IEC 60335-1:2001", "IEC 60335-1:2010", "IEC 60335-1:2020"):
        make_standard(identifier, title_en="Household appliances - Safety - Part 1")
    report = import_samr_list(_adopting(tmp_path, "IEC 60335-1:2004"))
    (adoption,) = Standard.objects.get(key="GB6675.1:2014").adoptions.all()
    assert (adoption.adopted.identifier, adoption.named_as) == (
        "IEC 60335-1:2001",
        "IEC 60335-1:2004",
    )
    assert (
        "linked to IEC 60335-1:2001, the latest edition published by then" in (report.warnings[0])
    )


def test_an_adoption_older_than_every_edition_is_not_linked(reference_tables, tmp_path):
    from tests.factories import make_standard

    make_standard("IEC 60335-1:2010", title_en="Household appliances - Safety - Part 1")
    report = import_samr_list(_adopting(tmp_path, "IEC 60335-1:1991"))
    assert not Standard.objects.get(key="GB6675.1:2014").adoptions.exists()
    assert report.warnings == [
        "GB 6675.1-2014 adopts IEC 60335-1:1991, which is not in the catalogue."
    ]


def test_an_exact_adoption_keeps_no_other_name(reference_tables, tmp_path):
    from tests.factories import make_standard

    make_standard("IEC 60335-1:2010", title_en="Household appliances - Safety - Part 1")
    make_standard("IEC 60335-1:2010+AMD1:2013+AMD2:2016 CSV", title_en="Household appliances")
    report = import_samr_list(_adopting(tmp_path, "IEC 60335-1:2010"))
    (adoption,) = Standard.objects.get(key="GB6675.1:2014").adoptions.all()
    assert (adoption.adopted.identifier, adoption.named_as) == ("IEC 60335-1:2010", "")
    assert report.warnings == []


HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
OLD_ROW = "GB 9706.1-2007,医用电气设备 第1部分:安全通用要求,,现行,2007-07-02,2008-07-01,,,,,,,,,,https://example.org/old"
NEW_ROW = "GB 9706.1-2020,医用电气设备 第1部分:基本安全和基本性能的通用要求,,现行,2020-04-09,{day},,{replaces},,,,,,,,https://example.org/new"


def _list(tmp_path, *rows, name="gb.csv") -> Path:
    return _write(tmp_path, "\n".join([HEADER, *rows]) + "\n", name=name)


def test_a_standard_wholly_replaced_is_superseded_when_the_new_one_applies(
    reference_tables, tmp_path
):
    """Lists keep the old standard 现行 until refreshed; SAMR abolishes it on the day the
    standard replacing it comes into force."""
    new = NEW_ROW.format(day="2023-05-01", replaces="GB 9706.1-2007")
    import_samr_list(_list(tmp_path, OLD_ROW, new))
    old = Standard.objects.get(key="GB9706.1:2007")
    assert (old.stage, old.withdrawn_date, old.status_label) == (
        Stage.SUPERSEDED,
        datetime.date(2023, 5, 1),
        "现行",  # the source's own word is kept
    )
    # Published before it applies: the old one is superseded, still valid until that day.
    assert old.superseded_by.key == "GB9706.1:2020"
    assert old.status_on(datetime.date(2023, 4, 30)) == Status.TRANSITION
    assert old.status_on(datetime.date(2023, 5, 1)) == Status.SUPERSEDED
    again = import_samr_list(_list(tmp_path, OLD_ROW, new, name="again.csv"))
    assert (again.updated, again.changes) == (0, 0)


def test_an_old_standard_already_in_the_catalogue_is_superseded_by_a_later_list(
    reference_tables, tmp_path
):
    import_samr_list(_list(tmp_path, OLD_ROW))
    assert Standard.objects.get(key="GB9706.1:2007").stage == Stage.PUBLISHED
    new = NEW_ROW.format(day="2023-05-01", replaces="GB 9706.1-2007")
    report = import_samr_list(_list(tmp_path, new, name="new.csv"))
    old = Standard.objects.get(key="GB9706.1:2007")
    assert (old.stage, old.withdrawn_date) == (Stage.SUPERSEDED, datetime.date(2023, 5, 1))
    assert Change.objects.filter(standard=old, fields__has_key="stage").exists()
    assert report.changes >= 1
    assert old.history.count() == 2  # created, then superseded
    # The old standard's own list, imported again, does not bring it back.
    again = import_samr_list(_list(tmp_path, OLD_ROW, name="old-again.csv"))
    assert (again.updated, Standard.objects.get(key="GB9706.1:2007").stage) == (
        0,
        Stage.SUPERSEDED,
    )


def test_a_replacement_not_yet_in_force_leaves_the_old_standard_valid_until_it_applies(
    reference_tables, tmp_path
):
    new = NEW_ROW.format(day="2099-01-01", replaces="GB 9706.1-2007")
    import_samr_list(_list(tmp_path, OLD_ROW, new))
    old = Standard.objects.with_status().select_related("superseded_by").get(key="GB9706.1:2007")
    assert old.current_status == Status.TRANSITION  # never plain "current"
    assert old.valid_until == old.withdrawn_date == datetime.date(2099, 1, 1)
    assert str(status.phrase(old)) == (
        "Superseded, still valid (replaced by GB 9706.1-2020, valid until 2099-01-01)"
    )


def test_a_partial_replacement_does_not_retire_the_old_standard(reference_tables, tmp_path):
    new = NEW_ROW.format(day="2023-05-01", replaces="GB 9706.1-2007 (部分)")
    import_samr_list(_list(tmp_path, OLD_ROW, new))
    old = Standard.objects.get(key="GB9706.1:2007")
    assert (old.stage, old.withdrawn_date) == (Stage.PUBLISHED, None)


def test_a_current_label_with_an_abolition_date_is_withdrawn_from_that_day(
    reference_tables, tmp_path
):
    row = OLD_ROW.replace("2008-07-01,,", "2008-07-01,2020-01-01,", 1)
    import_samr_list(_list(tmp_path, row))
    old = Standard.objects.get(key="GB9706.1:2007")
    assert (old.stage, old.status_label) == (Stage.WITHDRAWN, "现行")
    assert old.status_on(datetime.date(2019, 12, 31)) == Status.CURRENT
    assert old.status_on(datetime.date(2020, 1, 1)) == Status.WITHDRAWN
