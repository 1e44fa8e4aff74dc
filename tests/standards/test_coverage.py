"""Honest coverage: a regulation page, a sector page, a requirement sheet and a search each
say in one line how much CESIP holds, with the complete official list linked.

The counts are computed here from the ORM, then changed (a standard unpublished, a
citation removed) to show the pages count rather than repeat a number.
"""

import re

import pytest
from django.utils import timezone, translation
from django.utils.html import escape

from sectors.models import Sector
from standards.models import Citation, Jurisdiction, Standard, TechnicalRegulation
from standards.titles import act_name
from tests.standards.language_check import other_language

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]
LINE = re.compile(r'<p class="coverage[^"]*" data-coverage>.*?</p>', re.S)
HARMONISED = (
    "https://single-market-economy.ec.europa.eu/single-market/goods/european-standards/"
    "harmonised-standards/{}_en"
)
TOYS_LIST = HARMONISED.format("toy-safety")
LVD_LIST = HARMONISED.format("low-voltage-lvd")
CNCA = 'href="https://www.cnca.gov.cn/"'


@pytest.fixture
def demo_catalogue(demo_module, db):
    """The demo catalogue, restored once for this module: every test here reads it
    (tests/conftest.py demo_module); what a test changes rolls back after it."""
    return demo_module


def coverage_line(client, path: str, language: str) -> str:
    """The page's one coverage line, checked to be in the page's language only."""
    response = client.get(f"/{language}{path}")
    assert response.status_code == 200, path
    found = LINE.findall(response.content.decode())
    assert len(found) == 1, (path, found)
    assert other_language(found[0], language) == [], found[0]
    return found[0]


def unpublish(standard: Standard) -> None:
    Standard.objects.filter(pk=standard.pk).update(published=False)


# Regulation pages ----------------------------------------------------------------------

ACT_LINE = {
    "en": "CESIP holds {n} standards cited under this act; the Commission&#x27;s list is the "
    "complete one:",
    "zh-hans": "CESIP 收录了本法规引用的 {n} 项标准；完整清单以欧盟委员会公布的为准：",
}
RULE_LINE = {
    "en": "CESIP holds {n} standards cited under this rule",
    "zh-hans": "CESIP 收录了本规则引用的 {n} 项标准",
}
NONE_LINE = {
    "en": "CESIP holds none of the standards cited under this act; the act in the Official "
    "Journal is the complete reference:",
    "zh-hans": "CESIP 尚未收录本法规引用的标准；完整内容以欧盟官方公报刊登的法规为准：",
}


def held_under(act: TechnicalRegulation) -> int:
    return Citation.objects.filter(regulation=act, standard__published=True).count()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_eu_act_says_how_many_cited_standards_cesip_holds(client, demo_catalogue, language):
    act = TechnicalRegulation.objects.get(reference="Directive 2009/48/EC")
    path = f"/regulations/{act.slug}/"
    held = held_under(act)
    assert held > 2
    line = coverage_line(client, path, language)
    assert ACT_LINE[language].format(n=held) in line
    assert f'href="{TOYS_LIST}"' in line

    citations = list(Citation.objects.filter(regulation=act).select_related("standard"))
    unpublish(citations[0].standard)
    line = coverage_line(client, path, language)
    assert ACT_LINE[language].format(n=held - 1) in line

    citations[1].delete()
    line = coverage_line(client, path, language)
    assert ACT_LINE[language].format(n=held - 2) in line


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_ccc_rule_links_cnca(client, demo_catalogue, language):
    rule = TechnicalRegulation.objects.get(reference="CNCA-C22-01:2020")
    held = held_under(rule)
    assert held > 0
    line = coverage_line(client, f"/regulations/{rule.slug}/", language)
    assert RULE_LINE[language].format(n=held) in line
    assert CNCA in line


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_act_citing_no_standard_here_says_none_are_held(client, demo_catalogue, language):
    act = TechnicalRegulation.objects.get(reference="Directive 94/62/EC")
    assert held_under(act) == 0
    line = coverage_line(client, f"/regulations/{act.slug}/", language)
    assert NONE_LINE[language] in line
    assert 'href="https://eur-lex.europa.eu/eli/dir/1994/62/oj"' in line


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_commission_list_stays_linked_when_cesip_holds_none(client, demo_catalogue, language):
    act = TechnicalRegulation.objects.get(reference="Directive 2014/30/EU")
    Citation.objects.filter(regulation=act).delete()
    line = coverage_line(client, f"/regulations/{act.slug}/", language)
    assert {
        "en": "CESIP holds none of the standards cited under this act",
        "zh-hans": "CESIP 尚未收录本法规引用的标准",
    }[language] in line
    assert f'href="{HARMONISED.format("electromagnetic-compatibility-emc")}"' in line


# Sector pages --------------------------------------------------------------------------

SECTOR_LINE = {
    "en": "CESIP holds {s} standards and {a} acts for this sector",
    "zh-hans": "CESIP 收录了本行业的 {s} 项标准和 {a} 部法规",
}


def sector_counts(sector: Sector) -> tuple[int, int]:
    standards = Standard.objects.public().filter(sectors=sector).distinct().count()
    acts = (
        TechnicalRegulation.objects.public()
        .filter(sectors=sector)
        .in_force(timezone.localdate())
        .distinct()
        .count()
    )
    return standards, acts


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_sector_says_what_cesip_holds_for_it(client, demo_catalogue, language):
    # Electrical equipment: both markets have acts in force that cite standards CESIP
    # holds (the LVD; CNCA-C07-01:2024). Since 2026-11-01 China's toy rules are the 2026
    # ones, whose standards the catalogue does not list yet.
    sector = Sector.objects.get(slug="electrical-equipment")
    path = f"/sectors/{sector.slug}/"
    standards, acts = sector_counts(sector)
    assert standards > 1 and acts > 1
    line = coverage_line(client, path, language)
    assert SECTOR_LINE[language].format(s=standards, a=acts) in line
    assert f'href="{LVD_LIST}"' in line and CNCA in line

    unpublish(Standard.objects.public().filter(sectors=sector).first())
    lvd = TechnicalRegulation.objects.get(reference="Directive 2014/35/EU")
    TechnicalRegulation.objects.filter(pk=lvd.pk).update(published=False)
    line = coverage_line(client, path, language)
    assert SECTOR_LINE[language].format(s=standards - 1, a=acts - 1) in line
    assert LVD_LIST not in line  # the unpublished act's list goes with it


# Requirement sheets --------------------------------------------------------------------

SHEET_LINE = {
    "en": "This sheet draws on {a} acts; CESIP holds {s} standards cited under them",
    "zh-hans": "本清单依据 {a} 部法规，CESIP 收录了其引用的 {s} 项标准",
}


def sheet_counts(code: str, market: str) -> tuple[list[TechnicalRegulation], int]:
    acts = [
        act
        for act in TechnicalRegulation.objects.public()
        .filter(jurisdiction=market)
        .in_force(timezone.localdate())
        if any(
            c.startswith(code) or code.startswith(c)
            for c in act.hs_codes.values_list("code", flat=True)
        )
    ]
    held = Standard.objects.public().filter(citations__regulation__in=acts).distinct().count()
    return acts, held


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "market,hs,official",
    [("eu", "9503", f'href="{TOYS_LIST}"'), ("cn", "851631", CNCA)],
    ids=["to-eu", "to-cn"],
)
def test_a_requirement_sheet_names_its_acts_and_their_official_lists(
    client, demo_catalogue, language, market, hs, official
):
    path = f"/products/?hs={hs}&market={market}"
    acts, held = sheet_counts(hs, Jurisdiction(market.upper()))
    assert len(acts) > 1 and held > 1
    line = coverage_line(client, path, language)
    assert SHEET_LINE[language].format(a=len(acts), s=held) in line
    assert official in line
    with translation.override(language):
        names = [escape(act_name(act)) for act in acts]
    assert all(name in line for name in names), (names, line)  # each act with its list
    assert line.count("<a ") == len(acts)

    cited = Standard.objects.public().filter(citations__regulation__in=acts).distinct()
    unpublish(cited.first())
    line = coverage_line(client, path, language)
    assert SHEET_LINE[language].format(a=len(acts), s=held - 1) in line


# Search --------------------------------------------------------------------------------

SEARCH_LINE = {
    "en": "CESIP holds {n} standards and is not exhaustive",
    "zh-hans": "CESIP 收录了 {n} 项标准，并非全部",
}
CHINA_LINE = {
    "en": "CESIP holds {n} standards in the selected jurisdictions (China)",
    "zh-hans": "CESIP 收录了所选地区（中国）的 {n} 项标准",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_search_says_the_catalogue_is_not_exhaustive(client, demo_catalogue, language):
    held = Standard.objects.public().count()
    line = coverage_line(client, "/search/?q=toy", language)
    assert SEARCH_LINE[language].format(n=held) in line
    for official in (
        'href="https://std.samr.gov.cn/search/std?q=toy"',
        'href="https://standards.cencenelec.eu/',
        'href="https://www.iso.org/search.html?q=toy"',
        'href="https://webstore.iec.ch/',
    ):
        assert official in line

    unpublish(Standard.objects.public().first())
    line = coverage_line(client, "/search/?q=toy", language)
    assert SEARCH_LINE[language].format(n=held - 1) in line


@pytest.mark.parametrize("language", LANGUAGES)
def test_search_narrowed_to_china_counts_and_links_china(client, demo_catalogue, language):
    held = Standard.objects.public().filter(jurisdiction=Jurisdiction.CN).count()
    line = coverage_line(client, "/search/?q=toy&jurisdiction=CN", language)
    assert CHINA_LINE[language].format(n=held) in line
    assert "std.samr.gov.cn" in line
    assert "cencenelec" not in line and "iso.org" not in line
