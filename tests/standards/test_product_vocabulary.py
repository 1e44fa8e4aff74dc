"""The product vocabulary behaves like one (issue 17, item 1): broad products with their
narrower ones, names in any case and number, synonyms, misspellings and the words
exporters use, pinyin; a query that names nothing known gets the closest products and
sectors, never a bare "no product"; and each product's curated scope (data/demo/
product_scopes.csv, a source for each decision) adds acts and standards to its sheet or
leaves them out.

Everything runs on the demo catalogue (data/demo/, loaded once per session and restored
once for this module), through the product finder's page.
"""

import html
import re

import pytest
from django.db import connection

from sectors.imports import import_product_terms
from sectors.models import ProductTerm
from standards.imports.product_scopes import import_product_scopes
from standards.models import ProductScope, TechnicalRegulation
from tests.factories import make_regulation

FINDER = "/{lang}/products/"


@pytest.fixture(scope="module")
def _demo(demo_snapshot, module_rows):
    """The demo catalogue, restored once for the module; each test's writes roll back.
    The restored rows' deferred foreign-key checks run once here, not again at the end of
    every test (Django checks constraints when a test's transaction ends)."""
    with module_rows.unblock():
        demo_snapshot.restore()
        connection.check_constraints()


@pytest.fixture
def demo(_demo, db):
    pass


def finder(client, lang: str, **params) -> str:
    response = client.get(FINDER.format(lang=lang), params)
    assert response.status_code == 200, params
    return response.content.decode()


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def choices(page: str) -> list[str]:
    """The products offered as links: narrower, closest, several named, or broad ones."""
    lists = re.findall(r'<ul class="product-candidates[^"]*">(.*?)</ul>', page, re.S)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for block in lists
        for item in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]


def section(page: str, anchor: str) -> str:
    """The part of the sheet under `anchor` (an id), up to the next section."""
    start = page.find(f'id="{anchor}"')
    if start < 0:
        return ""
    end = page.find("<section", start)
    return page[start : end if end > 0 else len(page)]


def sheet_acts(page: str) -> set[str]:
    """The references of the acts on the sheet ("Regulations that apply"), read from
    their links (on a Chinese page a Chinese rule is named by its Chinese title)."""
    table = section(page, "sheet-regs")
    slugs = set(re.findall(r'<td><a href="/[^/]+/regulations/([^/]+)/">', table))
    return set(
        TechnicalRegulation.objects.filter(slug__in=slugs).values_list("reference", flat=True)
    )


def sheet_standards(page: str) -> str:
    """Everything the sheet shows, from its first line on (acts, formalities, standards);
    the scope notes above it are not part of it."""
    start = page.find('class="sheet-meta"')
    assert start >= 0, "no sheet"
    return page[start:]


# -- every query gets a sheet or a choice -----------------------------------------------

SHEET, CHOICE = "sheet", "choice"

# (page language, what an exporter types, sheet or choice, the product the sheet names or
# one of the choices offered). The dead ends of issue 17 come first.
QUERIES = [
    ("en", "toy", SHEET, "toys"),
    ("en", "toys", SHEET, "toys"),
    ("zh-hans", "玩具", SHEET, "玩具"),
    ("en", "shoes", SHEET, "footwear"),
    ("en", "footwear", SHEET, "footwear"),
    ("en", "mask", CHOICE, "face mask"),
    ("en", "mask", CHOICE, "respirator"),
    ("en", "medical device", SHEET, "medical devices"),
    ("zh-hans", "医疗器械", SHEET, "医疗器械"),
    ("zh-hans", "包装", SHEET, "包装"),
    ("zh-hans", "包装盒", SHEET, "包装"),
    ("zh-hans", "童装", SHEET, "童装"),
    ("en", "aerosol", SHEET, "aerosols"),
    ("en", "Hair Dryers", SHEET, "hair dryer"),
    ("en", "hairdrier", SHEET, "hair dryer"),
    ("en", "hair drier", SHEET, "hair dryer"),
    ("en", "wanju", SHEET, "toys"),
    ("en", "chuifengji", SHEET, "hair dryer"),
    # English: plurals, case, hyphens, synonyms, misspellings, exporters' words.
    ("en", "TOYS", SHEET, "toys"),
    ("en", "Medical Devices", SHEET, "medical devices"),
    ("en", "hair-dryer", SHEET, "hair dryer"),
    ("en", "plush toys", SHEET, "plush toy"),
    ("en", "teddy bears", SHEET, "plush toy"),
    ("en", "leather shoes", SHEET, "leather shoes"),
    ("en", "kids shoes", SHEET, "children's shoes"),
    ("en", "ride-on toys", SHEET, "ride-on toy"),
    ("en", "syringes", SHEET, "syringe"),
    ("en", "KN95", SHEET, "respirator"),
    ("en", "N95 masks", SHEET, "respirator"),
    ("en", "power banks", SHEET, "power bank"),
    ("en", "vaccum cleaner", SHEET, "vacuum cleaner"),
    ("en", "refridgerator", SHEET, "refrigerator"),
    ("en", "LED bulbs", SHEET, "LED lamp"),
    ("en", "packaging", SHEET, "packaging"),
    ("en", "spray paint", SHEET, "spray paint"),
    ("en", "dianchuifeng", SHEET, "hair dryer"),
    ("en", "toster", CHOICE, "toaster"),
    ("en", "stroler", CHOICE, "stroller"),
    ("en", "electrik kettle", SHEET, "electric kettle"),  # "kettle" names it
    ("en", "vacum cleaner", CHOICE, "vacuum cleaner"),
    ("en", "bag", CHOICE, "handbag"),
    ("en", "flux capacitor", CHOICE, "toys"),  # nothing close: the broad products
    # Chinese.
    ("zh-hans", "电吹风", SHEET, "电吹风"),
    ("zh-hans", "吹风机", SHEET, "电吹风"),
    ("zh-hans", "充电宝", SHEET, "移动电源"),
    ("zh-hans", "毛绒玩具", SHEET, "毛绒玩具"),
    ("zh-hans", "皮鞋", SHEET, "皮鞋"),
    ("zh-hans", "鞋子", SHEET, "鞋类"),
    ("zh-hans", "口罩", SHEET, "口罩"),
    ("zh-hans", "儿童口罩", SHEET, "口罩"),
    ("zh-hans", "气雾剂", SHEET, "气雾剂"),
    ("zh-hans", "家电", SHEET, "家用电器"),
    ("zh-hans", "锂电池", SHEET, "锂离子电池"),
    ("zh-hans", "扫地机器人", SHEET, "吸尘器"),
    ("zh-hans", "婴儿推车", SHEET, "婴儿推车"),
    ("zh-hans", "童车", CHOICE, "婴儿推车"),  # three products go by this word
    ("zh-hans", "wanju", SHEET, "玩具"),
    ("zh-hans", "Toys", SHEET, "玩具"),
]


@pytest.mark.parametrize(("lang", "typed", "kind", "expected"), QUERIES)
def test_every_query_gets_a_sheet_or_products_to_choose(client, demo, lang, typed, kind, expected):
    page = finder(client, lang, q=typed)
    assert "No product is called" not in page
    if kind == SHEET:
        assert 'class="sheet-meta"' in page, typed
        title = heading(page)
        assert expected in title, (typed, title)
    else:
        assert expected in choices(page), (typed, choices(page))
    # Whatever the query, the page offers a way on: a sheet, products or a search.
    assert 'class="sheet-meta"' in page or choices(page)


def test_the_queries_cover_both_languages_and_the_dead_ends():
    assert len(QUERIES) >= 40
    assert {lang for lang, *_rest in QUERIES} == {"en", "zh-hans"}
    dead_ends = {"toy", "toys", "玩具", "shoes", "footwear", "mask", "medical device",
                 "医疗器械", "包装", "包装盒", "童装", "aerosol", "Hair Dryers", "hairdrier",
                 "hair drier", "wanju", "chuifengji"}  # fmt: skip
    assert dead_ends <= {typed for _lang, typed, *_rest in QUERIES}


def test_pinyin_is_said_and_an_unknown_word_gets_sectors_and_a_search(client, demo):
    page = finder(client, "en", q="wanju")
    assert "read as the pinyin of" in page and re.search(
        r'<span lang="zh[-_]Hans">玩具</span>', page
    )
    page = finder(client, "en", q="mask")
    assert "Closest products" in page
    assert 'href="/en/sectors/medical-devices/"' in page  # masks' sector
    assert 'href="/en/search/?q=mask"' in page
    page = finder(client, "zh-hans", q="不存在的东西")
    assert "产品大类" in page and "/zh-hans/sectors/" in page and "在目录中搜索" in page


# -- the hierarchy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "typed", "broad", "narrower"),
    [
        ("en", "toys", "Requirements for toys in European Union",
         ["plush toy", "ride-on toy", "electric toy"]),
        ("zh-hans", "玩具", "玩具 在欧盟的要求", ["毛绒玩具", "童车", "电动玩具"]),
        ("en", "footwear", "Requirements for footwear in European Union",
         ["leather shoes", "safety shoes"]),
        ("en", "medical devices", "Requirements for medical devices in European Union",
         ["syringe", "face mask"]),
        ("zh-hans", "包装", "包装 在欧盟的要求", ["纸箱", "塑料瓶"]),
    ],
)  # fmt: skip
def test_a_broad_product_gets_its_sheet_and_the_narrower_products(
    client, demo, lang, typed, broad, narrower
):
    page = finder(client, lang, q=typed, market="eu")
    assert heading(page) == broad
    offered = choices(section(page, "pf-narrower"))
    assert set(narrower) <= set(offered), offered
    # Each narrower product links to its own sheet, in the same market.
    link = re.search(rf'<a href="([^"]+)">{re.escape(narrower[0])}</a>', page).group(1)
    assert "market=eu" in link
    child = client.get(html.unescape(link)).content.decode()
    assert narrower[0] in heading(child) and 'class="sheet-meta"' in child


def test_the_broad_sheet_holds_the_broad_products_codes(client, demo):
    toys = ProductTerm.objects.get(name_en="toys")
    assert list(toys.hs_codes.values_list("code", flat=True)) == ["9503"]
    assert toys.narrower.count() >= 10
    page = finder(client, "en", q="toy", market="eu")
    assert "HS</abbr> 9503:" in page
    assert "Directive 2009/48/EC" in sheet_acts(page) or "Regulation (EU) 2025/2509" in sheet_acts(
        page
    )


# -- scope: what a product's sheet must hold and must not -------------------------------

# Each expectation rests on the decision's source in data/demo/product_scopes.csv:
# CNCA-C22-01:2020 covers children's bicycles, tricycles, wheeled child conveyances and
# baby walkers only (CNCA Notice No. 14 of 2020, as summarised by Intertek,
# https://www.intertek.com/products-retail/insight-bulletins/2020/revision-of-ccc-rules-for-toys-and-childrens-vehicles/);
# GB 6675.12 is for toy scooters and GB/T 14747 for children's tricycles (their titles,
# https://std.samr.gov.cn/); PPE is "equipment designed and manufactured to be worn or
# held by a person for protection" (Regulation (EU) 2016/425, Art. 3(1),
# https://eur-lex.europa.eu/eli/reg/2016/425/oj); GB 9706.20 adopts IEC 60601-2-22
# (laser equipment, https://webstore.iec.ch/publication/16846).


def test_plush_toys_are_not_childrens_vehicles(client, demo):
    toys = finder(client, "en", q="toys", market="cn")
    plush = finder(client, "en", q="plush toy", market="cn")
    assert heading(plush) == "Requirements for plush toy in China"
    # The broad toys sheet has them (HS 9503 brings them in) ...
    assert any(a.startswith("CNCA-C22-01") for a in sheet_acts(toys))
    assert "GB 6675.12-2014" in sheet_standards(toys)
    assert "GB/T 14747-2025" in sheet_standards(toys)
    # ... the plush toy's sheet does not, and says why, with the source.
    assert not any(a.startswith("CNCA-C22-01") for a in sheet_acts(plush))
    assert any(a.startswith("CNCA-C22-02") for a in sheet_acts(plush))  # the toy rule stays
    standards = sheet_standards(plush)
    assert "GB 6675.12" not in standards and "14747" not in standards
    assert "GB 6675.1-2025" in standards
    scope = section(plush, "pf-scope")
    assert "left out of the sheet:" in scope and "GB 6675.12-2014" in scope
    assert "intertek.com" in scope and "std.samr.gov.cn" in scope


def test_plush_toys_in_chinese_too(client, demo):
    page = finder(client, "zh-hans", q="毛绒玩具", market="cn")
    assert not any(a.startswith("CNCA-C22-01") for a in sheet_acts(page))
    assert "GB 6675.12" not in sheet_standards(page)
    assert "童车类产品CCC实施规则" in section(page, "pf-scope")


@pytest.mark.parametrize(("lang", "typed"), [("en", "leather shoes"), ("zh-hans", "皮鞋")])
def test_leather_shoes_are_not_ppe(client, demo, lang, typed):
    shoes = finder(client, lang, q=typed, market="eu")
    safety = finder(client, lang, q="safety shoes", market="eu")
    assert "Regulation (EU) 2016/425" in sheet_acts(safety)  # HS 6403 brings it in
    acts = sheet_acts(shoes)
    assert "Regulation (EU) 2016/425" not in acts
    assert "Regulation (EU) 2023/988" in acts  # added: shoes are consumer products
    assert "eur-lex.europa.eu/eli/reg/2016/425/oj" in section(shoes, "pf-scope")


def test_the_footwear_labelling_directive_is_on_shoes_but_not_on_safety_shoes(client, demo):
    """Directive 94/11/EC, Art. 1: footwear for sale to the consumer, protective footwear
    excluded (https://eur-lex.europa.eu/eli/dir/1994/11/oj)."""
    for typed in ("leather shoes", "sandals", "皮鞋"):
        assert "Directive 94/11/EC" in sheet_acts(finder(client, "en", q=typed, market="eu"))
    safety = finder(client, "en", q="safety shoes", market="eu")
    assert "Directive 94/11/EC" not in sheet_acts(safety)
    assert "Regulation (EU) 2016/425" in sheet_acts(safety)


def test_a_decision_to_include_applies_once_the_act_is_in_the_catalogue(client, demo):
    TechnicalRegulation.objects.filter(reference="Directive 94/11/EC").delete()
    assert "Directive 94/11/EC" not in sheet_acts(
        finder(client, "en", q="leather shoes", market="eu")
    )
    make_regulation(
        "Directive 94/11/EC", short_name_en="Footwear Labelling Directive", kind="eu-directive"
    )  # no HS code: only the scope brings it to the sheet
    page = finder(client, "en", q="leather shoes", market="eu")
    assert "Directive 94/11/EC" in sheet_acts(page)
    assert "Directive 94/11/EC" not in sheet_acts(
        finder(client, "en", q="safety shoes", market="eu")
    )


def test_a_syringe_is_not_laser_equipment(client, demo):
    broad = finder(client, "en", q="medical devices", market="cn")
    assert "GB 9706.20-2000" in sheet_standards(broad)
    page = finder(client, "en", q="syringe", market="cn")
    standards = sheet_standards(page)
    assert "GB 9706.20" not in standards and "GB 9706.1-" not in standards
    assert "GB 15810-2019" in standards  # sterile syringes for single use


@pytest.mark.parametrize(
    ("typed", "act"),
    [("KN95", "Regulation (EU) 2016/425"), ("spray paint", "Directive 75/324/EEC")],
)
def test_what_an_hs_code_misses_is_added(client, demo, typed, act):
    assert act in sheet_acts(finder(client, "en", q=typed, market="eu"))


# What a compliance engineer expects of a dozen sheets: the acts that must be there, those
# that must not, and the standard families a test lab would start from; each with the text
# the expectation rests on.
SHEETS = [
    # (product, market, acts present, acts absent, standards present, source)
    ("hair dryer", "eu",
     {"Directive 2014/35/EU", "Directive 2014/30/EU", "Directive 2011/65/EU"},
     {"Regulation (EU) 2017/745", "Regulation (EU) 2016/425"}, ["EN 60335-2-23"],
     "LVD Art. 1 (50-1000 V AC), EMC Art. 2, RoHS Art. 2 and Annex I cat. 2: "
     "https://eur-lex.europa.eu/eli/dir/2014/35/oj, /2014/30/oj, /2011/65/oj"),
    ("hair dryer", "cn", {"CNCA-C07-01:2024"}, {"CNCA-C22-02:2026"}, ["4706.15"],
     "CNCA-C07-01:2024, the CCC rule for household and similar electrical appliances "
     "(its record's source, www.cnca.gov.cn); GB 4706.15: particular requirements for "
     "skin and hair care appliances"),
    ("plush toy", "eu", {"Directive 2009/48/EC"},
     {"Regulation (EU) 2024/2847", "Directive 2014/35/EU"}, ["EN 71-1", "EN 71-2", "EN 71-3"],
     "TSD Art. 2(1) and Annex II; CRA Art. 2(1) (products with a data connection only): "
     "https://eur-lex.europa.eu/eli/dir/2009/48/oj, https://eur-lex.europa.eu/eli/reg/2024/2847/oj"),
    ("plush toy", "cn", {"CNCA-C22-02:2026"}, {"CNCA-C22-01:2026"}, ["GB 6675.1"],
     "CCC rules for toys and for children's vehicles (CNCA, 2020 and 2026)"),
    ("stroller", "eu", {"Regulation (EU) 2023/988"}, {"Directive 2009/48/EC"}, ["EN 1888-1"],
     "GPSR Art. 2; a pushchair is not a toy (TSD Art. 2(1)); EN 1888-1 is the pushchair "
     "standard: https://eur-lex.europa.eu/eli/reg/2023/988/oj"),
    ("stroller", "cn", {"CNCA-C22-01:2026"}, {"CNCA-C22-02:2026"}, ["GB 14748"],
     "CCC rule for children's vehicles covers wheeled child conveyances (CNCA-C22-01); "
     "GB 14748: safety requirements for wheeled child conveyances"),
    ("syringe", "eu", {"Regulation (EU) 2017/745"}, {"Regulation (EU) 2017/746"},
     ["EN ISO 13485", "EN ISO 14971"],
     "MDR Art. 2(1); IVDR Art. 2(2) (in vitro examination of specimens only): "
     "https://eur-lex.europa.eu/eli/reg/2017/745/oj, https://eur-lex.europa.eu/eli/reg/2017/746/oj"),
    ("syringe", "cn", set(), set(), ["GB 15810"],
     "GB 15810: sterile hypodermic syringes for single use (https://std.samr.gov.cn/)"),
    ("spray paint", "eu", {"Directive 75/324/EEC"}, {"Directive 2014/35/EU"}, [],
     "Aerosol Dispensers Directive Art. 1: https://eur-lex.europa.eu/eli/dir/1975/324/oj"),
    ("power bank", "eu", {"Regulation (EU) 2023/1542"}, {"Directive 2014/35/EU"}, [],
     "Batteries Regulation Art. 2 and 3; LVD Art. 1 starts at 75 V DC, a power bank gives "
     "5-20 V: https://eur-lex.europa.eu/eli/reg/2023/1542/oj"),
    ("power bank", "cn", {"CNCA-C09-01:2023"}, set(), ["GB 31241"],
     "CCC for lithium-ion batteries and power banks from 2023-08-01 (SAMR/CNCA "
     "Announcement No. 10 of 2023); GB 31241: lithium-ion cells and batteries for "
     "portable electronic equipment"),
    ("children's clothing", "eu", {"Regulation (EU) No 1007/2011", "Regulation (EU) 2023/988"},
     {"Regulation (EU) 2016/425"}, ["EN 14682"],
     "Textile Labelling Regulation Art. 2; PPE Art. 3(1) (ordinary clothing is not PPE); "
     "EN 14682: cords and drawstrings on children's clothing: "
     "https://eur-lex.europa.eu/eli/reg/2011/1007/oj, https://eur-lex.europa.eu/eli/reg/2016/425/oj"),
    ("children's clothing", "cn", set(), set(), ["GB 31701", "GB 18401"],
     "GB 31701: safety technical code for textile products for infants and children; "
     "GB 18401: national general safety technical code for textile products"),
    ("vacuum cleaner", "eu",
     {"Directive 2014/35/EU", "Directive 2014/30/EU", "Directive 2011/65/EU"}, set(), [],
     "LVD Art. 1, EMC Art. 2, RoHS Annex I cat. 2 (household appliances)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("product", "market", "present", "absent", "families", "source"),
    SHEETS,
    ids=[f"{row[0]}-{row[1]}" for row in SHEETS],
)
def test_a_sheet_holds_what_a_compliance_engineer_expects(
    client, demo, product, market, present, absent, families, source
):
    page = finder(client, "en", q=product, market=market)
    assert heading(page).startswith(f"Requirements for {product} in "), source
    acts = sheet_acts(page)
    assert present <= acts, (source, acts)
    assert not absent & acts, (source, acts)
    standards = sheet_standards(page)
    for family in families:
        assert family in standards, (family, source)


def test_the_sheets_checked_are_a_dozen_in_both_markets():
    assert len(SHEETS) >= 12
    assert {market for _product, market, *_rest in SHEETS} == {"eu", "cn"}


def test_every_scoping_decision_has_a_reason_in_both_languages_and_a_source(demo):
    decisions = list(ProductScope.objects.select_related("term"))
    assert len(decisions) >= 40
    for decision in decisions:
        assert decision.reason_en and decision.reason_zh_hans, decision
        assert decision.source_url.startswith("https://"), decision
    excluded = {(d.term.name_en, d.key) for d in decisions if d.effect == "exclude"}
    assert ("plush toy", "CNCA-C22-01") in excluded and ("plush toy", "GB6675.12") in excluded
    assert ("leather shoes", "Regulation (EU) 2016/425") in excluded
    assert ("syringe", "GB9706.20") in excluded


# -- the destination ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "typed", "market", "title"),
    [
        ("zh-hans", "电吹风", "eu", "电吹风 在欧盟的要求"),
        ("en", "hair dryer", "cn", "Requirements for hair dryer in China"),
    ],
)
def test_the_destination_defaults_to_the_other_market(client, demo, lang, typed, market, title):
    page = finder(client, lang, q=typed)
    assert heading(page) == title
    assert f'value="{market}" checked' in page
    other = "cn" if market == "eu" else "eu"
    assert heading(finder(client, lang, q=typed, market=other)) != title  # a choice is kept


def test_the_heading_names_the_hs_code_in_words(client, demo):
    page = finder(client, "en", hs="95", market="eu")
    assert heading(page).startswith("Requirements for Toys, games and sports requisites")
    page = finder(client, "en", q="hair dryer", market="eu")
    assert "HS</abbr> 8516.31: Hair-dressing apparatus; electro-thermic hair dryers" in page


# -- the files --------------------------------------------------------------------------


def test_the_scopes_load_again_unchanged_and_the_hierarchy_holds(demo, settings):
    demo_dir = settings.BASE_DIR / "data" / "demo"
    # (Loading product_terms.csv again changing nothing is checked row by row in
    # tests/standards/test_import_curated_lists.py; here the scopes.)
    scopes = import_product_scopes(demo_dir / "product_scopes.csv")
    assert scopes.created == scopes.updated == 0
    # A renamed term keeps its row: "teddy bear" is now a synonym of "plush toy".
    assert not ProductTerm.objects.filter(name_en="teddy bear").exists()
    # Every term has HS codes; the broad ones have narrower ones, and no loop.
    assert not ProductTerm.objects.filter(hs_codes__isnull=True).exists()
    broad = set(
        ProductTerm.objects.filter(narrower__isnull=False).values_list("name_en", flat=True)
    )
    assert {"toys", "footwear", "packaging", "medical devices", "aerosols"} <= broad
    assert not ProductTerm.objects.filter(parent__parent__parent__isnull=False).exists()


def test_the_product_file_builds_the_hierarchy_and_refuses_a_loop(demo, tmp_path):
    from cesip.tabular import ImportRefused

    header = "name_en,name_zh_hans,synonyms,hs_codes,sectors,parent,source_url\n"
    path = tmp_path / "terms.csv"
    path.write_text(
        header
        + "wooden toy,木制玩具,wooden toys,950300,toys,toys,\n"
        + "rocking horse,摇马,wooden horse,950300,toys,wooden toy,\n",
        encoding="utf-8",
    )
    report = import_product_terms(path)
    assert report.created == 1
    horse = ProductTerm.objects.get(name_en="rocking horse")
    assert horse.parent.name_en == "wooden toy" and horse.parent.parent.name_en == "toys"
    path.write_text(header + "toys,玩具,toy,9503,toys,plush toy,\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="narrower than itself"):
        import_product_terms(path)
    path.write_text(header + "kite,风筝,,950300,toys,spaceships,\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="Unknown product"):
        import_product_terms(path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"product": "flux capacitor"}, "Unknown product"),
        ({"reference": "GB 6675.12-2014"}, "without its year"),
        ({"effect": "maybe"}, "include or exclude"),
        ({"source_url": "https://www.scribd.com/document/1"}, "scribd.com"),
        ({"reason_zh_hans": ""}, "cannot be empty"),
    ],
)
def test_a_wrong_scoping_decision_is_refused(demo, tmp_path, row, message):
    from cesip.tabular import ImportRefused

    good = {
        "product": "plush toy", "effect": "exclude", "record": "standard",
        "reference": "GB 6675.12", "reason_en": "Toy scooters only.",
        "reason_zh_hans": "只适用于玩具滑板车。", "source_url": "https://std.samr.gov.cn/",
    }  # fmt: skip
    path = tmp_path / "scopes.csv"
    header = ",".join(good)
    path.write_text(header + "\n" + ",".join({**good, **row}.values()) + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match=message):
        import_product_scopes(path)


def test_the_admin_edits_a_term_with_its_broader_product_and_scope(client, demo, administrator):
    term = ProductTerm.objects.get(name_en="plush toy")
    client.force_login(administrator)
    page = client.get(f"/en/admin/sectors/productterm/{term.pk}/change/").content.decode()
    assert "broader product" in page.lower() and "GB 6675.12" in page
    listing = client.get("/en/admin/sectors/productterm/?level=broad").content.decode()
    assert "footwear" in listing and "plush toy" not in listing
