"""The demo catalogue shipped under data/demo/: real records, each with its source, in
every sector from both jurisdictions, linked across the border."""

import csv
import datetime
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from sectors.models import ProductTerm, Sector
from standards.identifiers import parse_identifier
from standards.models import Citation, Replacement, Standard, TechnicalRegulation
from standards.sources import source_problem

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
SECTORS = Path(__file__).resolve().parents[2] / "data" / "sectors.csv"
MINIMUM_PER_SECTOR = 15


@pytest.fixture
def demo_catalogue(demo_module, db):
    """The demo catalogue, restored once for this module: every test here reads it
    (tests/conftest.py demo_module); what a test changes rolls back after it."""
    return demo_module


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


def test_load_demo_fills_an_empty_catalogue_once(demo_catalogue):
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

    # Every record is published: tests/standards/test_languages.py requests each record's
    # page in both languages (and each sector's), so they are not requested again here.
    assert Standard.objects.public().count() == Standard.objects.count() > 500
    assert TechnicalRegulation.objects.public().count() == TechnicalRegulation.objects.count()

    changes = Standard.objects.count(), Citation.objects.count()
    call_command("load_demo", stdout=io.StringIO())  # a second full load changes nothing
    assert (Standard.objects.count(), Citation.objects.count()) == changes
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "already has standards" in out.getvalue()


# ----------------------------------------------------------------------------------------
# The calendar carries the dated milestones, and 归口单位 holds the technical committee
# ----------------------------------------------------------------------------------------

CALENDAR_DAY = datetime.date(2026, 12, 7)
# Dated events the demo's sources support today in the 24 months from CALENDAR_DAY; the
# floor keeps them from being lost, the target is TARGET_EVENTS (see below).
SOURCED_EVENTS = 42
TARGET_EVENTS, TARGET_SECTORS = 40, 9


def _calendar(**filters):
    """What the calendar page shows from CALENDAR_DAY, through its own functions."""
    from standards.calendar import date_entries
    from standards.entries import Filters

    entries, more = date_entries(Filters(**filters), today=CALENDAR_DAY)
    assert not more
    return entries


def _sectors_with_events() -> dict[str, int]:
    return {
        sector.slug: len(_calendar(sectors=[sector]))
        for sector in Sector.objects.all()
        if _calendar(sectors=[sector])
    }


def test_every_calendar_event_in_the_next_24_months_has_a_source(demo_catalogue):
    from standards.calendar import CALENDAR_MONTHS

    assert CALENDAR_MONTHS == 24
    notes = {row["标准号"]: row for row in _rows("cn_standards*.csv")}
    entries = _calendar()
    assert entries and all(CALENDAR_DAY <= e.date <= datetime.date(2028, 12, 7) for e in entries)
    unsourced = []
    for entry in entries:
        record = entry.regulation or entry.record
        if record.source_url:
            continue
        row = notes.get(getattr(record, "identifier", ""))
        if row and "http" in row["备注"]:  # the date's source cited in the row's note
            continue
        if entry.kind.key == "withdrawal" and Replacement.objects.filter(
            old=record, new__implementation_date=entry.date, new__source_url__gt=""
        ):  # withdrawn the day its sourced successor applies
            continue
        unsourced.append((entry.date, entry.kind.key, entry.code))
    assert unsourced == []
    # Both sides and most sectors are on it; no sector is left with nothing coming.
    assert {e.jurisdiction for e in entries} == {"CN", "EU"}
    sectors = _sectors_with_events()
    assert len(entries) >= SOURCED_EVENTS, len(entries)
    assert len(sectors) >= TARGET_SECTORS, sectors


def test_the_calendar_lists_40_events_across_9_sectors_in_the_next_24_months(demo_catalogue):
    entries = _calendar()
    assert len(entries) >= TARGET_EVENTS and len(_sectors_with_events()) >= TARGET_SECTORS


def test_the_milestones_the_catalogue_names_are_on_the_calendar(demo_catalogue):
    found = {(e.code, e.kind.key, e.date) for e in _calendar()}
    for milestone in [
        ("Regulation (EU) 2023/1230", "applies-from", datetime.date(2027, 1, 20)),
        ("Directive 2006/42/EC", "repealed", datetime.date(2027, 1, 20)),
        ("Regulation (EU) 2023/607", "transition-ends", datetime.date(2027, 12, 31)),
        ("Regulation (EU) 2024/1860", "transition-ends", datetime.date(2027, 12, 31)),
        ("Directive 85/374/EEC", "repealed", datetime.date(2026, 12, 9)),
        ("Directive 2009/125/EC", "transition-ends", datetime.date(2026, 12, 31)),
        ("GB 20400-2006", "withdrawal", datetime.date(2027, 4, 1)),
        ("SAMR Announcement No. 57 of 2025", "applies-from", datetime.date(2027, 1, 1)),
    ]:
        assert milestone in found, milestone


# A committee: a national technical committee or subcommittee, a working group, a code
# (SAC/TC, CEN/TC, CLC/TC, ISO/TC, IEC TC/SC, CISPR), or the technical centre an older
# standard names as 归口. Not a ministry, an administration, a federation or SAC itself.
COMMITTEE = re.compile(r"技术委员会|工作组|\b(?:[A-Z]{2,5}/)*J?(?:TC|SC|SWG)\s*\d|CISPR|IULTCS")
TECHNICAL_CENTRE = re.compile(r"(?:标准化中心|检验中心|检测中心|研究院|研究所)$")
# The same in English (curators' translations of the names).
COMMITTEE_EN = re.compile(r"Technical Committee|Subcommittee|Working Group|Centre|Center|Institute")
NOT_A_COMMITTEE = re.compile(
    r"(?:部|局|总局|国家标准委|标准化管理委员会|联合会|协会)$|^(?:SAC|国家标准委|市场监管总局)$"
    r"|^(?:Ministry of|State Administration|National Medical Products Administration"
    r"|Standardi[sz]ation Administration)|(?:Federation|Association|Council)$"
)


def _committee_problem(text: str) -> bool:
    text = text.strip()
    if not text:
        return False
    names = [part.strip() for part in re.split(r"[、;；]", text) if part.strip()]
    return any(
        NOT_A_COMMITTEE.search(name)
        or not (
            COMMITTEE.search(name) or TECHNICAL_CENTRE.search(name) or COMMITTEE_EN.search(name)
        )
        for name in names
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("全国玩具标准化技术委员会", False),
        ("全国婴童用品标准化工作组", False),
        ("国家食品药品监督管理局北京医疗器械质量监督检验中心", False),
        ("CEN/TC 52", False),
        ("CEN/CLC/JTC 3", False),
        ("TC 62/SC 62A", False),
        ("工业和信息化部", True),
        ("国家标准委", True),
        ("国家标准化管理委员会", True),
        ("国家药品监督管理局", True),
        ("中国纺织工业联合会", True),
        ("SAC", True),
        ("National Technical Committee on Toys", False),
        ("Beijing Medical Device Quality Supervision and Testing Centre of the SFDA", False),
        ("Ministry of Industry and Information Technology", True),
        ("Standardization Administration of China", True),
        ("China National Textile and Apparel Council", True),
    ],
)
def test_the_committee_rule(text, problem):
    assert _committee_problem(text) is problem


def test_no_standard_names_a_ministry_or_sac_as_its_committee(demo_catalogue):
    wrong = [
        (s.identifier, s.committee_code, s.committee_name_zh_hans, s.committee_name_en)
        for s in Standard.objects.all()
        if any(
            _committee_problem(text or "")
            for text in (s.committee_code, s.committee_name_zh_hans, s.committee_name_en)
        )
    ]
    assert wrong == []
    # In the files too, 归口单位 is the committee; a proposing ministry is 提出单位.
    for row in _rows("cn_standards*.csv"):
        assert not _committee_problem(row["归口单位"]), (row["标准号"], row["归口单位"])
    # The committee as the source names it, code and name apart.
    toys = Standard.objects.get(identifier="GB 6675.1-2014")
    assert toys.committee_code == "SAC/TC 253"
    assert Standard.objects.get(identifier="GB 6675.1-2025").proposing_body_zh_hans == (
        "工业和信息化部"
    )


def test_revised_and_replaced_acts_name_their_successor_and_dates(demo_catalogue):
    acts = {r.reference: r for r in TechnicalRegulation.objects.select_related("successor")}
    old = acts["AQSIQ Order No. 117"]
    assert old.successor.reference == "SAMR Order No. 61"
    assert acts["SAMR Order No. 61"].adopted_date == datetime.date(2022, 9, 29)
    packaging = acts["Directive 94/62/EC"]
    assert packaging.successor.reference == "Regulation (EU) 2025/40"
    assert packaging.repealed_date == datetime.date(2026, 8, 12)
    ecodesign = acts["Directive 2009/125/EC"]
    assert ecodesign.successor.reference == "Regulation (EU) 2024/1781"
    assert (ecodesign.repealed_date, ecodesign.transition_ends) == (
        datetime.date(2024, 7, 18),
        datetime.date(2026, 12, 31),
    )
    appliances = acts["CNCA-C07-01:2017"]
    assert appliances.successor.reference == "CNCA-C07-01:2024"
    assert appliances.repealed_date == datetime.date(2024, 7, 1)
    liability = acts["Directive 85/374/EEC"]
    assert (liability.successor.reference, liability.repealed_date) == (
        "Directive (EU) 2024/2853",
        datetime.date(2026, 12, 9),
    )
