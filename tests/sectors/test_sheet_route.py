"""A requirement sheet gives the route (issue 17, item 2): each act's conformity route,
competent authority, marking and formalities in both languages, from the curated data
(data/demo/regulations/*.csv and data/demo/formalities.csv, each fact with its source);
CSV, Excel and PDF downloads of the sheet; and its standards put on a watchlist at once.

Sheets are asked for by HS code (the product words are another module's tests): 851631
hair dryers, 901811 electrocardiographs. What each sheet must hold is read from the
sheet itself (standards.requirements), so the exports are checked against it, not
against numbers copied here.
"""

import csv
import html
import io
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts.models import WatchItem, Watchlist
from standards.models import RegulationFormality, TechnicalRegulation
from standards.requirements import requirement_sheet
from standards.titles import act_name
from tests.factories import make_watchlist, watch

HAIR_DRYER_EU = "/{lang}/products/?hs=851631&market=eu"
HAIR_DRYER_CN = "/{lang}/products/?hs=851631&market=cn"
ECG_CN = "/{lang}/products/?hs=901811&market=cn"

# Where a route fact may be read: the Official Journal, the State Council's policy
# library, the national law database, CNCA, the NMPA's English site (DESIGN.md, Data).
OFFICIAL_HOSTS = {
    "eur-lex.europa.eu",
    "sousuo.www.gov.cn",
    "flk.npc.gov.cn",
    "www.cnca.gov.cn",
    "subsites.chinadaily.com.cn",
}


@pytest.fixture(scope="module")
def _demo(demo_snapshot, module_rows):
    """The demo catalogue, restored once for the module; each test's writes roll back."""
    with module_rows.unblock():
        demo_snapshot.restore()


@pytest.fixture
def demo(_demo, db):
    pass


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def section(text: str, anchor: str) -> str:
    """The HTML from the section with id `anchor` to the next section."""
    start = text.index(f'id="{anchor}"')
    end = text.find("<section", start)
    return text[start : end if end != -1 else len(text)]


def act_row(text: str, reference: str) -> str:
    """The table row of the act `reference` in the sheet's acts."""
    acts = section(text, "sheet-regs")
    start = acts.index(f">{reference}<")
    return acts[acts.rindex("<tr", 0, start) : acts.index("</tr>", start)]


def visible(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


# ----------------------------------------------------------------------------------------
# The route on the page, in both languages
# ----------------------------------------------------------------------------------------

# (page, act, words its row shows, words the formalities section shows)
ROUTES = [
    (
        HAIR_DRYER_EU.format(lang="en"),
        "Directive 2014/35/EU",
        [
            "CE marking through conformity assessment modules",
            "Modules or procedures: A",
            "Notified body: Not needed",
            "Market-surveillance authorities of the EU countries",
            "CE",
            "EU declaration of conformity",
            "Economic operator established in the EU",
        ],
        ["Regulation (EU) 2019/1020, Art. 4", "Art. 6(7)", "Directive 2014/35/EU"],
    ),
    (
        HAIR_DRYER_EU.format(lang="zh-hans"),
        "Directive 2014/35/EU",
        [
            "通过合格评定模块加贴 CE 标志",
            "模块或程序： A",
            "公告机构： 不需要",
            "欧盟各成员国市场监督机构",
            "欧盟符合性声明",
            "欧盟境内的经济经营者",
        ],
        ["(EU) 2019/1020号法规第4条", "第6(7)条", "以购买者语言提供的说明和安全信息"],
    ),
    (
        HAIR_DRYER_CN.format(lang="en"),
        "CNCA-C07-01:2024",
        [
            "CCC certification by a designated body",
            "Designated certification body: Needed",
            "SAMR and CNCA, which designates the certification bodies",
            "CCC",
            "CCC certificate from a designated certification body",
            "CCC mark",
            "Chinese labelling",
        ],
        ["Product Quality Law, Art. 27", "in Chinese the product's name"],
    ),
    (
        HAIR_DRYER_CN.format(lang="zh-hans"),
        "CNCA-C07-01:2024",
        [
            "指定认证机构： 需要",
            "国家市场监督管理总局和国家认监委",
            "指定认证机构颁发的CCC证书",
            "CCC标志",
            "中文标识",
        ],
        ["《中华人民共和国产品质量法》第二十七条", "以中文标明产品名称"],
    ),
    (
        ECG_CN.format(lang="en"),
        "State Council Decree No. 739",
        [
            "Registration or filing with the authority",
            "NMPA (imported devices and domestic Class III)",
            "Filing of a Class I medical device",
            "Registration of a Class II or III medical device",
            "Legal agent in China",
        ],
        ["Class II and Class III devices.", "Overseas registrants and filers."],
    ),
    (
        ECG_CN.format(lang="zh-hans"),
        "《医疗器械注册与备案管理办法》",  # SAMR Order No. 47, by its Chinese name
        [
            "国家药品监督管理局（进口医疗器械及境内第三类）",
            "第一类医疗器械备案",
            "第二类、第三类医疗器械注册",
            "中国境内代理人",
        ],
        ["第二类、第三类医疗器械。", "境外注册人、备案人。"],
    ),
]


@pytest.mark.parametrize(("url", "act", "row_words", "formality_words"), ROUTES)
def test_each_act_shows_its_route_authority_marking_and_formalities(
    client, demo, url, act, row_words, formality_words
):
    text = page(client, url)
    row = visible(act_row(text, act))
    for words in row_words:
        assert words in row, (act, words)
    formalities = visible(section(text, "sheet-formalities"))
    for words in formality_words:
        assert words in formalities, (act, words)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_act_page_gives_the_same_route_as_the_sheet(client, demo, lang):
    """What a sheet says of an act, its own page says too: the authority with its
    source, the modules, the third-party body and each formality with its basis."""
    sheet = requirement_sheet(["851631"], "EU")
    act = next(r for r in sheet.regulations if r.route_formalities and r.competent_authority)
    text = page(client, f"/{lang}{act.get_absolute_url()[len('/en') :]}")
    route = visible(section(text, "route-title"))
    suffix = "zh_hans" if lang == "zh-hans" else "en"
    assert getattr(act, f"competent_authority_{suffix}") in route
    assert act.route_source_url in section(text, "route-title")
    for row in act.route_formalities:
        with translation.override(lang):
            label = str(row.get_formality_display())
        assert label in route, label
        basis = getattr(row, f"basis_{suffix}")
        assert not basis or basis in route
    assert ("Formalities" in route) == (lang == "en")


def test_each_formality_of_the_sheet_is_explained_once_with_every_act_that_needs_it(client, demo):
    text = page(client, HAIR_DRYER_EU.format(lang="en"))
    formalities = section(text, "sheet-formalities")
    sheet = requirement_sheet(["851631"], "EU")
    for group in sheet.formalities:
        block = formalities[formalities.index(f'id="{group.anchor}"') :]
        block = block[: block.index("</ul>")]
        listed = {act for act in re.findall(r'/regulations/[^"]+/">([^<]+)</a>', block)}
        assert listed == {row.regulation.reference for row in group.rows}
        # The act's row links to this explanation.
        assert f'href="#{group.anchor}"' in section(text, "sheet-regs")
    # CE marking is required by each of the three acts and explained once.
    assert formalities.count('id="formality-ce-marking"') == 1


def test_a_chinese_sheet_speaks_chinese_and_an_english_one_english(client, demo):
    chinese = visible(
        section(page(client, HAIR_DRYER_CN.format(lang="zh-hans")), "sheet-formalities")
    )
    english = visible(section(page(client, HAIR_DRYER_CN.format(lang="en")), "sheet-formalities"))
    assert "Chinese labelling" not in chinese and "中文标识" in chinese
    assert "中文标识" not in english and "Chinese labelling" in english


def test_every_route_fact_has_an_official_source(demo):
    rows = list(RegulationFormality.objects.select_related("regulation"))
    assert len(rows) > 50
    for row in rows:
        assert urlsplit(row.source_url).hostname in OFFICIAL_HOSTS, row
    routed = TechnicalRegulation.objects.exclude(competent_authority_en="")
    assert routed.count() >= 20
    for regulation in routed:
        assert regulation.competent_authority_zh_hans, regulation
        assert urlsplit(regulation.route_source_url).hostname in OFFICIAL_HOSTS, regulation


def test_the_act_that_names_article_4_is_the_market_surveillance_regulation(demo):
    """Art. 4 of Regulation (EU) 2019/1020 applies to the acts its paragraph 5 lists; the
    curated rows give it for those acts only (MDR and IVDR have their own authorised
    representative, the GPSR its own Art. 16)."""
    listed = set(
        RegulationFormality.objects.filter(
            formality="eu-operator", basis_en="Regulation (EU) 2019/1020, Art. 4"
        ).values_list("regulation__reference", flat=True)
    )
    assert listed == {
        "Directive 2009/48/EC",
        "Directive 2014/35/EU",
        "Directive 2014/30/EU",
        "Directive 2011/65/EU",
        "Directive 2006/42/EC",
        "Regulation (EU) 2016/425",
    }


# ----------------------------------------------------------------------------------------
# Downloads
# ----------------------------------------------------------------------------------------


def sheet_records(codes, market, language) -> tuple[set[str], set[str]]:
    """The acts (named as a page in `language` names them) and the standard identifiers
    the sheet holds."""
    sheet = requirement_sheet(codes, market)
    standards = {e.standard.identifier for e in sheet.mandatory + sheet.harmonised + sheet.other}
    return {act_name(r, language) for r in sheet.regulations}, standards


def squeezed(text: str) -> str:
    """Text without its whitespace: a PDF's lines break words where they fall."""
    return re.sub(r"\s+", "", text)


def download(client, url: str, kind: str):
    response = client.get(f"{url}&format={kind}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert f".{kind}" in response["Content-Disposition"]
    return response


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_csv_holds_the_sheets_rows(client, demo, language):
    acts, standards = sheet_records(["851631"], "EU", language)
    response = download(client, HAIR_DRYER_EU.format(lang=language), "csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == ("类别" if language == "zh-hans" else "Section")
    identifiers = [row[1] for row in body]
    assert set(identifiers) == acts | standards and len(identifiers) == len(acts | standards)
    lvd = next(row for row in body if row[1] == "Directive 2014/35/EU")
    if language == "en":
        assert "Market-surveillance authorities" in lvd[5] and lvd[6] == "CE"
        assert "EU declaration of conformity" in lvd[7]
    else:
        assert "欧盟各成员国市场监督机构" in lvd[5] and "欧盟符合性声明" in lvd[7]


def test_the_excel_file_holds_the_sheets_rows_and_its_date(client, demo):
    from openpyxl import load_workbook

    acts, standards = sheet_records(["901811"], "CN", "zh-hans")
    response = download(client, ECG_CN.format(lang="zh-hans"), "xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert {row[1] for row in rows[1:]} == acts | standards
    decree = next(row for row in rows if row[1] == "《医疗器械监督管理条例》")
    assert "中国境内代理人" in decree[7] and "国家药品监督管理局" in decree[5]
    about = dict((row[0], row[1]) for row in workbook.worksheets[1].iter_rows(values_only=True))
    assert about["生成日期"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Requirements for", "Regulations that apply", "Formalities", "CE marking"]),
        ("zh-hans", ["适用的法规", "手续", "欧盟符合性声明", "欧盟各成员国市场监督机构"]),
    ],
)
def test_the_pdf_is_a_pdf_with_the_date_coverage_and_route(client, demo, language, words):
    from pypdf import PdfReader

    response = download(client, HAIR_DRYER_EU.format(lang=language), "pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert timezone.localdate().isoformat() in text
    for word in words:
        assert word in text, word
    # The coverage note, as the page prints it.
    shown = page(client, HAIR_DRYER_EU.format(lang=language))
    coverage = html.unescape(re.search(r"data-coverage>([^<]+)<", shown).group(1))
    assert squeezed(coverage) in squeezed(text)
    acts, standards = sheet_records(["851631"], "EU", language)
    for identifier in acts | standards:
        assert squeezed(identifier) in squeezed(text)


def test_no_download_without_a_sheet(client, demo):
    response = client.get("/en/products/?format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# ----------------------------------------------------------------------------------------
# All the sheet's standards on a watchlist
# ----------------------------------------------------------------------------------------


def form_fields(text: str) -> dict[str, str]:
    form = text[text.index('id="sheet-watch"') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return {name: html.unescape(value) for name, value in fields.items()}


def sheet_standard_ids(codes, market) -> set[int]:
    sheet = requirement_sheet(codes, market)
    return {e.standard.pk for e in sheet.mandatory + sheet.harmonised + sheet.other}


def test_a_visitor_is_asked_to_log_in(client, demo):
    text = page(client, ECG_CN.format(lang="en"))
    assert "Log in to put these standards on a watchlist" in text
    assert 'action="/en/company/watchlists/add-sheet/"' not in text
    response = client.post(
        "/en/company/watchlists/add-sheet/", {"standards": "1", "watchlist": "new"}
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not WatchItem.objects.exists()


def test_a_member_puts_exactly_the_sheets_standards_on_a_watchlist(demo, alice, acme):
    watchlist = make_watchlist(acme, "Medical devices", by=alice)
    unrelated = requirement_sheet(["851631"], "EU").harmonised[0].standard
    watch(watchlist, unrelated, by=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = ECG_CN.format(lang="en")
    text = page(client, url)
    fields = form_fields(text)
    wanted = sheet_standard_ids(["901811"], "CN")
    assert {int(pk) for pk in fields["standards"].split(",")} == wanted
    # Without the form's CSRF token the post is refused.
    token = fields.pop("csrfmiddlewaretoken")
    refused = client.post(
        "/en/company/watchlists/add-sheet/", {**fields, "watchlist": watchlist.pk}
    )
    assert refused.status_code == 403
    assert not watchlist.items.exclude(standard=unrelated).exists()
    response = client.post(
        "/en/company/watchlists/add-sheet/",
        {**fields, "watchlist": watchlist.pk, "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    on_list = set(watchlist.items.values_list("standard_id", flat=True))
    assert on_list == wanted | {unrelated.pk}
    assert f"{len(wanted)} standards added to “Medical devices”." in response.content.decode()
    # Again: nothing new, and the message says so.
    again = client.post(
        "/en/company/watchlists/add-sheet/",
        {**fields, "watchlist": watchlist.pk, "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert watchlist.items.count() == len(wanted) + 1
    assert "Nothing added" in again.content.decode()


def test_a_member_can_create_the_watchlist_from_the_sheet(client, demo, li, acme):
    client.force_login(li)
    url = HAIR_DRYER_CN.format(lang="zh-hans")
    fields = form_fields(page(client, url))
    response = client.post(
        "/zh-hans/company/watchlists/add-sheet/",
        {**fields, "watchlist": "new", "name": "电吹风 · 中国"},
        follow=True,
    )
    created = Watchlist.objects.get(company=acme, name="电吹风 · 中国")
    assert set(created.items.values_list("standard_id", flat=True)) == sheet_standard_ids(
        ["851631"], "CN"
    )
    assert "项标准加入“电吹风 · 中国”" in response.content.decode()


def test_an_outsider_cannot_fill_another_companys_watchlist(client, demo, alice, acme, carol):
    watchlist = make_watchlist(acme, "Medical devices", by=alice)
    client.force_login(carol)
    fields = form_fields(page(client, ECG_CN.format(lang="en")))
    response = client.post(
        "/en/company/watchlists/add-sheet/", {**fields, "watchlist": watchlist.pk}
    )
    assert response.status_code == 404
    assert not watchlist.items.exists()


def test_the_download_links_keep_the_sheets_query(client, demo):
    text = page(client, HAIR_DRYER_EU.format(lang="en"))
    for kind in ("pdf", "xlsx", "csv"):
        assert f'href="?hs=851631&amp;market=eu&amp;format={kind}"' in text


def test_the_sheet_has_a_print_stylesheet(client, demo):
    text = page(client, HAIR_DRYER_EU.format(lang="en"))
    assert 'href="/static/css/sheet.css"' in text
    printed = timezone.localdate().isoformat()
    assert f"Printed from CESIP on {printed}." in text


# ----------------------------------------------------------------------------------------
# The curated file
# ----------------------------------------------------------------------------------------


def test_a_formality_without_an_official_source_is_refused(demo, tmp_path):
    from cesip.tabular import ImportRefused
    from standards.imports.regulations import import_formalities

    path = tmp_path / "formalities.csv"
    path.write_text(
        "reference,formality,source_url\n"
        "Directive 2014/35/EU,ce-marking,\n"
        "Directive 2014/35/EU,made-up-duty,https://eur-lex.europa.eu/eli/dir/2014/35/oj\n",
        encoding="utf-8",
    )
    before = RegulationFormality.objects.count()
    with pytest.raises(ImportRefused) as refused:
        import_formalities(path)
    message = str(refused.value)
    assert "source_url" in message and "formality" in message
    assert RegulationFormality.objects.count() == before


def test_reloading_the_file_removes_what_it_no_longer_lists(demo, tmp_path):
    from standards.imports.regulations import import_formalities

    lvd = "Directive 2014/35/EU"
    assert RegulationFormality.objects.filter(regulation__reference=lvd).count() == 5
    path = tmp_path / "formalities.csv"
    path.write_text(
        "reference,formality,basis_en,source_url\n"
        f"{lvd},ce-marking,Art. 16 and 17,https://eur-lex.europa.eu/eli/dir/2014/35/oj\n",
        encoding="utf-8",
    )
    report = import_formalities(path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    kept = RegulationFormality.objects.filter(regulation__reference=lvd)
    assert list(kept.values_list("formality", "basis_en")) == [("ce-marking", "Art. 16 and 17")]
    # Other acts' formalities are not touched.
    assert (
        RegulationFormality.objects.filter(regulation__reference="Directive 2014/30/EU").count()
        == 6
    )
