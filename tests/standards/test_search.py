"""Search: reading the query, ranking, product words, facets, bad input.

The catalogue here is real: the demo's Chinese standards (SAMR layout, each with its
source) and rows of the ISO and IEC publication lists, with two product terms.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sectors.models import HsCode, ProductTerm
from standards import search
from standards.imports.publications import import_publications
from standards.imports.samr import import_samr_list
from standards.models import Standard
from standards.search import planner, postgres
from standards.search.expressions import text_query
from standards.search.query import MAX_QUERY_LENGTH, MAX_QUERY_TERMS, read_query
from tests.factories import cite, make_regulation, make_standard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def _catalogue(module_rows):
    """Built once for the module (see module_rows); each test's own writes roll back."""
    with module_rows.unblock():
        build_catalogue()


@pytest.fixture
def catalogue(_catalogue, db):
    pass


def build_catalogue():
    import_samr_list(ROOT / "data" / "demo" / "cn_standards.csv")
    import_publications(ROOT / "tests" / "data" / "iso_sample.csv", "iso")
    import_publications(ROOT / "tests" / "data" / "iec_sample.csv", "iec")
    # EN 71-1:2014+A1:2018 and EN 1888-1:2018+A1:2022 as CEN publishes them.
    make_standard(
        "EN 71-1:2014+A1:2018",
        title_en="Safety of toys - Part 1: Mechanical and physical properties",
        sectors=["toys"],
    )
    make_standard(
        "EN 1888-1:2018+A1:2022",
        title_en="Child care articles - Wheeled child conveyances - Part 1: Pushchairs and prams",
        sectors=["child-care-articles"],
    )
    for name_en, name_zh, synonyms, codes in (
        ("hair dryer", "电吹风", "hairdryer\n吹风机", ["851631"]),
        ("stroller", "婴儿推车", "pram\npushchair\n童车", ["871500"]),
    ):
        term = ProductTerm.objects.create(
            name=name_en, name_en=name_en, name_zh_hans=name_zh, synonyms=synonyms
        )
        term.hs_codes.set(HsCode.objects.filter(code__in=codes))
    stroller_standards = Standard.objects.filter(key__in=["EN1888-1:2018+AMD1:2022"])
    for standard in stroller_standards:
        standard.hs_codes.set(HsCode.objects.filter(code="871500"))


def results(client, query, language="en", **params):
    response = client.get(f"/{language}/search/", {"q": query, **params})
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    return re.findall(r'class="result-id" href="/[^/]+/standards/([^/]+)/"', html), html


def test_status_badges_are_one_phrase_in_the_page_language(client, catalogue):
    """The source's own label (现行, Published…) is quoted on the record page, never glued
    to the normalised status in a result's badge."""
    for language, foreign in (("en", r"[\u4e00-\u9fff]"), ("zh-hans", r"[A-Za-z]")):
        _slugs, html = results(client, "玩具安全", language)
        badges = re.findall(r'<span class="badge badge-[a-z]+">([^<]*)</span>', html)
        assert badges, language
        assert not [badge for badge in badges if re.search(foreign, badge)], (language, badges)


# -- reading the query -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keys", "english", "chinese"),
    [
        ("gb6675.2", ["GB6675.2"], "", []),
        ("GB/T 6675", ["GBT6675"], "", []),
        ("ＧＢ／Ｔ　6675.1—2014", ["GBT6675.1:2014"], "", []),
        ("EN71-1 toys", ["EN71-1"], "toys", []),
        ("hair dryer safety", [], "hair dryer safety", []),
        ('"hair care" -toys', [], '"hair care" -toys', []),
        ("婴儿推车 EN 1888-1", ["EN1888-1"], "", ["婴儿", "推车"]),
        ("safety玩具", [], "safety", ["玩具"]),
        ("DROP TABLE; --", [], "DROP TABLE", []),
    ],
)
def test_read_query_splits_identifiers_english_and_chinese(text, keys, english, chinese):
    query = read_query(text)
    assert [p.key for p in query.identifiers] == keys
    assert query.english == english
    assert [pieces[0] for pieces in query.chinese] == chinese


def test_read_query_keeps_bare_numbers_but_not_years():
    query = read_query("6675.1 2014")
    assert query.numbers == ["6675.1"]
    assert query.english == "2014"


def test_overlong_query_is_shortened_and_said_so():
    query = read_query("toys" * 100)
    assert query.shortened and len(query.text) == MAX_QUERY_LENGTH
    query = read_query("toys " * 100)  # and at most MAX_QUERY_TERMS words
    assert query.shortened and query.text.split() == ["toys"] * MAX_QUERY_TERMS


# -- ranking on real records -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gb6675.2", "gb-6675-2-2014"),
        ("GB 6675.2", "gb-6675-2-2014"),
        ("GB/T 6675.1", "gb-6675-1-2025"),
        ("EN71-1", "en-71-1-2014-plus-a1-2018"),
        ("en 71-1", "en-71-1-2014-plus-a1-2018"),
        ("IEC 60335-2-23", "iec-60335-2-23-2026"),
        ("YY/T 0287", "yy-t-0287-2017"),
        ("medical device quality management", "iso-13485-2016"),
        ("医疗器械 质量管理体系", "yy-t-0287-2017"),
        ("儿童推车", "gb-14748-2006"),
        ("电吹风", "gb-t-4706-15-2024"),
        ("hair dryer safety", "gb-t-4706-15-2024"),
        ("婴儿推车", "en-1888-1-2018-plus-a1-2022"),
        ("stroller", "en-1888-1-2018-plus-a1-2022"),
        # GB 6675.2-2014 gave way to GB 6675.2-2025 on 2026-11-01, whose English title
        # the catalogue does not hold yet: the English words find the European standard.
        ("toys mechanical physical", "en-71-1-2014-plus-a1-2018"),
        ("玩具安全 机械与物理性能", "gb-6675-2-2025"),
    ],
)
def test_the_right_record_is_in_the_top_three(client, catalogue, query, expected):
    for language in ("en", "zh-hans"):
        slugs, _html = results(client, query, language)
        assert expected in slugs[:3], (language, slugs[:5])


def test_identifier_spellings_put_the_exact_edition_first(client, catalogue):
    for spelling in ("GB 6675.2-2014", "gb6675.2-2014", "GB／T 6675.2—2014"):
        response = client.get("/en/search/", {"q": spelling})
        assert response.status_code == 302
        assert response["Location"] == "/en/standards/gb-6675-2-2014/"


def test_an_identifier_without_year_lists_the_current_edition_first(client, catalogue):
    slugs, _html = results(client, "ISO 13485")
    assert slugs[0] == "iso-13485-2016"
    assert set(slugs[:3]) == {"iso-13485-2016", "iso-13485-2003", "iso-13485-1996"}


def test_current_ranks_above_withdrawn_for_the_same_words(client, catalogue):
    slugs, _html = results(client, "婴幼儿 儿童 纺织产品")
    assert slugs[0] == "gb-31701-2015"
    slugs, _html = results(client, "机械电气安全")
    assert slugs.index("gb-t-5226-1-2019") < slugs.index("gb-5226-1-2008")


def test_product_words_explain_the_match(client, catalogue):
    _slugs, html = results(client, "电吹风", "zh-hans")
    assert "Product words found" not in html  # the page speaks Chinese
    assert "851631" in html
    _slugs, html = results(client, "hair dryer")
    assert "Matched through the product “hair dryer”" in html


def test_matched_words_are_highlighted_in_both_titles(client, catalogue):
    _slugs, html = results(client, "玩具 safety")
    assert "<mark>玩具</mark>" in html
    assert re.search(r"<mark>safety</mark>", html, re.IGNORECASE)


def test_no_results_offers_spellings_and_closest_identifiers(client, catalogue):
    # The spelling is applied at once (search.relax), and said.
    slugs, html = results(client, "safty of toys")
    assert 'data-step="spelling"' in html and "“safety of toys”" in html and slugs
    _slugs, html = results(client, "GB 6675.99-2014")
    assert "Closest standard numbers" in html
    assert "gb-6675" in html


def test_regulations_have_their_own_group(client, catalogue):
    regulation = make_regulation(
        "Directive 2009/48/EC", short_name_en="Toy Safety Directive", published=True
    )
    cite(regulation, Standard.objects.get(key="EN71-1:2014+AMD1:2018"))
    _slugs, html = results(client, "toy safety")
    assert "Regulations" in html and "Directive 2009/48/EC" in html


@pytest.mark.parametrize("language,label", [("en", "Repealed"), ("zh-hans", "废除")])
def test_a_repealed_act_in_the_results_says_so(client, catalogue, language, label):
    make_regulation(
        "Directive 88/378/EEC",
        short_name_en="Toy Safety Directive (1988)",
        short_name_zh_hans="玩具安全指令（1988）",
        repealed_date=datetime.date(2011, 7, 20),
        published=True,
    )
    make_regulation(
        "Directive 2009/48/EC",
        short_name_en="Toy Safety Directive",
        short_name_zh_hans="玩具安全指令",
        published=True,
    )
    html = client.get(f"/{language}/search/", {"q": "Toy Safety Directive"}).content.decode()
    badges = re.findall(r'class="badge badge-withdrawn">([^<]*)<', html)
    assert badges == [f"{label} 2011-07-20"], badges


# -- filters and facets ------------------------------------------------------------------


def test_facets_count_the_results_and_filters_narrow_them(client, catalogue):
    _slugs, html = results(client, "安全")
    toys = re.search(
        r'name="sector" value="toys"[^>]*>\s*<span class="facet-label">[^<]+</span> '
        r'<span class="facet-count">(\d+)</span>',
        html,
    )
    assert toys
    count = int(toys.group(1))
    slugs, html = results(client, "安全", sector="toys")
    expected = Standard.objects.filter(
        sectors__slug="toys", search_zh_title__contains="安全"
    ).count()
    assert count == expected
    assert f"{expected} standard" in html


def test_a_large_result_is_listed_and_counted_up_to_the_limit(client, catalogue, monkeypatch):
    monkeypatch.setattr(search, "RESULT_LIMIT", 3)
    slugs, html = results(client, "安全")
    assert "3+ standards" in html and "More than 3 standards match" in html
    assert len(slugs) == 3
    counts = re.findall(r'name="jurisdiction"[^>]*>\s*<span class="facet-label">[^<]+</span> '
                        r'<span class="facet-count">(\d+)</span>', html)  # fmt: skip
    assert sum(map(int, counts)) == 3
    slugs, html = results(client, "安全", page="2")
    assert "There are only 1 pages" in html and len(slugs) == 3


def test_date_range_and_sort(client, catalogue):
    slugs, _html = results(client, "", sector="toys", issued_after="2025-01-01", sort="newest")
    issued = [Standard.objects.get(slug=slug).issued_date for slug in slugs]
    assert issued and all(date.year >= 2025 for date in issued)
    assert issued == sorted(issued, reverse=True)


def test_bad_filter_values_are_reported_and_ignored(client, catalogue):
    slugs, html = results(
        client, "玩具", sector=["toys", "no-such-sector"], issued_after="2020-13-45", status="x"
    )
    assert "were not understood and were ignored" in html
    assert slugs  # the rest of the search still ran


@pytest.mark.parametrize("number", ["0", "-3", "abc", str(10**9), "1e9", ""])
def test_any_page_number_gives_a_page(client, catalogue, number):
    # Not called "page": that name is Playwright's fixture, and would pull the browser
    # tests (which flush the database) in among these.
    response = client.get("/en/search/", {"q": "GB", "sector": "toys", "page": number})
    assert response.status_code == 200


def test_queries_per_page_do_not_grow_with_the_results(
    client, catalogue, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14) as few:  # a word that matches a few rows
        response = client.get("/en/search/", {"q": "气雾罐"})
    assert response.content.decode().count('class="result-id"') in range(1, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/en/search/", {"q": "安全"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/en/search/", {"q": "GB 6675.14"})


def test_htmx_request_gets_only_the_results(client, catalogue):
    response = client.get("/en/search/", {"q": "玩具"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html


def test_a_chinese_title_edited_in_the_admin_is_found_at_once(curator_client, catalogue):
    from tests.forms import form_data

    standard = Standard.objects.get(key="GB14748:2006")
    url = reverse("admin:standards_standard_change", args=[standard.pk])
    data = form_data(curator_client.get(url).content.decode(), "standard_form")
    data["title_zh_hans"] = "儿童推车安全要求 折叠婴儿车"
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    slugs, _html = results(curator_client, "折叠 婴儿车")
    assert slugs[:1] == ["gb-14748-2006"]


# -- bad input never fails ---------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(
        st.text(max_size=2000),
        st.text(alphabet="GBT/-.:0123456789 ENISO%_'\"\\()[]*+?|^$&!<>;", max_size=60),
        st.just("x" * 2000),
    ),
    number=st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), st.text(max_size=5)),
    sector=st.lists(st.sampled_from(["toys", "leather", "nope", "", "'"]), max_size=3),
)
def test_no_query_gives_a_server_error(client, catalogue, query, number, sector):
    response = client.get("/en/search/", {"q": query, "page": number, "sector": sector})
    assert response.status_code in (200, 302)


def test_the_body_filter_takes_body_codes(client, catalogue):
    slugs, html = results(client, "safety", body="CEN")
    assert slugs == ["en-71-1-2014-plus-a1-2018"]
    slugs, html = results(client, "", body=["CEN", "SAC"], jurisdiction="CN")
    assert slugs and all(not slug.startswith("en-") for slug in slugs)


def test_an_empty_result_offers_to_clear_the_filters(client, catalogue):
    slugs, html = results(client, "nothing-matches-this", sector="toys")
    assert not slugs
    assert 'href="?q=nothing-matches-this">Clear the filters</a>' in html
    slugs, html = results(client, "nothing-matches-this")
    assert "Clear the filters" not in html and 'class="facets-title"' not in html


# -- taking the newest matches of the words ------------------------------------------------
STATS = planner.WordStatistics(200_000, {"safeti": 0.2, "电器": 0.04, "安全": 0.32}, 0.006)


@pytest.mark.parametrize(
    ("printed", "share"),
    [
        ("'safeti'", 0.2),
        ("'电器' & '安全'", 0.04),  # both needed: at most the rarer one's rows
        ("'电器' | '安全'", 0.36),
        ("'电器' <-> '安全'", 0.04),
        ("'电器' | ( '安全' & 'unlisted' )", 0.046),  # an unlisted lexeme: below the floor
        ("'safeti':*", 1.0),  # a prefix may match anything
        ("!'safeti'", 1.0),
        ("'it''s'", 0.006),
        ("", 0.0),  # only stop words: nothing matches
        ("'safeti' & (", 1.0),  # not understood: assume the most
    ],
)
def test_the_share_of_rows_a_tsquery_can_match(printed, share):
    assert planner.share_at_most(printed, STATS) == pytest.approx(share)


def test_common_words_walk_the_index_and_rare_ones_sort(catalogue, monkeypatch):
    """On a real ANALYZE of the test catalogue: the words' rows against √(1,001 × rows)."""
    from django.db import connection

    def walks(text):
        return planner.words_walk_index(text_query(read_query(text)))

    planner.forget_statistics()
    assert walks("安全")  # never analysed: no statistics, walk the index
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE standards_standard")
    assert walks("安全")  # the statistics read a moment ago are kept for a minute
    planner.forget_statistics()
    assert not walks("安全")  # a few dozen rows of a small catalogue: below √(1,001 × rows)
    monkeypatch.setattr(search, "RESULT_LIMIT", 1)  # √(2 × rows): 安全 is now above it
    assert walks("安全")
    assert not walks("气雾罐")


def test_both_ways_of_taking_candidates_give_the_same_page(client, catalogue, monkeypatch):
    monkeypatch.setattr(search, "RESULT_LIMIT", 5)  # more matches than candidates
    pages = []
    for walk in (True, False):
        monkeypatch.setattr(postgres, "words_walk_index", lambda tsquery, walk=walk: walk)
        slugs, html = results(client, "安全")
        assert "5+ standards" in html
        pages.append(slugs)
    assert pages[0] == pages[1] and len(pages[0]) == 5


def test_the_statistics_are_read_from_postgresql(catalogue, monkeypatch):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE standards_standard")
    planner.forget_statistics()
    printed, stats = planner.printed_and_statistics(text_query(read_query("安全 it's")))
    assert "'安全'" in printed
    assert stats.rows == pytest.approx(Standard.objects.count(), rel=0.2)
    assert stats.shares["安全"] > 0.05  # in many of the demo's Chinese titles
    assert 0 < stats.floor <= min(stats.shares.values())
