"""Regulations, rule citations, product terms and market-access notes (data/demo layouts),
and the admin's upload of CEN/CENELEC and harmonised lists."""

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from cesip.tabular import ImportRefused
from sectors.imports import import_market_access, import_product_terms
from sectors.models import ProductTerm, Sector
from standards.imports.regulations import import_regulations, import_rule_citations
from standards.models import Change, Citation, Standard, TechnicalRegulation
from tests.factories import make_regulation, make_standard

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
DATA = Path(__file__).resolve().parents[1] / "data"


def first_rows(path: Path, count: int) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), [row for _i, row in zip(range(count), reader, strict=False)]


def write(path: Path, header: list[str], rows: list[dict]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_eu_acts_load_with_successors_and_are_idempotent(reference_tables):
    report = import_regulations(DEMO / "regulations" / "eu.csv")
    assert report.created >= 15
    toys = TechnicalRegulation.objects.get(reference="Directive 2009/48/EC")
    assert toys.successor.reference == "Regulation (EU) 2025/2509"
    assert toys.title_en_source == "official" and toys.title_zh_hans_source == "curator"
    assert toys.search_zh_title  # segmented for search
    assert Change.objects.filter(regulation=toys, kind="new").exists()
    changes = Change.objects.count()
    again = import_regulations(DEMO / "regulations" / "eu.csv")
    assert again.created == again.updated == 0
    assert Change.objects.count() == changes


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"kind": "law"}, "Row 1, kind: Unknown value “law”."),
        ({"adopted_date": "2009-06-31"}, "Row 1, adopted_date:"),
        ({"sectors": "toys;robots"}, "Row 1, sectors: Unknown code(s): robots."),
        ({"successor": "Regulation (EU) 9999/1"}, "Row 1, successor:"),
        ({"title_en": ""}, "Row 1, title_en: This column cannot be empty."),
    ],
)
def test_broken_regulation_lists_are_refused(reference_tables, tmp_path, edit, expected):
    header, rows = first_rows(DEMO / "regulations" / "eu.csv", 1)
    rows[0].update(edit)
    with pytest.raises(ImportRefused) as refused:
        import_regulations(write(tmp_path / "r.csv", header, rows))
    assert any(expected in str(e) for e in refused.value.errors), refused.value.errors
    assert not TechnicalRegulation.objects.exists()


def test_rule_citations_need_known_rules_and_standards(reference_tables, tmp_path):
    rule = make_regulation("CNCA-C22-02:2020", jurisdiction="CN", kind="cn-ccc")
    make_standard("GB 6675.1-2014", title_zh_hans="玩具安全 第1部分:基本规范")
    header = ["rule", "standard", "kind", "restrictions_en", "restrictions_zh_hans"]
    good = {"rule": rule.reference, "standard": "GB 6675.1-2014", "kind": "ccc-testing"}
    assert import_rule_citations(write(tmp_path / "ok.csv", header, [good])).citations == 1
    assert Citation.objects.get(regulation=rule).standard.key == "GB6675.1:2014"
    bad = [
        {**good, "rule": "CNCA-C99-99:2099"},
        {**good, "standard": "GB 6675.2-2014"},
        {**good, "kind": "harmonised"},
    ]
    with pytest.raises(ImportRefused) as refused:
        import_rule_citations(write(tmp_path / "bad.csv", header, bad))
    messages = [str(e) for e in refused.value.errors]
    assert any("Row 1, rule: Unknown regulation" in m for m in messages)
    assert any("Row 2, standard: GB 6675.2-2014 is not in the catalogue." in m for m in messages)
    assert any("Row 3, kind:" in m for m in messages)


def test_product_terms_load_and_refuse_unknown_codes(reference_tables, tmp_path):
    header = ["name_en", "name_zh_hans", "synonyms", "hs_codes", "sectors", "source_url"]
    rows = [
        {"name_en": "hair dryer", "name_zh_hans": "电吹风", "synonyms": "hairdryer;吹风机",
         "hs_codes": "851631", "sectors": "electrical-equipment"},
    ]  # fmt: skip
    assert import_product_terms(write(tmp_path / "t.csv", header, rows)).created == 1
    term = ProductTerm.objects.get(name_en="hair dryer")
    assert term.synonyms.splitlines() == ["hairdryer", "吹风机"]
    assert import_product_terms(write(tmp_path / "t.csv", header, rows)).unchanged == 1
    rows[0]["hs_codes"] = "851699"
    with pytest.raises(ImportRefused, match="Unknown code"):
        import_product_terms(write(tmp_path / "t.csv", header, rows))


def test_market_access_notes_fill_both_directions(reference_tables, tmp_path):
    report = import_market_access(DEMO / "market_access.csv")
    assert report.updated == Sector.objects.count()
    toys = Sector.objects.get(slug="toys")
    assert toys.market_access_eu_to_cn_en and toys.market_access_cn_to_eu_zh_hans
    assert toys.market_access_sources.startswith("http")
    header, rows = first_rows(DEMO / "market_access.csv", 2)
    rows[1] = {**rows[0]}
    with pytest.raises(ImportRefused, match="The same note as row 1"):
        import_market_access(write(tmp_path / "m.csv", header, rows))


def test_sector_files_refuse_denied_and_non_web_sources(reference_tables, tmp_path):
    header = ["name_en", "name_zh_hans", "synonyms", "hs_codes", "sectors", "source_url"]
    rows = [
        {"name_en": "hair dryer", "name_zh_hans": "电吹风", "hs_codes": "851631",
         "source_url": "https://www.scribd.com/document/1/hair-dryers"},
        {"name_en": "kettle", "name_zh_hans": "电水壶", "hs_codes": "851679",
         "source_url": "javascript:alert(1)"},
    ]  # fmt: skip
    with pytest.raises(ImportRefused) as refused:
        import_product_terms(write(tmp_path / "t.csv", header, rows))
    messages = [str(error) for error in refused.value.errors]
    assert any("Row 1, source_url:" in m and "scribd.com" in m for m in messages), messages
    assert any("Row 2, source_url:" in m and "javascript" in m for m in messages), messages
    assert not ProductTerm.objects.exists()

    header, rows = first_rows(DEMO / "market_access.csv", 1)
    rows[0]["sources"] += ";https://www.renrendoc.com/paper/1.html"
    with pytest.raises(ImportRefused, match="renrendoc.com"):
        import_market_access(write(tmp_path / "m.csv", header, rows))


# -- admin uploads -----------------------------------------------------------------------------


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_curator_imports_a_cen_list_in_the_admin(curator_client, reference_tables, immediate_tasks):
    url = reverse("admin:standards_standard_import_list")
    with (DATA / "cen_sample.csv").open("rb") as handle:
        response = curator_client.post(url, {"file": handle, "list_name": "cen"})
    html = response.content.decode()
    assert response.status_code == 200
    assert not Standard.objects.exists()  # a preview writes nothing
    token = html.split('name="token" value="')[1].split('"')[0]
    response = curator_client.post(url, {"token": token, "list_name": "cen"})
    assert response.status_code == 302
    assert Standard.objects.filter(key="EN71-2:2020").exists()
    assert Change.objects.filter(standard__key="EN71-2:2020", actor__isnull=False).exists()


def test_curator_imports_a_harmonised_list_on_the_act_page(curator_client, reference_tables):
    act = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
    change = reverse("admin:standards_technicalregulation_change", args=[act.pk])
    assert "Import the list of harmonised standards" in curator_client.get(change).content.decode()
    url = reverse("admin:standards_technicalregulation_import_harmonised", args=[act.pk])
    with (DATA / "harmonised_toys.csv").open("rb") as handle:
        preview = curator_client.post(url, {"file": handle})
    assert "citations will be written" in preview.content.decode()
    assert not Citation.objects.exists()
    token = preview.content.decode().split('name="token" value="')[1].split('"')[0]
    response = curator_client.post(url, {"token": token})
    assert response.status_code == 302
    assert Citation.objects.filter(regulation=act, standard__key="EN71-2:2020").exists()


def test_a_broken_harmonised_list_is_refused_in_the_admin(
    curator_client, reference_tables, tmp_path
):
    act = make_regulation("Directive 2009/48/EC")
    broken = tmp_path / "broken.csv"
    broken.write_text("ESO,Reference\nCEN,EN 71-1:2014\n", encoding="utf-8")
    url = reverse("admin:standards_technicalregulation_import_harmonised", args=[act.pk])
    with broken.open("rb") as handle:
        response = curator_client.post(url, {"file": handle})
    html = response.content.decode()
    assert "Nothing was written" in html and "Missing column" in html
