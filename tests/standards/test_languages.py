"""Both languages on every record, one language per page (issue 14, part 3).

Over the demo catalogue: every published standard and regulation has a title in each
language with its source; every page type, in English and in Chinese, shows nothing of
the other language outside elements marked with its `lang` (tests/standards/
language_check.py says what that means: no Han character on an English page, no run of
three English words on a Chinese page, identifiers and codes apart).
"""

from __future__ import annotations

import pytest
from django.utils import translation

from sectors.models import ProductTerm, Sector, TranslationSource
from standards.models import Adoption, Degree, Standard, TechnicalRegulation
from standards.titles import source_label
from tests.factories import make_watchlist, watch
from tests.standards.language_check import HAN, other_language

LANGUAGES = ["en", "zh-hans"]
SUFFIX = {"en": "en", "zh-hans": "zh_hans"}


@pytest.fixture
def demo_catalogue(demo_module, db):
    """The demo catalogue, restored once for this module: every test here reads it
    (tests/conftest.py demo_module); what a test changes rolls back after it."""
    return demo_module


def published_records() -> list[Standard | TechnicalRegulation]:
    return [*Standard.objects.public().order_by("key"), *TechnicalRegulation.objects.public()]


def url_in(record, language: str) -> str:
    with translation.override(language):
        return record.get_absolute_url()


def problems_on(client, url: str, language: str) -> list[str]:
    response = client.get(f"/{language}{url}")
    assert response.status_code in (200, 404), f"/{language}{url}: {response.status_code}"
    return [f"/{language}{url}: {found}" for found in other_language(response.text, language)]


def test_every_published_record_has_a_title_in_each_language_with_its_source(demo_catalogue):
    missing = []
    for record in published_records():
        for language in ("en", "zh_hans"):
            title = getattr(record, f"title_{language}") or ""
            source = getattr(record, f"title_{language}_source")
            if not title or source not in TranslationSource.values:
                missing.append(f"{record}: title_{language} {title!r} ({source or 'no source'})")
            # A title in the wrong language would pass the page checks while marked.
            elif (language == "zh_hans") != bool(HAN.search(title)):
                missing.append(f"{record}: title_{language} is not in its language: {title!r}")
    assert not missing, "\n".join(missing)


def test_titles_from_adoptions_come_from_identical_ones_only(demo_catalogue):
    """A title marked as taken from an adoption is the official title of a standard
    linked to it through IDT adoptions alone."""
    links: dict[int, set[int]] = {}
    for a, b in Adoption.objects.filter(degree=Degree.IDT).values_list("standard", "adopted"):
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    taken = 0
    for language in ("en", "zh_hans"):
        for standard in Standard.objects.filter(**{f"title_{language}_source": "adoption"}):
            group, todo = {standard.pk}, [standard.pk]
            while todo:
                for other in links.get(todo.pop(), set()) - group:
                    group.add(other)
                    todo.append(other)
            sources = Standard.objects.filter(
                pk__in=group - {standard.pk},
                **{f"title_{language}": getattr(standard, f"title_{language}")},
                **{f"title_{language}_source": TranslationSource.OFFICIAL},
            )
            assert sources.exists(), f"{standard}: title_{language} from no identical adoption"
            taken += 1
    assert taken >= 20  # the demo's GB adoptions give IEC and ISO records their titles


@pytest.mark.parametrize("language", LANGUAGES)
def test_record_pages_show_each_title_with_its_source_in_one_language(
    client, demo_catalogue, language
):
    """One request per published record: the page names where each of its titles comes
    from, in the page's language, and says nothing else in the other language."""
    problems = []
    for record in published_records():
        response = client.get(url_in(record, language))
        assert response.status_code == 200, record
        html = response.text
        with translation.override(language):
            labels = {
                suffix: source_label(
                    getattr(record, f"title_{suffix}"), getattr(record, f"title_{suffix}_source")
                )
                for suffix in ("en", "zh_hans")
            }
        for suffix, label in labels.items():
            if label not in html and label[:1].upper() + label[1:] not in html:
                problems.append(f"{record}: no source label for title_{suffix} ({label})")
        problems += [f"{record}: {found}" for found in other_language(html, language)]
    assert not problems, "\n".join(problems)


def page_urls(language: str) -> list[str]:
    """The catalogue's other pages: search with results, sectors, product finder and its
    sheets, calendar, what's new, glossary, compare, not-found."""
    chinese = language == "zh-hans"
    # The reader's own words (a query is echoed in the page's <title>, which no element
    # can mark): queries in the page's language, standard numbers in both.
    queries = ["玩具", "医疗器械", "GB 6675"] if chinese else ["toys", "medical devices", "GB 6675"]
    products = ["电吹风", "婴儿推车", "玩具"] if chinese else ["hair dryer", "stroller", "toy"]
    urls = ["/", "/search/", "/calendar/", "/calendar/?past=1", "/changes/", "/changes/?page=2"]
    urls += ["/glossary/", "/compare/", "/products/", "/standards/gb-0000-1900/"]
    urls += [f"/search/?q={q}" for q in queries]
    urls += [f"/search/?jurisdiction={j}" for j in ("CN", "EU", "INT")]
    for sector in Sector.objects.all():
        urls += [f"/sectors/{sector.slug}/", f"/search/?sector={sector.slug}"]
    for market in ("cn", "eu"):
        urls += [f"/products/?q={product}&market={market}" for product in products]
        urls += [f"/products/?hs={hs}&market={market}" for hs in ("8516", "9503", "6403")]
    for adoption in Adoption.objects.select_related("standard", "adopted")[:40]:
        urls.append(f"/compare/?a={adoption.standard.slug}&b={adoption.adopted.slug}")
    return urls


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_pages_are_in_one_language(client, demo_catalogue, language):
    assert ProductTerm.objects.exists()
    problems = []
    for url in page_urls(language):
        problems += problems_on(client, url, language)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_account_pages_are_in_one_language(client, demo_catalogue, alice, acme, language):
    anonymous = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    problems = []
    for url in anonymous:
        problems += problems_on(client, url, language)
    watchlist = make_watchlist(acme, "Appliances", by=alice)
    for identifier in ("GB 4706.1-2005", "EN 60335-1:2012", "IEC 60335-1:2010"):
        watch(watchlist, Standard.objects.get(identifier=identifier), by=alice)
    watch(watchlist, TechnicalRegulation.objects.get(reference="CNCA-C07-01:2024"), by=alice)
    watch(watchlist, TechnicalRegulation.objects.filter(jurisdiction="CN").last(), by=alice)
    client.force_login(alice)
    company = f"/company/{acme.slug}/"
    signed_in = [
        "/accounts/profile/", "/accounts/password/change/", "/company/", company,
        f"{company}members/", f"{company}watchlists/", f"{company}watchlists/{watchlist.pk}/",
        "/account/alerts/", "/account/alerts/history/",
    ]  # fmt: skip
    for url in signed_in:
        problems += problems_on(client, url, language)
    assert not problems, "\n".join(problems)


def test_a_missing_chinese_title_is_shown_in_english_marked_and_awaiting(client, demo_catalogue):
    standard = Standard.objects.public().filter(jurisdiction="INT").first()
    Standard.objects.filter(pk=standard.pk).update(title_zh_hans="", title_zh_hans_source="")
    html = client.get(url_in(standard, "zh-hans")).text
    assert f'<span lang="en">{standard.title_en}</span>' in html.replace("&#x27;", "'")
    assert "待翻译" in html
    assert not other_language(html, "zh-hans")


def test_a_chinese_sentence_names_a_chinese_act_by_its_chinese_name(client, demo_catalogue):
    """“被 Solid Waste Pollution Prevention Law of the PRC (2020 revision) 列为强制执行”
    must read “被 《固体废物污染环境防治法》 列为强制执行”: what's new lists every citation."""
    problems = []
    for page in range(1, 4):
        problems += problems_on(client, f"/changes/?kind=cited&page={page}", "zh-hans")
    assert not problems, "\n".join(problems)
