"""The demo catalogue shipped under data/demo/: real records, each with its source, in
every sector from both jurisdictions, linked across the border."""

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from sectors.models import ProductTerm, Sector
from standards.identifiers import parse_identifier
from standards.models import Citation, Standard, TechnicalRegulation
from standards.sources import source_problem

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
SECTORS = Path(__file__).resolve().parents[2] / "data" / "sectors.csv"
MINIMUM_PER_SECTOR = 15


def _rows(pattern: str) -> list[dict]:
    rows = []
    for path in sorted(DEMO.glob(pattern)):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [{**row, "_file": path.name} for row in csv.DictReader(handle)]
    return rows


def _sector_slugs() -> list[str]:
    with SECTORS.open(encoding="utf-8", newline="") as handle:
        return [row["slug"] for row in csv.DictReader(handle)]


def _unconfirmed() -> set[tuple[str, str]]:
    """(file, record) pairs data/demo/unconfirmed.csv lists: facts whose only source was
    a denied link, removed."""
    with (DEMO / "unconfirmed.csv").open(encoding="utf-8", newline="") as handle:
        return {(row["file"], row["record"]) for row in csv.DictReader(handle)}


def test_every_chinese_row_has_an_allowed_source_or_says_what_is_unconfirmed():
    keys = Counter()
    for row in _rows("cn_standards*.csv"):
        assert not source_problem(row["来源"]), row["标准号"]
        if not row["来源"]:
            assert "unconfirmed:" in row["备注"], row["标准号"]
        parsed = parse_identifier(row["标准号"])
        assert parsed.jurisdiction == "CN"
        assert row["中文标准名称"], row["标准号"]
        keys[parsed.key] += 1
    assert [key for key, count in keys.items() if count > 1] == []


def test_every_european_row_has_an_allowed_source_or_is_listed_as_unconfirmed():
    keys = Counter()
    unconfirmed = _unconfirmed()
    for row in _rows("eu_standards/*.csv"):
        assert not source_problem(row["Source"]), row["Reference"]
        if not row["Source"]:
            assert (f"eu_standards/{row['_file']}", row["Reference"]) in unconfirmed
        parsed = parse_identifier(row["Reference"])
        assert parsed.jurisdiction == "EU"
        assert row["Title"], row["Reference"]
        keys[parsed.key] += 1
    assert [key for key, count in keys.items() if count > 1] == []


def test_every_regulation_has_an_allowed_source_or_is_listed_as_unconfirmed():
    unconfirmed = _unconfirmed()
    for row in _rows("regulations/*.csv"):
        assert not source_problem(row["source_url"]), row["reference"]
        if not row["source_url"]:
            assert (f"regulations/{row['_file']}", row["reference"]) in unconfirmed


@pytest.mark.parametrize(
    ("side", "pattern", "column"),
    [("CN", "cn_standards*.csv", "行业"), ("EU", "eu_standards/*.csv", "Sectors")],
)
def test_each_sector_has_enough_standards_from_each_side(side, pattern, column):
    counts = Counter(
        slug.strip() for row in _rows(pattern) for slug in row[column].split(";") if slug.strip()
    )
    for slug in _sector_slugs():
        assert counts[slug] >= MINIMUM_PER_SECTOR, (slug, side)


def test_load_demo_fills_an_empty_catalogue_once(demo_catalogue, client):
    # `load_demo --if-empty` ran once for the session on the reference tables alone (see
    # tests/conftest.py demo_snapshot); these are the rows it wrote.
    assert "cn_standards.csv:" in demo_catalogue.output
    assert "already has standards" not in demo_catalogue.output
    for sector in Sector.objects.all():
        for jurisdiction in ("CN", "EU"):
            found = sector.standards.filter(jurisdiction=jurisdiction).count()
            assert found >= MINIMUM_PER_SECTOR, (sector.slug, jurisdiction, found)
        assert sector.market_access_eu_to_cn_en and sector.market_access_cn_to_eu_zh_hans
    # Counterparts across the border, through the international standard both adopt.
    yy = Standard.objects.get(key="YYT0287:2017")
    counterparts = {c.standard.key: c for c in yy.counterparts()}
    assert counterparts["ISO13485:2016"].degree == "IDT"
    assert counterparts["ENISO13485:2016"].via.key == "ISO13485:2016"
    linked = Standard.objects.filter(jurisdiction="CN", adoptions__isnull=False).distinct()
    assert linked.count() >= 30
    # EU acts cite harmonised standards; Chinese rules name mandatory standards.
    assert Citation.objects.filter(regulation__jurisdiction="EU", kind="harmonised").count() >= 30
    assert Citation.objects.filter(regulation__jurisdiction="CN").count() >= 15
    assert TechnicalRegulation.objects.filter(reference="Directive 2009/48/EC").exists()
    assert ProductTerm.objects.count() >= 150
    # Sources removed with the denied links leave the official record, built from the
    # identifier (tests/standards/test_sources.py checks every record's link).

    # Every record's page answers in both languages.
    urls = [f"/standards/{slug}/" for slug in Standard.objects.values_list("slug", flat=True)]
    urls += [
        f"/regulations/{slug}/"
        for slug in TechnicalRegulation.objects.values_list("slug", flat=True)
    ]
    urls += [f"/sectors/{slug}/" for slug in Sector.objects.values_list("slug", flat=True)]
    assert len(urls) > 600
    failed = [
        (language, url, status)
        for url in urls
        for language in ("en", "zh-hans")
        if (status := client.get(f"/{language}{url}").status_code) != 200
    ]
    assert not failed, failed[:20]

    changes = Standard.objects.count(), Citation.objects.count()
    call_command("load_demo", stdout=io.StringIO())  # a second full load changes nothing
    assert (Standard.objects.count(), Citation.objects.count()) == changes
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "already has standards" in out.getvalue()
