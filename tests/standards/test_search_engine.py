"""The search engine (standards.search.engine) answering the search page: one index
built from the catalogue of test_search.py (the demo's Chinese standards, ISO and IEC
rows, product terms), read by every test; the same answers as the PostgreSQL fallback.
Following the search log is in test_search_follow.py."""

from __future__ import annotations

import datetime
import logging
import re

import pytest

from standards.models import SearchLogEntry, Standard
from standards.search import engine
from tests.factories import cite, make_regulation
from tests.standards.test_search import build_catalogue, results

JUDGED = [
    ("gb6675.2", "gb-6675-2-2014"),
    ("GB/T 6675.1", "gb-6675-1-2025"),
    ("EN71-1", "en-71-1-2014-plus-a1-2018"),
    ("IEC 60335-2-23", "iec-60335-2-23-2026"),
    ("YY/T 0287", "yy-t-0287-2017"),
    ("medical device quality management", "iso-13485-2016"),
    ("医疗器械 质量管理体系", "yy-t-0287-2017"),
    ("儿童推车", "gb-14748-2006"),
    ("电吹风", "gb-t-4706-15-2024"),
    ("hair dryer safety", "gb-t-4706-15-2024"),
    ("婴儿推车", "en-1888-1-2018-plus-a1-2022"),
    ("stroller", "en-1888-1-2018-plus-a1-2022"),
    ("toys mechanical physical", "en-71-1-2014-plus-a1-2018"),
    ("玩具安全 机械与物理性能", "gb-6675-2-2025"),
]
COUNT = re.compile(r'id="standards-heading">\s*([\d,]+\+?) standard')
FACET = re.compile(
    r'name="(\w+)" value="([^"]*)"[^>]*>\s*<span class="facet-label">[^<]+</span> '
    r'<span class="facet-count">(\d+)</span>'
)


def _index_at(settings, path):
    settings.SEARCH_ENGINE = "index"
    settings.SEARCH_INDEX_DIR = path
    engine.forget_reader()


@pytest.fixture(scope="module")
def _indexed(module_rows, tmp_path_factory):
    path = tmp_path_factory.mktemp("search-index")
    from django.test import override_settings

    with module_rows.unblock(), override_settings(SEARCH_INDEX_DIR=path):
        build_catalogue()
        regulation = make_regulation(
            "Directive 2009/48/EC", short_name_en="Toy Safety Directive", published=True
        )
        cite(regulation, Standard.objects.get(key="EN71-1:2014+AMD1:2018"))
        engine.build()
        # The build read these rows in the same (uncommitted) transaction that logged
        # them: the index holds them, nothing is left to apply.
        SearchLogEntry.objects.all().delete()
    return path


@pytest.fixture
def indexed(_indexed, db, settings):
    """The index of the catalogue, read by search; the PostgreSQL path fails loudly, so
    that a test passing here passed on the engine."""
    _index_at(settings, _indexed)
    return _indexed


@pytest.fixture
def engine_only(indexed, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the search fell back to PostgreSQL")

    monkeypatch.setattr("standards.views.search.facet_counts", refuse)
    return indexed


def page(client, query, language="en", **params):
    slugs, html = results(client, query, language, **params)
    found = COUNT.search(html)
    counts = sorted(FACET.findall(html))
    return slugs, (found.group(1) if found else "0"), counts


# -- the engine's answers ----------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), JUDGED)
def test_judged_queries_keep_their_places_on_the_engine(client, engine_only, query, expected):
    for language in ("en", "zh-hans"):
        slugs, _total, _counts = page(client, query, language)
        assert expected in slugs[:3], (language, slugs[:5])


@pytest.mark.parametrize(("query", "expected"), JUDGED)
def test_engine_and_fallback_give_the_same_page(client, indexed, settings, query, expected):
    """The same matches counted, the same facet counts, the same rows on the page (in the
    same order when only identifiers and products rank; words rank by BM25 on the
    engine, by ts_rank on PostgreSQL), the judged record in its place on both."""
    on_engine = page(client, query)
    settings.SEARCH_ENGINE = "postgres"
    on_postgres = page(client, query)
    assert on_engine[1] == on_postgres[1]  # total
    assert on_engine[2] == on_postgres[2]  # every facet value and count
    assert set(on_engine[0]) == set(on_postgres[0])
    assert expected in on_engine[0][:3] and expected in on_postgres[0][:3]
    from standards.search.query import read_query

    if not read_query(query).english and not read_query(query).chinese:
        assert on_engine[0] == on_postgres[0]


def test_identifiers_rank_above_words_and_current_editions_first(client, engine_only):
    slugs, _total, _counts = page(client, "ISO 13485")
    assert slugs[0] == "iso-13485-2016"
    assert set(slugs[:3]) == {"iso-13485-2016", "iso-13485-2003", "iso-13485-1996"}
    slugs, _total, _counts = page(client, "婴幼儿 儿童 纺织产品")
    assert slugs[0] == "gb-31701-2015"
    slugs, _total, _counts = page(client, "机械电气安全")
    assert slugs.index("gb-t-5226-1-2019") < slugs.index("gb-5226-1-2008")


def test_counts_are_exact_beyond_the_postgresql_limit(client, engine_only, monkeypatch):
    from standards import search

    monkeypatch.setattr(search, "RESULT_LIMIT", 3)  # PostgreSQL would stop at 3
    slugs, total, counts = page(client, "安全")
    expected = Standard.objects.filter(published=True, search_zh_title__contains="安全")
    assert int(total.replace(",", "")) >= expected.count() > 3
    jurisdictions = {value: int(n) for name, value, n in counts if name == "jurisdiction"}
    assert sum(jurisdictions.values()) == int(total.replace(",", ""))
    assert len(slugs) == 20


def test_filters_sorts_and_pages_on_the_engine(client, engine_only):
    slugs, _total, _counts = page(
        client, "", sector="toys", issued_after="2025-01-01", sort="newest"
    )
    issued = [Standard.objects.get(slug=slug).issued_date for slug in slugs]
    assert issued and all(date.year >= 2025 for date in issued)
    assert issued == sorted(issued, reverse=True)
    everything = Standard.objects.filter(published=True, sectors__slug="toys").count()
    first, total, _counts = page(client, "", sector="toys")
    second, _total, _counts = page(client, "", sector="toys", page="2")
    assert int(total) == everything
    assert not set(first) & set(second) and len(first) == 20
    from standards.models import TechnicalRegulation

    act = TechnicalRegulation.objects.get(reference="Directive 2009/48/EC")
    slugs, _total, _counts = page(client, "", regulation=act.slug)
    assert slugs == ["en-71-1-2014-plus-a1-2018"]
    cn, _total, _counts = page(client, "安全", jurisdiction="CN", status="current")
    for slug in cn:
        standard = Standard.objects.with_status().get(slug=slug)
        assert standard.jurisdiction == "CN" and standard.current_status == "current"


def test_product_words_and_phrases_on_the_engine(client, engine_only):
    _slugs, _total, _counts = page(client, "hair dryer")
    html = client.get("/en/search/", {"q": "hair dryer"}).content.decode()
    assert "Matched through the product “hair dryer”" in html
    slugs, _total, _counts = page(client, '"mechanical and physical"')
    assert "en-71-1-2014-plus-a1-2018" in slugs
    with_minus, _total, _counts = page(client, "toys -mechanical")
    assert "en-71-1-2014-plus-a1-2018" not in with_minus


def test_queries_per_page_are_constant_on_the_engine(
    client, engine_only, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14) as few:
        client.get("/en/search/", {"q": "气雾罐"})
    for query in ("安全", "GB 6675.14", "hair dryer"):
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get("/en/search/", {"q": query})


def test_a_missing_or_stale_index_falls_back_and_logs_it(client, indexed, settings, caplog):
    settings.SEARCH_INDEX_DIR = indexed.parent / "nothing-here"
    engine.forget_reader()
    engine._said.clear()
    with caplog.at_level(logging.WARNING, logger="standards.search.engine"):
        slugs, _total, _counts = page(client, "ISO 13485")
    assert slugs[0] == "iso-13485-2016"
    assert "Search falls back to PostgreSQL: no search index" in caplog.text
    # Behind: a log entry older than the largest lag allowed.
    _index_at(settings, indexed)
    engine._said.clear()
    entry = SearchLogEntry.objects.create(standard_id=1)
    SearchLogEntry.objects.filter(pk=entry.pk).update(
        created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert engine.unusable_because(engine.reader()) == "the search index is behind the search log"


def test_tsqueries_translate_to_the_same_query():
    assert engine.translate("") is None
    for printed in ("'safeti' & 'toy'", "'hair' <-> 'dryer'", "!'x' & 'y'", "'a':* | 'b'",
                    "'a' <2> 'b' & ( 'c' | 'd' )"):  # fmt: skip
        assert engine.translate(printed) is not None
    with pytest.raises(ValueError):
        engine.translate("'a' & & (")


def test_typos_find_titles_through_fuzzy_terms(client, engine_only, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the trigram fallback ran")

    monkeypatch.setattr("standards.views.search.fallback_standards", refuse)
    monkeypatch.setattr("standards.search.relax.fallback_standards", refuse)
    html = client.get("/en/search/", {"q": "safty of tois"}).content.decode()
    # The spelling from the index's fuzzy matches, applied at once (search.relax).
    assert 'data-step="spelling"' in html and "“safety of toys”" in html
    assert "en-71-1-2014-plus-a1-2018" in html


def test_similar_titles_across_the_border(indexed):
    """More like this: the Chinese pushchair standard's title words find the European
    pushchair standards, and nothing of its own family or market."""
    current = engine.reader()
    gb = Standard.objects.get(key="GB14748:2006")
    ids = engine.similar_titles(current, gb.pk, ["EU", "INT"])
    found = dict(Standard.objects.filter(pk__in=ids).values_list("pk", "key"))
    keys = [found[pk] for pk in ids]
    assert keys and keys[0].startswith("EN1888-1")
    assert all(not key.startswith("GB") for key in keys)


def test_a_record_without_counterparts_offers_similar_titles(client, indexed):
    gb = Standard.objects.get(key="GB14748:2006")
    assert not list(gb.counterparts())
    html = client.get(f"/en/standards/{gb.slug}/").content.decode()
    section = html[html.index('id="similar-titles"') :]
    assert "not a recorded counterpart" in section
    assert "/en/standards/en-1888-1-2018-plus-a1-2022/" in section.split("</ul>")[0]
    html = client.get(f"/zh-hans/standards/{gb.slug}/").content.decode()
    assert "其他市场中标题相近的标准" in html and "Standards with similar" not in html
