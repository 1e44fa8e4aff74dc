"""Sector pages and the product finder's requirement sheet."""

import datetime

import pytest
from django.utils import timezone

from sectors.models import HsCode, ProductTerm, Sector
from tests.factories import adopt, cite, make_regulation, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def hair_dryers(reference_tables):
    hs = HsCode.objects.get(code="851631")
    term = ProductTerm.objects.create(name_en="hair dryer", name_zh_hans="电吹风")
    term.hs_codes.add(hs)
    cispr = make_standard("CISPR 14-1:2020", title_en="EMC — household appliances — Emission")
    gb = make_standard(
        "GB 4343.1-2024",
        title_zh_hans="家用电器、电动工具和类似器具的电磁兼容要求 第1部分：发射",
        issued_date=datetime.date(2024, 5, 28),
        implementation_date=datetime.date(2026, 6, 1),
        sectors=["electrical-equipment"],
    )
    en = make_standard("EN IEC 55014-1:2021", title_en="EMC — household — Emission")
    multimedia = make_standard("EN 55035:2017", title_en="EMC of multimedia equipment")
    for standard in (gb, en):
        standard.hs_codes.add(HsCode.objects.get(code="8516"))
        adopt(standard, cispr, "IDT")
    multimedia.hs_codes.add(HsCode.objects.get(code="8528"))
    emc = make_regulation(
        "Directive 2014/30/EU",
        short_name_en="EMC Directive",
        conformity_route="ce-modules",
        marking="CE",
    )
    emc.hs_codes.add(HsCode.objects.get(code="8516"))
    emc.sectors.add(Sector.objects.get(slug="electrical-equipment"))
    cite(emc, en)
    cite(emc, multimedia)
    ccc = make_regulation("CNCA-C07-01:2024", jurisdiction="CN", kind="cn-ccc")
    ccc.hs_codes.add(HsCode.objects.get(code="8516"))
    ccc.sectors.add(Sector.objects.get(slug="electrical-equipment"))
    cite(ccc, gb, kind="compulsory")
    toys = make_regulation("Directive 2009/48/EC")
    toys.hs_codes.add(HsCode.objects.get(code="9503"))
    return {"gb": gb, "en": en, "emc": emc, "ccc": ccc}


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_requirement_sheet_for_hair_dryers_to_the_eu(client, hair_dryers):
    html = get(client, "/en/products/?q=hair+dryer&market=eu")
    assert "Requirements for hair dryer in European Union" in html
    assert "Directive 2014/30/EU" in html and "Directive 2009/48/EC" not in html
    regs = html[html.index('id="sheet-regs"') : html.index('id="sheet-harmonised"')]
    assert "1 more, for other products" in regs  # EN 55035 is for multimedia equipment
    harmonised = html[html.index('id="sheet-harmonised"') :]
    assert "EN IEC 55014-1:2021" in harmonised and "EN 55035:2017" not in harmonised
    # The counterpart a Chinese exporter already meets: GB 4343.1, through CISPR 14-1.
    assert "GB 4343.1-2024" in harmonised and "via CISPR 14-1:2020" in harmonised


def test_requirement_sheet_to_china_in_chinese(client, hair_dryers):
    html = get(client, "/zh-hans/products/?q=电吹风&market=cn")
    assert "CNCA-C07-01:2024" in html and "Directive 2014/30/EU" not in html
    mandatory = html[html.index('id="sheet-mandatory"') :]
    assert "GB 4343.1-2024" in mandatory and "EN IEC 55014-1:2021" in mandatory
    assert "强制性标准" in html


def test_requirement_sheet_from_an_hs_code(client, hair_dryers):
    html = get(client, "/en/products/?hs=8516.31&market=eu")
    assert "Directive 2014/30/EU" in html


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": "flux capacitor", "market": "eu"}, "Search the catalogue for “flux capacitor”"),
        ({"hs": "1234", "market": "eu"}, "“1234” is not an HS 2022 code"),
        ({"hs": "85x", "market": "eu"}, "“85x” is not an HS 2022 code"),
        ({"q": "hair dryer", "market": "mars"}, "Choose China or the European Union"),
        ({"q": "hair dryer"}, "Requirements for hair dryer in China"),  # the default
    ],
)
def test_product_finder_explains_bad_input(client, hair_dryers, params, message):
    response = client.get("/en/products/", params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_requirement_sheet_queries_do_not_grow(client, hair_dryers, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as before:
        get(client, "/en/products/?q=hair+dryer&market=eu")
    for n in range(5):
        standard = make_standard(f"EN 60335-2-{n + 80}:2020", title_en=f"Part {n}")
        standard.hs_codes.add(HsCode.objects.get(code="851631"))
        cite(hair_dryers["emc"], standard)
    with django_assert_max_num_queries(len(before.captured_queries)):
        html = get(client, "/en/products/?q=hair+dryer&market=eu")
    assert "EN 60335-2-84:2020" in html


def test_sector_page_in_both_languages(client, hair_dryers):
    sector = Sector.objects.get(slug="electrical-equipment")
    sector.market_access_cn_to_eu_en = "CE marking under the LVD and EMC Directive."
    sector.save()
    upcoming = make_standard(
        "GB 4706.1-2099",
        title_zh_hans="家用和类似用途电器的安全 第1部分：通用要求",
        issued_date=timezone.localdate(),
        implementation_date=timezone.localdate() + datetime.timedelta(days=200),
        sectors=["electrical-equipment"],
        legal_force="mandatory",
    )
    html = get(client, "/en/sectors/electrical-equipment/")
    assert "CE marking under the LVD and EMC Directive." in html
    assert "Directive 2014/30/EU" in html and "CNCA-C07-01:2024" in html
    assert "<svg" in html and "1 date in the next 24 months" in html
    assert upcoming.identifier in html and "in 200 days" in html
    html = get(client, "/zh-hans/sectors/electrical-equipment/")
    assert "出口到欧盟" in html and "电气设备" in html


def test_unknown_sector_is_404(client, reference_tables):
    assert client.get("/en/sectors/spaceships/").status_code == 404


def test_sector_page_queries_do_not_grow_with_the_sector(
    client, hair_dryers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as few:
        get(client, "/en/sectors/electrical-equipment/")
    soon = timezone.localdate() + datetime.timedelta(days=90)
    for n in range(8):
        make_standard(
            f"GB/T 4706.{n + 60}-2026",
            title_zh_hans="家用电器",
            issued_date=timezone.localdate(),
            implementation_date=soon,
            sectors=["electrical-equipment"],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = get(client, "/en/sectors/electrical-equipment/")
    assert "GB/T 4706.67-2026" in html
