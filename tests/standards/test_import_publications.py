"""The bulk importer for the ISO, IEC and ETSI publication lists."""

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cesip.tabular import ImportRefused
from standards.imports.publications import import_publications
from standards.models import Change, ChangeKind, ChangeVia, Stage, Standard

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def reference_data(reference_tables):
    """ICS, CCS, HS, the sectors and their codes (loaded once per session)."""


def _rewrite(tmp_path: Path, name: str, edit) -> Path:
    rows = list(csv.DictReader((SAMPLES / name).open(encoding="utf-8")))
    fieldnames = list(rows[0])
    rows, fieldnames = edit(rows, fieldnames)
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_iso_rows_import_with_codes_sectors_and_month_precision():
    report = import_publications(SAMPLES / "iso_sample.csv", "iso")
    assert (report.rows, report.created, report.unchanged) == (41, 41, 0)
    toys = Standard.objects.get(key="ISO8124-1:2022")
    assert toys.title_en.startswith("Safety of toys")
    assert (toys.body.code, toys.jurisdiction, toys.legal_force) == ("ISO", "INT", "voluntary")
    assert toys.issued_precision == "month" and toys.issued_date.day == 1
    assert list(toys.ics_codes.values_list("code", flat=True)) == ["97.200.50"]
    assert list(toys.sectors.values_list("slug", flat=True)) == ["toys"]
    assert toys.source_url.startswith("https://www.iso.org/")
    withdrawn = Standard.objects.get(key="ISO8124-1:2018")
    assert withdrawn.stage == Stage.WITHDRAWN and withdrawn.status_label.startswith("95")
    assert Change.objects.filter(kind=ChangeKind.NEW, via=ChangeVia.IMPORT).count() == 41
    assert toys.history.count() == 1


def test_importing_the_same_file_again_changes_nothing():
    import_publications(SAMPLES / "iec_sample.csv", "iec")
    changes_before = Change.objects.count()
    again = import_publications(SAMPLES / "iec_sample.csv", "iec")
    assert (again.created, again.updated, again.unchanged) == (0, 0, again.rows)
    assert Change.objects.count() == changes_before
    consolidated = Standard.objects.get(identifier="IEC 60335-2-23:2016+AMD1:2019 CSV")
    assert consolidated.sectors.filter(slug="electrical-equipment").exists()


def test_a_changed_row_is_updated_with_its_change_recorded(tmp_path):
    import_publications(SAMPLES / "iec_sample.csv", "iec")

    def edit(rows, fieldnames):
        rows[0]["title_en"] += " (corrected)"
        return rows, fieldnames

    report = import_publications(_rewrite(tmp_path, "iec_sample.csv", edit), "iec")
    assert (report.created, report.updated) == (0, 1)
    (change,) = Change.objects.filter(kind=ChangeKind.TRANSLATION)
    old, new = change.fields["title_en"]
    assert new == old + " (corrected)"


def test_etsi_later_versions_supersede_earlier_ones():
    import_publications(SAMPLES / "etsi_sample.csv", "etsi")
    versions = Standard.objects.filter(family_key="ETSIEN301489-1").order_by("key")
    stages = {s.identifier.split(" V")[1].split(" ")[0]: s.stage for s in versions}
    latest = max(stages, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert stages.pop(latest) == Stage.PUBLISHED
    assert stages and set(stages.values()) == {Stage.SUPERSEDED}


@pytest.mark.parametrize(
    "edit,field,words",
    [
        (lambda rows, f: ([{**rows[0], "published": "2019-13"}, *rows[1:]], f), "published", "2019-13"),  # noqa: E501
        (lambda rows, f: ([{**rows[0], "ics": "97.999.99"}, *rows[1:]], f), "ics", "97.999.99"),
        (lambda rows, f: ([{**rows[0], "docid": "ISO hello"}, *rows[1:]], f), "docid", "hello"),
        (lambda rows, f: ([{k: v for k, v in r.items() if k != "ics"} for r in rows],
                          [c for c in f if c != "ics"]), "ics", "Missing column"),
    ],
    ids=["bad date", "unknown ICS", "unparseable identifier", "missing column"],
)  # fmt: skip
def test_broken_files_are_refused_with_nothing_written(tmp_path, edit, field, words):
    path = _rewrite(tmp_path, "iso_sample.csv", edit)
    with pytest.raises(ImportRefused) as refused:
        import_publications(path, "iso")
    assert any(e.field == field and words in str(e) for e in refused.value.errors), str(
        refused.value
    )
    assert not Standard.objects.exists() and not Change.objects.exists()


def test_wrong_encoding_is_refused(tmp_path):
    path = tmp_path / "iso.csv"
    text = (SAMPLES / "iso_sample.csv").read_text(encoding="utf-8")
    path.write_bytes(text.replace("Safety of toys", "玩具安全").encode("gbk"))
    with pytest.raises(ImportRefused, match="not UTF-8"):
        import_publications(path, "iso")
    assert not Standard.objects.exists()


def test_command_prints_counts_time_and_memory(tmp_path):
    out = io.StringIO()
    call_command("import_standards", str(SAMPLES / "etsi_sample.csv"), format="etsi", stdout=out)
    summary = out.getvalue().strip().splitlines()[-1]
    assert "4 rows, 4 created" in summary
    assert " s, peak memory (RSS) " in summary and summary.endswith(" MB.")
    broken = tmp_path / "etsi.csv"
    shutil.copy(SAMPLES / "etsi_sample.csv", broken)
    broken.write_text(broken.read_text().replace("V2.2.3", "Vx.y"), encoding="utf-8")
    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_standards", str(broken), format="etsi", stdout=io.StringIO())


def test_rows_repeating_an_earlier_one_are_left_out_but_disagreeing_repeats_refused(tmp_path):
    def same_document_other_spelling(rows, fieldnames):
        return [*rows, {**rows[0], "docid": rows[0]["docid"].replace("ISO ", "iso ")}], fieldnames

    report = import_publications(
        _rewrite(tmp_path, "iso_sample.csv", same_document_other_spelling), "iso"
    )
    assert (report.created, report.duplicates) == (41, 1)

    def disagreeing(rows, fieldnames):
        return [*rows, {**rows[0], "title_en": "Another title"}], fieldnames

    with pytest.raises(ImportRefused, match="same standard as row 1"):
        import_publications(_rewrite(tmp_path, "iso_sample.csv", disagreeing), "iso")


def test_skip_invalid_leaves_out_and_lists_the_bad_rows(tmp_path):
    def edit(rows, fieldnames):
        return [{**rows[0], "title_en": ""}, *rows[1:]], fieldnames

    report = import_publications(
        _rewrite(tmp_path, "iso_sample.csv", edit), "iso", skip_invalid=True
    )
    assert report.created == 40
    assert [(e.row, e.field) for e in report.skipped] == [(1, "title_en")]


def test_joint_documents_keep_their_first_publishers_record():
    import_publications(SAMPLES / "iso_sample.csv", "iso")
    iec = import_publications(SAMPLES / "iec_sample.csv", "iec")
    lab = Standard.objects.get(key="ISO/IEC17025:2017".replace("/", ""))
    assert lab.body.code == "ISO"
    assert lab.source_url == "https://www.iso.org/standard/66912.html"
    assert iec.updated == 0
    again = import_publications(SAMPLES / "iso_sample.csv", "iso")
    assert (again.created, again.updated) == (0, 0)
