"""The standard, regulation and compare pages, through the test client."""

import datetime

import pytest
from django.utils import timezone

from sectors.models import HsCode
from tests.factories import adopt, cite, make_regulation, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def toys(reference_tables):
    iso = make_standard("ISO 8124-1:2022", title_en="Safety of toys — Part 1: Safety aspects")
    old = make_standard(
        "GB 6675.2-2003",
        title_zh_hans="玩具安全 第2部分：机械与物理性能（旧）",
        stage="superseded",
        issued_date=datetime.date(2003, 1, 1),
    )
    gb = make_standard(
        "GB 6675.2-2014",
        title_zh_hans="玩具安全 第2部分：机械与物理性能",
        title_en="Toy safety—Part 2: Mechanical and physical properties",
        issued_date=datetime.date(2014, 5, 6),
        implementation_date=datetime.date(2016, 1, 1),
        status_label="现行",
        sectors=["toys"],
        source_url="https://openstd.samr.gov.cn/bzgk/gb/",
    )
    gb.replaces.add(old)
    gb.hs_codes.add(HsCode.objects.get(code="9503"))
    en = make_standard(
        "EN 71-1:2014+A1:2018",
        title_en="Safety of toys - Part 1: Mechanical and physical properties",
        sectors=["toys"],
    )
    adopt(gb, iso, "MOD")
    adopt(en, iso, "MOD")
    tsd = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
    ends = timezone.localdate() + datetime.timedelta(days=100)
    cite(tsd, en, presumption_ends=ends, oj_reference="OJ L 14, 20.1.2023")
    return {"iso": iso, "old": old, "gb": gb, "en": en, "tsd": tsd, "ends": ends}


def page(client, url, language="en"):
    response = client.get(f"/{language}{url}")
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_standard_page_answers_its_questions(client, toys):
    html = page(client, "/standards/gb-6675-2-2014/")
    assert "GB 6675.2-2014" in html
    assert "玩具安全 第2部分：机械与物理性能" in html  # the other language beside the title
    assert 'The source says: “<span lang="zh-Hans">SAMR: 现行</span>”' in html
    assert "2016-01-01" in html and "/glossary/#implementation" in html
    # Counterparts through the shared ISO standard, and the ISO standard itself.
    assert "EN 71-1:2014+A1:2018" in html and "both adopt ISO 8124-1:2022" in html
    assert "/en/compare/?a=gb-6675-2-2014&amp;b=en-71-1-2014-plus-a1-2018" in html
    # Versions: what it replaced.
    assert "GB 6675.2-2003" in html and "replaced by this standard" in html
    assert "https://openstd.samr.gov.cn/bzgk/gb/" in html
    assert (
        'hreflang="zh-Hans" href="http://127.0.0.1:8000/zh-hans/standards/gb-6675-2-2014/"' in html
    )


def test_dates_say_when_none_is_recorded_and_how_precise_they_are(client, toys):
    assert "No date of this edition is recorded yet" in page(client, "/standards/iso-8124-1-2022/")
    assert "尚未记录该版本的日期" in page(client, "/standards/iso-8124-1-2022/", "zh-hans")
    assert "No date of this edition" not in page(client, "/standards/gb-6675-2-2014/")
    toys["en"].issued_date, toys["en"].issued_precision = datetime.date(2018, 1, 1), "year"
    toys["en"].save()
    html = page(client, "/standards/en-71-1-2014-plus-a1-2018/")
    assert "<dd>2018</dd>" in html and "2018-01-01" not in html
    html = page(client, "/search/?q=EN+71-1")
    assert "issued 2018" in html and "2018-01-01" not in html
    html = page(client, "/compare/?a=gb-6675-2-2014&b=en-71-1-2014-plus-a1-2018")
    assert "<td>2018</td>" in html and "2014-05-06" in html


def test_standard_page_in_chinese_puts_the_chinese_title_first(client, toys):
    html = page(client, "/standards/gb-6675-2-2014/", "zh-hans")
    assert html.index("玩具安全 第2部分") < html.index("Toy safety—Part 2")
    assert "标准" in html and "现行" in html


def test_the_en_page_lists_the_citing_act_with_its_countdown(client, toys):
    html = page(client, "/standards/en-71-1-2014-plus-a1-2018/")
    assert "Directive 2009/48/EC" in html
    assert toys["ends"].isoformat() in html and "in 100 days" in html


@pytest.mark.parametrize(
    "spelling",
    ["gb-6675.2-2014", "GB-6675-2-2014", "gb6675-2-2014", "gb-t-6675-2-2014", "GB 6675.2-2014"],
)
def test_other_spellings_redirect_to_the_permalink(client, toys, spelling):
    response = client.get(f"/en/standards/{spelling}/")
    assert response.status_code == 301
    assert response["Location"] == "/en/standards/gb-6675-2-2014/"


def test_unknown_standard_is_a_helpful_404(client, toys):
    response = client.get("/en/standards/gb-6675-3-2014/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Standard not found" in html and "/en/standards/gb-6675-2-2014/" in html


def test_standard_page_queries_do_not_grow_with_the_record(
    client, toys, django_assert_max_num_queries
):
    gb = toys["gb"]
    cite(make_regulation("Directive 2099/0/EU"), gb)
    with django_assert_max_num_queries(20) as small:
        page(client, "/standards/gb-6675-2-2014/")
    for n in range(1, 8):
        other = make_standard(f"EN 71-{n + 10}:2020", title_en=f"Part {n}")
        adopt(other, toys["iso"], "IDT")
        cite(make_regulation(f"Directive 2099/{n}/EU"), gb)
        gb.replaces.add(make_standard(f"GB 6675.{n + 10}-2003", title_zh_hans="旧"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = page(client, "/standards/gb-6675-2-2014/")
    assert "Directive 2099/7/EU" in html and "EN 71-17:2020" in html


def test_regulation_page_lists_cited_standards_with_status_and_countdown(client, toys):
    html = page(client, "/regulations/directive-2009-48-ec/")
    assert "Toy Safety Directive" in html
    assert "EN 71-1:2014+A1:2018" in html and "OJ L 14, 20.1.2023" in html
    assert "in 100 days" in html
    assert "1 standard cited" in html


def test_regulation_page_shows_successor_and_repeal(client, toys):
    new = make_regulation("Regulation (EU) 2025/2509", short_name_en="Toy Safety Regulation")
    old = toys["tsd"]
    old.successor, old.repealed_date = new, datetime.date(2020, 1, 1)
    old.save()
    html = page(client, "/regulations/directive-2009-48-ec/")
    assert "This act has been repealed." in html and "Regulation (EU) 2025/2509" in html
    html = page(client, "/regulations/regulation-eu-2025-2509/")
    assert "Directive 2009/48/EC" in html  # the act it replaces


def test_compare_shows_both_and_how_they_correspond(client, toys):
    html = page(client, "/compare/?a=gb-6675-2-2014&b=en-71-1-2014-plus-a1-2018")
    assert "GB 6675.2-2014 (MOD) and EN 71-1:2014+A1:2018 (MOD) both adopt ISO 8124-1:2022" in html
    assert "Directive 2009/48/EC" in html  # cited by, on the EN side
    html = page(client, "/compare/?a=gb-6675-2-2014&b=iso-8124-1-2022", "zh-hans")
    assert "GB 6675.2-2014" in html and "ISO 8124-1:2022" in html and "MOD" in html


def test_the_name_a_source_gives_the_adopted_edition_is_shown(client, toys):
    """GB/T 4706.1-2024's list names IEC 60335-1:2016: the 2010 edition as amended."""
    from standards.models import Adoption

    iec = make_standard("IEC 60335-1:2010", title_en="Household appliances - Part 1")
    gb = make_standard("GB/T 4706.1-2024", title_zh_hans="家用和类似用途电器的安全 第1部分")
    en = make_standard("EN 60335-1:2012", title_en="Household appliances - Part 1")
    Adoption.objects.create(standard=gb, adopted=iec, degree="IDT", named_as="IEC 60335-1:2016")
    adopt(en, iec, "MOD")
    html = page(client, "/compare/?a=en-60335-1-2012&b=gb-t-4706-1-2024")
    assert "both adopt IEC 60335-1:2010. GB/T 4706.1-2024 names it IEC 60335-1:2016." in " ".join(
        html.split()
    )
    html = page(client, "/standards/gb-t-4706-1-2024/")
    assert "this one names it IEC 60335-1:2016" in html
    html = page(client, "/standards/en-60335-1-2012/", "zh-hans")
    assert "IEC 60335-1:2016" in html  # the GB counterpart's name for it, in Chinese


def test_compare_with_unknown_slugs_says_so(client, toys):
    html = page(client, "/compare/?a=gb-6675-2-2014&b=nothing-here")
    assert "“nothing-here” is not a standard in the catalogue." in html
    page(client, "/compare/")


def test_sitemap_lists_records_in_both_languages(client, toys):
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-standards.xml" in index
    xml = client.get("/sitemap-standards.xml").content.decode()
    assert "http://127.0.0.1:8000/en/standards/gb-6675-2-2014/" in xml
    assert (
        'hreflang="zh-hans" href="http://127.0.0.1:8000/zh-hans/standards/gb-6675-2-2014/"' in xml
    )


def test_regulation_page_queries_do_not_grow_with_its_citations(
    client, toys, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as few:
        page(client, "/regulations/directive-2009-48-ec/")
    for n in range(1, 9):
        cite(toys["tsd"], make_standard(f"EN 71-{n + 20}:2020", title_en=f"Part {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, "/regulations/directive-2009-48-ec/")
    assert "9 standards cited" in html
