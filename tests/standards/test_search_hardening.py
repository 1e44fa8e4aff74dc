"""Search against hostile or odd input (issue 15, items 2, 15 and 17): runs of operators
that PostgreSQL's query parser cannot hold, over-long queries that made pages grow with
them, and highlighted words that are also HTML entity names."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards.models import Standard
from standards.search import expressions
from standards.search.bounds import MAX_QUERY_LENGTH, MAX_QUERY_TERMS, bound_query
from standards.search.expressions import text_query
from standards.search.query import read_query
from standards.templatetags.cesip_search import highlight
from tests.factories import make_regulation, make_standard

LANGUAGES = ["en", "zh-hans"]
# What fuzzers and people send: operators of every search syntax, hyphen runs, quotes,
# NUL, full-width and CJK punctuation.
ODD_PIECES = [
    "-", "--", "<->", "<2>", "!", "&", "|", ":*", "*", "(", ")", '"', "'", "“", "”", "「",
    "」", "\x00", "\t", "。", "、", "，", "～", "or", "OR", "not", "and", "toys", "玩具",
    "安全", "GB", "6675", "-toys", "EN 71-1", "&amp;", "\\", "%", "_", "ＧＢ／Ｔ",
]  # fmt: skip
odd_queries = st.one_of(
    st.lists(st.sampled_from(ODD_PIECES), max_size=80).map("".join),
    st.lists(st.sampled_from(ODD_PIECES), max_size=80).map(" ".join),
    st.text(max_size=300),
    st.integers(min_value=1, max_value=400).map(lambda n: "-" * n),
    st.integers(min_value=1, max_value=150).map(lambda n: "<->" * n),
)


@pytest.fixture
def titles(db):
    make_standard(
        "GB 6675.1-2014",
        title_en="Toy safety — Part 1: Basic code",
        title_zh_hans="玩具安全 第1部分：基本规范",
        sectors=["toys"],
    )
    make_standard(
        "EN 71-1:2014+A1:2018",
        title_en='Toys & games: "quot" marks <lt> and amp\'s',
        sectors=["toys"],
    )
    make_regulation("2009/48/EC", short_name_en="Toy Safety Directive", title_en="Safety of toys")


def search(client, q, language="en", follow=False, **params):
    return client.get(f"/{language}/search/", {"q": q, **params}, follow=follow)


# -- item 2: runs of operators -----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "q",
    ["-" * 33, "-" * 40, "<->" * 33, "toys " + "- " * 40, "--" * 20 + "toys", "toys " + "!" * 40],
)
def test_runs_of_operators_answer_a_page(client, titles, q, language):
    response = search(client, q, language, follow=True)  # shortened if over the terms
    assert response.status_code == 200
    assert len(response.redirect_chain) <= 1


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "has no words to search"), ("zh-hans", "没有可搜索的词")],
)
def test_a_query_of_signs_only_says_there_is_nothing_to_search(client, titles, language, message):
    response = search(client, "-" * 40, language)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_query_postgresql_cannot_run_gets_a_translated_message(client, titles, monkeypatch):
    """Whatever slips through the simplification: a clear message, not a 500."""
    broken = SearchQuery("((toys", config="simple", search_type="raw")  # a syntax error
    monkeypatch.setattr(expressions, "text_query", lambda query: broken)
    monkeypatch.setattr("standards.search.postgres.text_query", lambda query: broken)
    for language, message in (
        ("en", "This search could not be run"),
        ("zh-hans", "无法执行此搜索"),
    ):
        response = search(client, "toys", language)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert "- ! &amp; | &lt; &gt;" in response.content.decode()  # the signs, escaped
    # The connection is still usable afterwards (the failure stayed in its savepoint).
    assert Standard.objects.count() == 2


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=odd_queries)
def test_every_query_reaches_postgresql_as_a_query_it_can_run(db, q):
    """The words part of any query is one PostgreSQL can parse, within the bounds."""
    query = read_query(q)
    assert len(query.text) <= MAX_QUERY_LENGTH
    assert len(query.text.split()) <= MAX_QUERY_TERMS
    assert len(query.chinese) <= MAX_QUERY_TERMS
    tsquery = text_query(query)
    if tsquery is None:
        return
    standards = Standard.objects.filter(search_vector=tsquery).values("pk")
    sql, params = standards.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)  # parses every tsquery, reads nothing


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=odd_queries, language=st.sampled_from(LANGUAGES))
def test_odd_queries_answer_a_page(client, titles, q, language):
    response = search(client, q, language)
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # shortened: the shorter search is a page
        assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("q", "english"),
    [
        ("-" * 40, ""),
        ("toys -- car", "toys car"),
        ("--toys", "-toys"),
        ("toys - car", "toys car"),
        ("toy-----car", "toy-car"),
        ('"hair care" -toys', '"hair care" -toys'),
        ('-"hair care"', '-"hair care"'),
        ('"-hair --care"', '"hair care"'),
        ('"" toys', "toys"),
        ("toys <-> car ! & | :*", "toys car"),
        ("'toys' children's", "toys children's"),
    ],
)
def test_operators_are_simplified_to_words_phrases_and_one_minus(q, english):
    assert read_query(q).english == english


# -- item 15: bounded length and terms -----------------------------------------------------


def test_bound_query_cuts_length_and_terms():
    assert bound_query("  toys   safety ") == ("toys safety", False)
    text, shortened = bound_query("toys " * 100)
    assert shortened and len(text) <= MAX_QUERY_LENGTH and len(text.split()) <= MAX_QUERY_TERMS
    text, shortened = bound_query(" ".join(f"w{i}" for i in range(MAX_QUERY_TERMS + 5)))
    assert shortened and text.split() == [f"w{i}" for i in range(MAX_QUERY_TERMS)]
    assert bound_query("a\x00b\x07c") == ("a b c", False)
    assert bound_query("ＧＢ／Ｔ　6675") == ("GB/T 6675", False)
    # A long Chinese run (no spaces) is cut by length, and its words are bounded too.
    text, shortened = bound_query("玩具安全" * 100)
    assert shortened and len(text) == MAX_QUERY_LENGTH
    assert len(read_query("玩具安全电吹风" * 40).chinese) <= MAX_QUERY_TERMS


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_query_is_cut_with_a_message_and_the_page_stays_small(client, titles, language):
    short = search(client, "toys safety", language)
    assert short.status_code == 200
    long_q = "toys safety " * 330  # 3.9 KB, as in the report
    response = search(client, long_q, language, sector="toys")
    assert response.status_code == 302  # to the same search, shortened
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    message = {
        "en": f"at most {MAX_QUERY_TERMS} words and {MAX_QUERY_LENGTH} characters",
        "zh-hans": f"最多搜索 {MAX_QUERY_TERMS} 个词、{MAX_QUERY_LENGTH} 个字符",
    }[language]
    assert message in html_lib.unescape(text)
    assert len(page.content) < len(short.content) + 20 * MAX_QUERY_LENGTH
    assert "toys safety " * 30 not in text


def test_a_huge_query_string_is_not_repeated_on_the_page(client, titles):
    """Every value of the address is bounded, not only q: each result's log-in link and
    the language switcher repeat the address."""
    response = client.get(
        "/en/search/",
        {"q": "toys", "document_type": "x" * 100_000, "utm_source": "y" * 100_000},
    )
    assert response.status_code == 302
    assert len(response["Location"]) < 2_100
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert len(page.content) < 120_000


def test_an_ordinary_search_is_not_redirected(client, titles):
    response = search(client, "toys", sector=["toys"], sort="newest", page="1", utm_source="x")
    assert response.status_code == 200


def test_the_search_box_is_bounded_like_the_query(client, titles):
    response = search(client, "toys")
    assert f'maxlength="{MAX_QUERY_LENGTH}"' in response.content.decode()


# -- item 17: highlighting and entities ---------------------------------------------------


@pytest.mark.parametrize("term", ["amp", "quot", "lt", "gt", "x27", "39", "#", "&", "<"])
def test_highlighting_never_breaks_an_entity(term):
    text = 'Toys & games: "quot" <lt> and amp\'s'
    marked = str(highlight(text, [term]))
    # Taking the marks out gives the text, escaped once: no entity was cut in two.
    assert html_lib.unescape(marked.replace("<mark>", "").replace("</mark>", "")) == text
    assert not re.search(r"&[#\w]*<mark>|<mark>[#\w]*;", marked)


def test_highlighting_marks_the_words_of_the_text():
    marked = str(highlight("Safety of toys & AMP amplifiers", ["amp", "toys"]))
    assert marked == ("Safety of <mark>toys</mark> &amp; <mark>AMP</mark> amplifiers")
    assert str(highlight("<b>", [])) == "&lt;b&gt;"


@pytest.mark.parametrize(
    ("text", "terms", "marked"),
    [
        # Whole words only: "ec" of a directive's number, not of "Directive".
        ("Toy Safety Directive 2009/48/EC", ["ec", "toy"],
         "<mark>Toy</mark> Safety Directive 2009/48/<mark>EC</mark>"),
        # A stem marks the word with its ending, never a longer word it begins.
        ("Testing of tests, batteries and testimony", ["test", "battery"],
         "<mark>Testing</mark> of <mark>tests</mark>, <mark>batteries</mark> and testimony"),
        # Chinese: the segmented words, a compound that holds the term whole.
        ("玩具安全 第1部分 电动玩具", ["玩具", "安全"],
         "<mark>玩具</mark><mark>安全</mark> 第1部分 <mark>电动玩具</mark>"),
        # A character of a word is not a word of its own.
        ("电器安全", ["电"], "电器安全"),
    ],
)  # fmt: skip
def test_highlighting_marks_whole_words_in_both_scripts(text, terms, marked):
    assert str(highlight(text, terms)) == marked


@pytest.mark.parametrize("q", ["amp", "quot", "lt"])
def test_searching_an_entity_name_keeps_the_title_intact(client, titles, q):
    response = search(client, q)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Toys &amp; games: &quot;" in text
    assert not re.search(r"&[#\w]*<mark>", text)
