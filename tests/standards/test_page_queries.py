"""The record pages and the requirement sheet read what they show, in a fixed number of
queries.

Each page is rendered for a record with few related rows and for one with many
(editions, amendments, replacements each way, citations, counterparts of every kind,
sectors and codes, acts covering its products; for the sheet, one act against several
citing several standards): both take the same number of queries, so nothing is read per
row, in the view or in a template. No query runs while a template renders, and the rows
of a list are read without the columns no list shows (the search text, the scope).
"""

from __future__ import annotations

import datetime
import os
import traceback

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards import status
from standards.models import (
    Change,
    ChangeKind,
    ChangeVia,
    Replacement,
    Standard,
    Status,
    TechnicalRegulation,
)
from standards.requirements import covering, covers
from tests.factories import adopt, cite, make_regulation, make_standard, make_watchlist, watch

pytestmark = pytest.mark.django_db

FEW, MANY = 2, 8
TODAY = timezone.localdate()
LATER = datetime.date(2099, 1, 1)

# Editions of one document besides the page's own (2014), in stages and with dates that
# take the status phrase through its branches: replaced, withdrawn (past and announced),
# superseded by its source, status not confirmed.
OTHER_EDITIONS = [
    (2003, {"stage": "superseded", "issued_date": datetime.date(2003, 1, 1)}),
    (1996, {"stage": "withdrawn", "withdrawn_date": datetime.date(2004, 1, 1)}),
    (1990, {"issued_date": datetime.date(1990, 1, 1), "status_confirmed_on": None}),
    (2009, {"issued_date": datetime.date(2009, 1, 1)}),
    (1985, {"stage": "superseded", "withdrawn_date": LATER}),
    (2019, {"stage": "withdrawn", "withdrawn_date": LATER}),
    (1980, {"issued_date": datetime.date(1980, 1, 1), "dow": LATER}),
]


def codes(model, n: int, **filters) -> list:
    return list(model.objects.filter(**filters).order_by("code")[:n])


def standard_record(number: int, n: int, hs_chapter: str) -> Standard:
    """GB <number>.1-2014: n editions, n-1 amendments, n-1 replacements each way, n citing
    acts, n-1 counterparts of each kind (adopted, adopting, through a shared ISO), n
    sectors and codes of each kind, n-1 acts covering its products, n changes."""
    family = f"GB {number}.1"
    page = make_standard(
        f"{family}-2014",
        title_zh_hans="页面标准",
        title_en="The page's standard",
        scope_en="What it covers.",
        issued_date=datetime.date(2014, 5, 6),
        implementation_date=datetime.date(2016, 1, 1),
        status_label="现行",
        committee_code="SAC/TC 253",
        source_url="https://example.org/record",
        last_verified=datetime.date(2024, 1, 1),
        amendment_of=make_standard(f"GB {number}-2010", title_zh_hans="基础"),
    )
    editions = [
        make_standard(f"{family}-{year}", title_zh_hans=f"第{year}版", **kw)
        for year, kw in OTHER_EDITIONS[: n - 1]
    ]
    Replacement.objects.create(new=page, old=editions[0], extent="partial")
    for k in range(n - 1):
        make_standard(f"GB/T {number}.{k + 50}-2017", title_zh_hans="修改单", amendment_of=page)
        old = make_standard(f"GB/T {number}.{k + 10}-2000", title_zh_hans="旧", stage="superseded")
        Replacement.objects.create(new=page, old=old, extent="whole" if k % 2 else "partial")
        new = make_standard(f"GB {number}.{k + 30}-2025", title_zh_hans="新")
        Replacement.objects.create(new=new, old=page, extent="partial")
    iso = make_standard(f"ISO {number}-1:2010", title_en="International")
    adopt(page, iso, "MOD")
    for k in range(n - 1):
        adopt(make_standard(f"EN {number}-{k + 1}:2012", title_en=f"European {k}"), iso, "IDT")
        adopt(page, make_standard(f"IEC {number}-{k + 1}:2011", title_en="IEC"), "NEQ")
        adopt(make_standard(f"EN {number}-{k + 20}:2015", title_en="Adopts it"), page, "IDT")
    page.sectors.set(Sector.objects.order_by("slug")[:n])
    page.hs_codes.set(codes(HsCode, n, code__startswith=hs_chapter, level=6))
    page.ics_codes.set(codes(IcsCode, n))
    page.ccs_codes.set(codes(CcsCode, n))
    for k in range(n):
        act = make_regulation(
            f"CNCA-C{number}-{k:02d}:2024",
            jurisdiction="CN",
            kind="cn-ccc",
            short_name_zh_hans=f"规则{k}",
            title_zh_hans=f"强制性产品认证实施规则{k}",
        )
        cite(
            act,
            page,
            kind="compulsory",
            replaces=editions[0],
            restrictions_en="Only clause 5",
            oj_reference="公告 2024年第1号",
            presumption_ends=TODAY + datetime.timedelta(days=100 + k),
        )
    for k in range(n - 1):
        covering_act = make_regulation(
            f"AQSIQ Order No. {number}{k}",
            jurisdiction="CN",
            kind="cn-mandatory",
            title_zh_hans=f"规定{k}",
        )
        covering_act.hs_codes.set(codes(HsCode, 1, code=hs_chapter))
    for _k in range(n):
        Change.objects.create(standard=page, kind=ChangeKind.DATES, via=ChangeVia.ADMIN)
    return page


def regulation_record(number: int, n: int) -> TechnicalRegulation:
    """A repealed directive with a successor, n-1 predecessors, n sectors and HS codes,
    and 3n cited standards (old editions, their successors citing "in place of" them,
    standards in other stages)."""
    act = make_regulation(
        f"Directive 20{number % 100:02d}/{number}/EU",
        short_name_en="The act",
        scope_en="Toys.",
        conformity_route="ce-modules",
        marking="CE",
        repealed_date=TODAY - datetime.timedelta(days=1),
        successor=make_regulation(f"Regulation (EU) 2030/{number}", short_name_en="Next"),
        source_url="https://example.org/act",
    )
    for k in range(n - 1):
        make_regulation(f"Directive 1990/{number}{k}/EEC", successor=act)
    act.sectors.set(Sector.objects.order_by("slug")[:n])
    act.hs_codes.set(codes(HsCode, n, level=4))
    for k in range(n):
        old = make_standard(f"EN {number}-{k + 1}:2010", title_en="Old")
        new = make_standard(
            f"EN {number}-{k + 1}:2020", title_en="New", dow=TODAY + datetime.timedelta(days=30)
        )
        kw = OTHER_EDITIONS[k % len(OTHER_EDITIONS)][1]
        other = make_standard(f"EN {number}-{k + 50}:2019", title_en="Other", **kw)
        cite(act, old, presumption_ends=TODAY + datetime.timedelta(days=10))
        cite(act, new, replaces=old, restrictions_en="Clause 5 only", oj_reference="OJ L 1")
        cite(act, other)
    return act


def sheet_record(n: int, hs: str, market: str) -> None:
    """n acts of `market` covering `hs`, each citing n standards for it (and n for other
    products), with a counterpart at home adopting each and one adopting the same
    international standard; and one standard linked to the product by its HS code."""
    eu = market == "EU"
    home = "CN" if eu else "EU"
    base = 4000 + n * 100 + (0 if eu else 50)

    def ours(number: int, part: int, year: int) -> str:
        return f"EN {number}-{part}:{year}" if eu else f"GB {number}.{part}-{year}"

    def theirs(number: int, part: int, year: int) -> str:
        return f"GB/T {number}.{part}-{year}" if eu else f"EN {number}-{part}:{year}"

    for a in range(n):
        number = base + a
        act = make_regulation(
            f"Directive 2031/{number}/EU" if eu else f"Rule of AQSIQ No. {number}",
            jurisdiction=market,
            kind="eu-directive" if eu else "cn-mandatory",
            conformity_route="ce-modules" if eu else "ccc-certification",
            marking="CE" if eu else "CCC",
            applies_from=TODAY,
            title_zh_hans=f"规定{number}",
        )
        act.hs_codes.set([HsCode.objects.get(code=hs[:4])])
        for k in range(n):
            kw = {**OTHER_EDITIONS[k % len(OTHER_EDITIONS)][1], "stage": "published"}
            standard = make_standard(ours(number, k + 1, 2020), title_en="Cited", **kw)
            standard.hs_codes.set([HsCode.objects.get(code=hs)])
            cite(
                act,
                standard,
                kind="harmonised" if k % 2 else "compulsory",
                presumption_ends=TODAY + datetime.timedelta(days=50),
            )
            iso = make_standard(f"ISO {number}-{k + 1}:2018", title_en="ISO")
            adopt(standard, iso, "IDT")
            adopt(make_standard(theirs(number, k + 1, 2021), title_zh_hans="同源"), iso, "MOD")
            adopt(
                make_standard(theirs(number, k + 60, 2022), title_zh_hans="直接"), standard, "IDT"
            )
            elsewhere = make_standard(ours(number, k + 30, 2020), title_en="Elsewhere")
            elsewhere.hs_codes.set([HsCode.objects.get(code="6402")])
            cite(act, elsewhere)
        loose = make_standard(ours(number, 99, 2020), title_en="Linked by its HS code")
        loose.hs_codes.set([HsCode.objects.get(code=hs[:4])])
    assert Standard.objects.filter(jurisdiction=home).exists()


# The product of a sheet with one act citing one standard, and of one with four acts
# citing four each, in each market.
SHEETS = {"eu": ("851631", "850980"), "cn": ("950300", "950490")}


@pytest.fixture(scope="module")
def _records(module_rows):
    """Built once for the module (see module_rows); each test's own writes roll back."""
    with module_rows.unblock():
        for market, (few, many) in SHEETS.items():
            sheet_record(1, few, market.upper())
            sheet_record(4, many, market.upper())
        return {
            "standards": (
                standard_record(30001, FEW, "9503"),
                standard_record(30002, MANY, "8516"),
            ),
            "regulations": (regulation_record(3001, FEW), regulation_record(3002, MANY)),
        }


@pytest.fixture
def records(_records, db):
    return _records


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def same_queries(client, urls, bound, django_assert_max_num_queries, django_assert_num_queries):
    """The page for the small record in at most `bound` queries, the others in exactly as
    many; their HTML."""
    with django_assert_max_num_queries(bound) as small:
        html_of(client, urls[0])
    pages = []
    for url in urls[1:]:
        with django_assert_num_queries(len(small.captured_queries)):
            pages.append(html_of(client, url))
    return pages


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_standard_page_queries_are_the_same_for_a_large_record(
    client, records, language, django_assert_max_num_queries, django_assert_num_queries
):
    few, many = records["standards"]
    urls = [f"/{language}/standards/{s.slug}/" for s in (few, many)]
    (html,) = same_queries(
        client, urls, 13, django_assert_max_num_queries, django_assert_num_queries
    )
    # The large record's rows are all on its page.
    for year, _kw in OTHER_EDITIONS:
        assert f"GB 30002.1-{year}" in html
    for k in range(MANY - 1):
        for shown in (
            f"GB/T 30002.{k + 50}-2017",  # amendment
            f"GB/T 30002.{k + 10}-2000",  # replaced by it
            f"GB 30002.{k + 30}-2025",  # replaces it
            f"EN 30002-{k + 1}:2012",  # through ISO 30002-1
            f"IEC 30002-{k + 1}:2011",  # adopted by it
            f"EN 30002-{k + 20}:2015",  # adopts it
            f"/regulations/aqsiq-order-no-30002{k}/",  # covers its products
        ):
            assert shown in html, shown
    assert html.count("/regulations/cnca-c30002-") == MANY
    assert "GB 30002-2010" in html  # the edition it amends


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_regulation_page_queries_are_the_same_for_a_long_list(
    client, records, language, django_assert_max_num_queries, django_assert_num_queries
):
    few, many = records["regulations"]
    urls = [f"/{language}/regulations/{r.slug}/" for r in (few, many)]
    (html,) = same_queries(
        client, urls, 5, django_assert_max_num_queries, django_assert_num_queries
    )
    for k in range(MANY):
        for shown in (f"EN 3002-{k + 1}:2010", f"EN 3002-{k + 1}:2020", f"EN 3002-{k + 50}:2019"):
            assert shown in html, shown
    for k in range(MANY - 1):
        assert f"Directive 1990/3002{k}/EEC" in html
    assert "Regulation (EU) 2030/3002" in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("market", ["eu", "cn"])
def test_requirement_sheet_queries_are_the_same_for_more_acts_and_standards(
    client, records, language, market, django_assert_max_num_queries, django_assert_num_queries
):
    few, many = SHEETS[market]
    urls = [f"/{language}/products/?hs={hs}&market={market}" for hs in (few, many)]
    (html,) = same_queries(
        client, urls, 8, django_assert_max_num_queries, django_assert_num_queries
    )
    base = 4400 + (0 if market == "eu" else 50)
    for number in range(base, base + 4):
        shown = [f"{number}-{k + 1}:2020" for k in range(4)] + [f"{number}-99:2020"]
        if market == "cn":
            shown = [f"GB {number}.{k + 1}-2020" for k in range(4)] + [f"GB {number}.99-2020"]
        for identifier in shown:
            assert identifier in html, identifier
    assert html.count('#cited-title"') == 4  # "4 more, for other products", per act
    # Each standard: the ISO standard it adopts, its adopter at home, one via the ISO.
    assert html.count("/compare/?a=") == 4 * 4 * 3


def _in_template() -> bool:
    template = os.path.join("django", "template", "base.py")
    return any(frame.filename.endswith(template) for frame in traceback.extract_stack())


@pytest.mark.parametrize("logged_in", [False, True])
def test_templates_do_not_query(client, records, alice, acme, logged_in):
    standard = records["standards"][1]
    regulation = records["regulations"][1]
    if logged_in:
        client.force_login(alice)
        list_ = make_watchlist(acme)
        watch(list_, standard)
        watch(list_, regulation)
    urls = [
        f"/en/standards/{standard.slug}/",
        f"/en/regulations/{regulation.slug}/",
        f"/en/products/?hs={SHEETS['eu'][1]}&market=eu",
        f"/zh-hans/products/?hs={SHEETS['cn'][1]}&market=cn",
    ]
    rendering = []

    def note(execute, sql, params, many, context):
        if _in_template():
            rendering.append(sql)
        return execute(sql, params, many, context)

    for url in urls:
        rendering.clear()
        with connection.execute_wrapper(note):
            html = html_of(client, url)
        assert rendering == [], url
        if logged_in and "/products/" not in url:
            assert "Watching on" in html


SEARCH_TEXT = ('"search_vector"', '"search_zh_title"', '"search_zh_scope"')
SCOPE = ('"scope"', '"scope_en"', '"scope_zh_hans"')


def selected(sql: str) -> str:
    return sql.split(" FROM ", 1)[0]


@pytest.mark.parametrize(
    "url, own",
    [
        ("/en/standards/gb-30002-1-2014/", 1),
        ("/en/regulations/directive-2002-3002-eu/", 1),
        (f"/en/products/?hs={SHEETS['eu'][1]}&market=eu", 0),
        (f"/zh-hans/products/?hs={SHEETS['cn'][1]}&market=cn", 0),
    ],
)
def test_pages_read_only_the_columns_they_show(client, records, url, own):
    """No query reads the search text; only the record's own (a page shows its scope)
    reads a scope: not its editions, counterparts, citations, acts or successor."""
    with CaptureQueriesContext(connection) as queries:
        html_of(client, url)
    columns = [selected(q["sql"]) for q in queries.captured_queries]
    assert not [c for c in columns if any(name in c for name in SEARCH_TEXT)]
    with_scope = [c for c in columns if any(name in c for name in SCOPE)]
    assert len(with_scope) == own
    for query in with_scope:  # the record's own query: nothing related brings a scope
        assert query.count('"scope_en"') == 1


def test_a_badge_reads_only_the_phrase_fields(reference_tables, django_assert_num_queries):
    """`status.phrase_fields()` is every column the status phrase reads: rows loaded with
    only those give every status's phrase without a query."""
    made = [
        make_standard("GB/T 40001-2020", stage="draft", title_zh_hans="草案"),
        make_standard("GB 40002-2010", title_zh_hans="过渡"),
        make_standard(
            "GB 40002-2020",
            issued_date=datetime.date(2020, 1, 1),
            implementation_date=LATER,
            title_zh_hans="即将",
        ),
        make_standard("GB 40003-2000", title_zh_hans="被代替"),
        make_standard(
            "GB 40003-2010", implementation_date=datetime.date(2011, 1, 1), title_zh_hans="现行"
        ),
        make_standard("EN 40004:2000", stage="superseded", title_en="Superseded by its source"),
        make_standard("EN 40005:2000", stage="superseded", withdrawn_date=LATER, title_en="Still"),
        make_standard("EN 40006:2000", stage="withdrawn", withdrawn_date=datetime.date(2001, 1, 1)),
        make_standard("EN 40007:2000", stage="withdrawn", withdrawn_date=LATER),
        make_standard("EN 40008:2000", status_confirmed_on=None, last_verified=TODAY),
        make_standard("GB 40009-2000", title_zh_hans="将被代替"),
        make_standard("GB 40009-2099", issued_date=LATER, title_zh_hans="未来"),
    ]
    made = Standard.objects.filter(pk__in=[s.pk for s in made])
    found = set()
    for rows in (made, made.with_status()):
        rows = list(rows.select_related("superseded_by").only(*status.phrase_fields()))
        with django_assert_num_queries(0):
            for row in rows:
                found.add((row.pk, str(status.phrase(row))))
    assert {key for key in Status.values} <= {row.current_status for row in made.with_status()}
    assert len(found) == 12  # the same phrase with and without the SQL status
    assert any("replaced by GB 40009-2099 from 2099-01-01" in text for _pk, text in found)


@pytest.mark.parametrize(
    "product", [["851631"], ["8516"], ["85"], ["851631", "950300"], ["950490"], ["6402"]]
)
def test_the_database_chooses_the_acts_covers_would(reference_tables, product):
    """`covering` (SQL) and `covers` (Python) agree: an act at the product's code, above
    it (heading, chapter) or below it."""
    for code in ("85", "8516", "851631", "851632", "8509", "9503", "950300", "95"):
        act = make_regulation(f"Act for {code}", title_zh_hans=code)
        act.hs_codes.set([HsCode.objects.get(code=code)])
    expected = {
        act.pk
        for act in TechnicalRegulation.objects.prefetch_related("hs_codes")
        if covers([hs.code for hs in act.hs_codes.all()], product)
    }
    chosen = set(
        TechnicalRegulation.objects.filter(covering(product, "regulations")).values_list(
            "pk", flat=True
        )
    )
    assert chosen == expected
