"""Suggestions under the product finder's box: prefix queries on the product vocabulary
and the sectors (standards.search.suggest), and the fragment htmx swaps in."""

import pytest

from sectors.models import HsCode, ProductTerm
from standards.search.suggest import suggest

TERMS = [
    ("hair dryer", "电吹风", "blow dryer\nhairdryer\n吹风机"),
    ("tumble dryer", "滚筒干衣机", ""),
    ("air fryer", "空气炸锅", ""),
    ("plush toy", "毛绒玩具", "soft toy"),
    ("toy car", "玩具车", ""),
    ("electric kettle", "电水壶", "kettle"),
    ("packing tape", "封箱胶带", ""),
    ("parka", "派克大衣", ""),
]


@pytest.fixture
def vocabulary(reference_tables):
    code = HsCode.objects.get(code="851631")
    for name_en, name_zh, synonyms in TERMS:
        term = ProductTerm.objects.create(
            name_en=name_en, name_zh_hans=name_zh, synonyms=synonyms
        )  # fmt: skip
        term.hs_codes.add(code)


def names(typed: str, language: str = "en") -> list[str]:
    return [s.name(language) for s in suggest(typed)]


@pytest.mark.parametrize(
    ("typed", "first", "absent"),
    [
        ("hair d", "hair dryer", "air fryer"),  # the start of the name
        ("HAIR", "hair dryer", "tumble dryer"),  # any case
        ("dry", "hair dryer", "air fryer"),  # the start of a later word
        ("soft", "plush toy", "toy car"),  # a synonym, shown by the term's name
        ("toy", "Toys", "parka"),  # the sector first (the shortest name)
        ("hairdrier", "hair dryer", "tumble dryer"),  # two typos
        ("kettel", "electric kettle", "packing tape"),  # a transposition
        ("pack", "Packaging", "parka"),  # no typo forgiven under five letters
    ],
)
def test_english_prefixes(vocabulary, typed, first, absent):
    shown = names(typed)
    assert shown[0] == first, shown
    assert absent not in shown


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("电吹", "电吹风"),  # the start of a Chinese name
        ("吹风", "电吹风"),  # any part of it
        ("玩", "玩具"),  # one character is enough in Chinese; the sector, shortest
        ("chuifeng", "电吹风"),  # pinyin from a later syllable
        ("dianchui", "电吹风"),  # pinyin from the start
        ("wanju", "玩具"),  # the sector before 毛绒玩具 and 玩具车
    ],
)
def test_chinese_and_pinyin(vocabulary, typed, first):
    shown = names(typed, "zh-hans")
    assert shown[0] == first, shown


def test_nothing_for_one_latin_letter_or_nonsense(vocabulary):
    assert suggest("h") == []
    assert suggest("qqqqqqzz") == []
    assert suggest("") == []


def test_a_new_term_is_suggested_at_once(vocabulary):
    assert "microwave oven" not in names("micro")
    term = ProductTerm.objects.create(name_en="microwave oven", name_zh_hans="微波炉")
    term.hs_codes.add(HsCode.objects.get(code="851650"))
    assert names("micro")[0] == "microwave oven"


def test_fragment_in_each_language(client, vocabulary):
    response = client.get("/en/products/suggest/?q=hair+d&market=eu", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert '<a href="/en/products/?q=hair+dryer&amp;market=eu">hair dryer</a>' in html
    assert "air fryer" not in html

    response = client.get("/zh-hans/products/suggest/?q=wanju", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert (
        '<a href="/zh-hans/sectors/toys/">玩具</a> <span class="suggestion-kind">行业</span>'
        in html
    )
    assert "/zh-hans/products/?q=%E6%AF%9B%E7%BB%92%E7%8E%A9%E5%85%B7" in html  # 毛绒玩具
    assert "Toys" not in html

    html = client.get("/zh-hans/products/suggest/?q=qqqqqqzz", HTTP_HX_REQUEST="true")
    assert "没有以此开头的产品" in html.content.decode()


def test_without_htmx_it_is_the_finder(client, vocabulary):
    response = client.get("/en/products/suggest/?q=hair+d&market=cn")
    assert response.status_code == 302
    assert response["Location"] == "/en/products/?q=hair+d&market=cn"
