"""Curators' translations (standards.imports.translations, data/demo/translations.csv)."""

import csv

import pytest

from cesip.tabular import ImportRefused
from standards.imports.translations import import_translations
from standards.models import Change
from tests.factories import cite, make_regulation, make_standard

pytestmark = pytest.mark.django_db

HEADER = ["record", "field", "text", "source", "original", "note"]


def write(tmp_path, rows):
    path = tmp_path / "translations.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def toys(reference_tables):
    iso = make_standard("ISO 8124-2:2023", title_en="Safety of toys - Part 2: Flammability",
                        title_en_source="official")  # fmt: skip
    gb = make_standard(
        "GB 6675.3-2014", title_en="", title_zh_hans="玩具安全 第3部分:易燃性能",
        title_zh_hans_source="official",
    )  # fmt: skip
    act = make_regulation("Directive 2009/48/EC")
    citation = cite(act, make_standard("EN 71-2:2020"), restrictions_en="Cited alone.")
    return iso, gb, citation


def test_fills_titles_and_notes_marked_as_curator_translations(tmp_path, toys):
    iso, gb, citation = toys
    path = write(tmp_path, [
        ["ISO 8124-2:2023", "title_zh_hans", "玩具安全 第2部分：易燃性能", "curator",
         "Safety of toys - Part 2: Flammability", ""],
        ["GB 6675.3-2014", "title_en", "Safety of toys - Part 3: Flammability", "curator", "", ""],
        ["Directive 2009/48/EC → EN 71-2:2020", "restrictions_zh_hans", "单独引用。", "curator",
         "Cited alone.", ""],
    ])  # fmt: skip
    report = import_translations(path)
    iso.refresh_from_db()
    gb.refresh_from_db()
    citation.refresh_from_db()
    assert (iso.title_zh_hans, iso.title_zh_hans_source) == (
        "玩具安全 第2部分：易燃性能",
        "curator",
    )
    assert (gb.title_en_source, citation.restrictions_zh_hans) == ("curator", "单独引用。")
    assert report.updated == 3 and not report.warnings
    assert Change.objects.filter(kind="translation", standard=iso).exists()
    assert import_translations(path).unchanged == 3  # idempotent


def test_refuses_unknown_records_and_fields_by_row(tmp_path, toys):
    path = write(tmp_path, [
        ["ISO 9999:2020", "title_zh_hans", "某标题", "curator", "", ""],
        ["ISO 8124-2:2023", "status_label", "现行", "curator", "", ""],
        ["ISO 8124-2:2023", "title_zh_hans", "标题", "machine", "", ""],
    ])  # fmt: skip
    with pytest.raises(ImportRefused) as refused:
        import_translations(path)
    text = str(refused.value)
    assert "Row 1, record: No record is called “ISO 9999:2020”." in text
    assert "Row 2, field: “status_label” is not a translated field of this record" in text
    assert "Row 3, source: The source must be curator or official." in text


def test_never_replaces_an_official_title_or_a_changed_original(tmp_path, toys):
    iso, gb, _citation = toys
    path = write(tmp_path, [
        ["GB 6675.3-2014", "title_zh_hans", "另一个标题", "curator", "", ""],
        ["ISO 8124-2:2023", "title_zh_hans", "玩具安全 第2部分", "curator", "Safety of toys", ""],
    ])  # fmt: skip
    report = import_translations(path, record=False)
    gb.refresh_from_db()
    iso.refresh_from_db()
    assert gb.title_zh_hans == "玩具安全 第3部分:易燃性能"
    assert not iso.title_zh_hans
    assert [w.split(" left out")[0] for w in report.warnings] == [
        "Row 1, GB 6675.3-2014 title_zh_hans",
        "Row 2, ISO 8124-2:2023 title_zh_hans",
    ]
    assert "keeps its official text" in report.warnings[0]
    assert "has changed since" in report.warnings[1]
