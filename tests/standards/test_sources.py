"""Official records and evidence, kept apart: every record links to its publisher's
record, built from its identifier; a source on the deny-list (data/denied_sources.csv) or
not http(s) is refused by every importer and by the admin."""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import translation

from cesip.tabular import ImportRefused
from sectors.models import ProductTerm, Sector
from standards.imports.cen import import_cen_list
from standards.imports.harmonised import import_harmonised_list
from standards.imports.publications import import_publications
from standards.imports.regulations import import_regulations
from standards.imports.samr import import_samr_list
from standards.models import Change, Standard, TechnicalRegulation
from standards.sources import (
    CATEGORIES,
    OFFICIAL_HOSTS,
    denied_domain,
    denied_domains,
    evidence,
    official_record,
    official_records,
    source_problem,
)
from tests.factories import make_body, make_regulation, make_standard
from tests.forms import form_data, form_errors

DATA = Path(__file__).resolve().parents[1] / "data"
DENIED_URL = "https://www.scribd.com/document/493379752/BS-EN-71-1-2014-A1-2018"
BAD_SOURCES = [
    (DENIED_URL, "scribd.com"),
    ("http://m.mydoc123.com/p-572873.html", "mydoc123.com"),
    ("ftp://example.org/gb.pdf", "“ftp:”"),
    ("javascript:alert(1)", "“javascript:”"),
]


# -- The deny-list ---------------------------------------------------------------------


def test_deny_list_has_known_categories_and_no_official_host():
    entries = denied_domains()
    assert len(entries) >= 100
    assert {entry.category for entry in entries.values()} == set(CATEGORIES)
    for host in OFFICIAL_HOSTS | {"www.evs.ee", "www.din.de", "shop.bsigroup.com", "www.sgs.com"}:
        assert denied_domain(f"https://{host}/x") is None, host


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", ""),
        ("https://www.tuvsud.com/en/e-ssentials-newsletter/x", ""),
        ("https://eur-lex.europa.eu/eli/dir/2009/48/oj", ""),
        ("https://m.bzxz.net/bzxz/15674.html", "bzxz.net"),  # a subdomain
        ("https://so-cm-prod-store-app.azurewebsites.net/en/ns-en-71-13-2014", "azurewebsites.net"),
        ("https://notscribd.com/x", ""),  # a domain only covers its own subdomains
        ("HTTPS://WWW.GENORMA.COM/en/x", "genorma.com"),
        ("mailto:someone@example.org", "“mailto:”"),
        ("www.iso.org/standard/1.html", "not a web address"),
        ("https:///path-only", "not a web address"),
    ],
)
def test_source_problem_names_the_domain_or_the_scheme(url, problem):
    found = source_problem(url)
    assert (problem in found) if problem else found == ""


def test_source_problem_speaks_the_readers_language():
    with translation.override("zh-hans"):
        message = source_problem(DENIED_URL)
    assert "scribd.com" in message and "文档分享网站" in message and "拒绝" in message


# -- Official records, by publisher ----------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "source_url", "urls"),
    [
        (
            "GB 6675.1-2014",
            "",
            [
                "https://std.samr.gov.cn/search/std?q=GB%206675.1-2014",
                "https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p1=0&p.p90=circulation_date"
                "&p.p91=desc&p.p2=GB%206675.1-2014",
            ],
        ),
        ("GB/T 16886.5-2017", "", ["https://std.samr.gov.cn/search/std?q=GB%2FT%2016886.5-2017"]),
        ("QB/T 1333-2018", "", ["https://hbba.sacinfo.org.cn/stdList?key=QB%2FT%201333-2018"]),
        ("YY 0505-2012", "", ["https://hbba.sacinfo.org.cn/stdList?key=YY%200505-2012"]),
        (
            "EN 71-1:2014+A1:2018",
            "",
            ["https://standards.cencenelec.eu/dyn/www/f?p=CEN:105::RESET::::"],
        ),
        (
            "ETSI EN 301 489-1 V2.2.3",
            "",
            ["https://www.etsi.org/deliver/etsi_en/301400_301499/30148901/"],
        ),
        ("EN 300 328 V2.2.2", "", ["https://www.etsi.org/deliver/etsi_en/300300_300399/300328/"]),
        (
            "ISO 8124-1:2018",
            "https://www.iso.org/standard/70429.html",
            ["https://www.iso.org/standard/70429.html"],
        ),
        ("ISO 8124-1:2018", "", ["https://www.iso.org/search.html?q=ISO%208124-1%3A2018"]),
        (
            "IEC 60335-1:2020",
            "https://webstore.iec.ch/publication/60880",
            ["https://webstore.iec.ch/publication/60880"],
        ),
        ("CISPR 14-1:2020", "", ["https://webstore.iec.ch/searchform&q=CISPR%2014-1%3A2020"]),
    ],
)
def test_standards_link_their_publishers_record(identifier, source_url, urls):
    standard = Standard(identifier=identifier, source_url=source_url)
    assert [link.url for link in official_records(standard)] == urls


@pytest.mark.parametrize(
    ("reference", "kind", "title_zh", "url"),
    [
        (
            "Directive 2009/48/EC",
            "eu-directive",
            "",
            "https://eur-lex.europa.eu/eli/dir/2009/48/oj",
        ),
        ("Directive 94/62/EC", "eu-directive", "", "https://eur-lex.europa.eu/eli/dir/1994/62/oj"),
        (
            "Directive 75/324/EEC",
            "eu-directive",
            "",
            "https://eur-lex.europa.eu/eli/dir/1975/324/oj",
        ),
        (
            "Regulation (EU) 2025/40",
            "eu-regulation",
            "",
            "https://eur-lex.europa.eu/eli/reg/2025/40/oj",
        ),
        (
            "Regulation (EC) No 1907/2006",
            "eu-regulation",
            "",
            "https://eur-lex.europa.eu/eli/reg/2006/1907/oj",
        ),
        (
            "Decision No 768/2008/EC",
            "eu-decision",
            "",
            "https://eur-lex.europa.eu/eli/dec/2008/768/oj",
        ),
        (
            "Commission Implementing Decision (EU) 2019/1728",
            "eu-decision",
            "",
            "https://eur-lex.europa.eu/eli/dec_impl/2019/1728/oj",
        ),
        (
            "Standardization Law of the PRC (2017 revision)",
            "cn-law",
            "中华人民共和国标准化法（2017修订）",
            "https://flk.npc.gov.cn/search.html?keyword="
            "%E4%B8%AD%E5%8D%8E%E4%BA%BA%E6%B0%91%E5%85%B1%E5%92%8C%E5%9B%BD%E6%A0%87%E5%87%86%E5%8C%96%E6%B3%95",
        ),
        ("CNCA-C07-01:2024", "cn-ccc", "强制性产品认证实施规则", "https://www.cnca.gov.cn/"),
        (
            "State Council Decree No. 739",
            "cn-registration",
            "医疗器械监督管理条例",
            "https://sousuo.www.gov.cn/sousuo/search.shtml?code=17da70961a7&dataTypeId=107"
            "&searchWord=%E5%8C%BB%E7%96%97%E5%99%A8%E6%A2%B0%E7%9B%91%E7%9D%A3%E7%AE%A1%E7%90%86%E6%9D%A1%E4%BE%8B",
        ),
    ],
)
def test_regulations_link_their_official_text(reference, kind, title_zh, url):
    regulation = TechnicalRegulation(reference=reference, kind=kind, title_zh_hans=title_zh)
    assert official_record(regulation).url == url


def test_evidence_is_the_source_when_it_is_not_the_official_record_itself():
    lab = Standard(identifier="EN 71-2:2020", source_url="https://www.cps.bureauveritas.com/n")
    assert evidence(lab).domain == "cps.bureauveritas.com"
    iso = Standard(
        identifier="ISO 8124-1:2018", source_url="https://www.iso.org/standard/70429.html"
    )
    assert evidence(iso) is None
    assert evidence(Standard(identifier="EN 71-1:2014", source_url=DENIED_URL)) is None


# -- The demo catalogue ------------------------------------------------------------------


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s;,]+", text or "")


def test_no_published_demo_record_links_to_a_denied_domain(demo_catalogue):
    urls = [
        *Standard.objects.public().values_list("source_url", flat=True),
        *TechnicalRegulation.objects.public().values_list("source_url", flat=True),
        *ProductTerm.objects.values_list("source_url", flat=True),
        *(url for text in Sector.objects.values_list("market_access_sources", flat=True)
          for url in _links(text)),
    ]  # fmt: skip
    assert len(urls) > 900
    assert [url for url in urls if url and source_problem(url)] == []


def test_no_demo_file_cites_a_denied_domain_anywhere():
    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    cited = [
        (path.name, url)
        for path in demo.rglob("*.csv")
        if path.name != "unconfirmed.csv"
        for url in _links(path.read_text(encoding="utf-8"))
        if denied_domain(url)
    ]
    assert cited == []


def test_every_demo_standard_and_regulation_has_an_official_record(demo_catalogue):
    records = [*Standard.objects.public(), *TechnicalRegulation.objects.public()]
    assert len(records) > 500
    missing = [str(record) for record in records if official_record(record) is None]
    assert missing == []
    hosts = {urlsplit(link.url).hostname for r in records for link in official_records(r)}
    assert hosts <= OFFICIAL_HOSTS
    assert {"std.samr.gov.cn", "standards.cencenelec.eu", "eur-lex.europa.eu"} <= hosts


# -- Importers refuse denied and non-http(s) sources ---------------------------------------


def _rewrite(path: Path, tmp_path: Path, column: str, url: str, *, row: int = 1) -> Path:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames), list(reader)
    rows[row - 1][column] = url
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    target = tmp_path / path.name
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


def _refused(load) -> list[str]:
    before = (Standard.objects.count(), TechnicalRegulation.objects.count(), Change.objects.count())
    with pytest.raises(ImportRefused) as refused:
        load()
    after = (Standard.objects.count(), TechnicalRegulation.objects.count(), Change.objects.count())
    assert after == before
    return [str(error) for error in refused.value.errors]


REGULATION_CSV = (
    "reference,jurisdiction,kind,short_name_en,title_en,source_url\n"
    "Directive 2009/48/EC,EU,eu-directive,Toy Safety Directive,Directive 2009/48/EC of the "
    "European Parliament and of the Council of 18 June 2009 on the safety of toys,"
    "https://single-market-economy.ec.europa.eu/sectors/toys_en\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "reason"), BAD_SOURCES)
@pytest.mark.parametrize("importer", ["samr", "cen", "harmonised", "publications", "regulations"])
def test_each_importer_refuses_a_denied_or_non_web_source(
    importer, url, reason, reference_tables, tmp_path
):
    if importer == "samr":
        path, column = _rewrite(DATA / "samr_sample.csv", tmp_path, "来源", url, row=2), "来源"
        errors = _refused(lambda: import_samr_list(path))
        row = 2
    elif importer == "cen":
        path, column = _rewrite(DATA / "cen_sample.csv", tmp_path, "Source", url), "Source"
        errors = _refused(lambda: import_cen_list(path))
        row = 1
    elif importer == "harmonised":
        toys = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
        path, column = _rewrite(DATA / "harmonised_toys.csv", tmp_path, "Source", url), "Source"
        errors = _refused(lambda: import_harmonised_list(path, toys))
        row = 1
    elif importer == "publications":
        path = _rewrite(DATA / "iso_sample.csv", tmp_path, "source_url", url)
        column = "source_url"
        errors = _refused(lambda: import_publications(path, "iso"))
        row = 1
    else:
        path = tmp_path / "acts.csv"
        path.write_text(REGULATION_CSV.rsplit(",", 1)[0] + f",{url}\n", encoding="utf-8")
        column = "source_url"
        errors = _refused(lambda: import_regulations(path))
        row = 1
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"Row {row}, {column}: ")
    assert reason in errors[0]


@pytest.mark.django_db
def test_an_allowed_source_still_imports(reference_tables, tmp_path):
    path = tmp_path / "acts.csv"
    path.write_text(REGULATION_CSV, encoding="utf-8")
    assert import_regulations(path).created == 1


@pytest.mark.django_db
def test_the_admin_import_refuses_a_denied_source_by_row(curator_client):
    make_body("ISO")
    rows = (DATA / "iso_1000.csv").read_text(encoding="utf-8").splitlines()[:3]
    rows[2] = rows[2].replace("https://www.iso.org/standard/", "https://www.renrendoc.com/p-")
    upload = io.BytesIO(("\n".join(rows) + "\n").encode("utf-8"))
    upload.name = "standards.csv"
    page = curator_client.post(
        "/en/admin/standards/standard/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    html = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert "renrendoc.com" in html and "document-sharing site" in html
    assert "process_import" not in page.content.decode()
    assert not Standard.objects.exists()


# -- The admin form --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "url", "message"),
    [
        ("en", DENIED_URL, "Links to scribd.com are refused: it is a document-sharing site"),
        ("en", "ftp://example.org/en71.pdf", "Only http and https links are accepted"),
        ("en", "javascript:alert(1)", "not “javascript:”"),
        ("zh-hans", DENIED_URL, "拒绝链接 scribd.com"),
    ],
)
def test_admin_form_refuses_a_denied_or_non_web_source(curator_client, language, url, message):
    standard = make_standard("EN 71-2:2020", body="CEN", title_en="Safety of toys - Part 2")
    page = curator_client.get(f"/{language}/admin/standards/standard/{standard.pk}/change/")
    data = form_data(page.content.decode(), "standard_form")
    data["source_url"] = url
    response = curator_client.post(
        f"/{language}/admin/standards/standard/{standard.pk}/change/", data
    )
    assert response.status_code == 200
    assert message in form_errors(response)
    standard.refresh_from_db()
    assert standard.source_url == ""


@pytest.mark.django_db
def test_admin_regulation_form_refuses_a_denied_source(curator_client):
    regulation = make_regulation("Directive 94/62/EC", short_name_en="Packaging Directive")
    url = f"/en/admin/standards/technicalregulation/{regulation.pk}/change/"
    data = form_data(curator_client.get(url).content.decode(), "technicalregulation_form")
    data["source_url"] = "https://scribd.com/document/410056711/Eu-Packaging-Waste"
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert "Links to scribd.com are refused" in form_errors(response)


# -- The record pages ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "official", "confirmed", "label"),
    [
        ("en", "Official record", "Confirmed by", "SAMR · national standard platform"),
        ("zh-hans", "官方记录", "信息核实来源", "市场监管总局 · 全国标准信息公共服务平台"),
    ],
)
def test_standard_page_shows_the_official_record_and_the_evidence_apart(
    client, language, official, confirmed, label
):
    standard = make_standard(
        "GB 6675.1-2014",
        title_zh_hans="玩具安全 第1部分:基本规范",
        source_url="https://www.sgs.com/en/news/2014/toys",
        last_verified=datetime.date(2025, 3, 1),
        published=True,
    )
    html = client.get(f"/{language}/standards/{standard.slug}/").content.decode()
    assert official in html and label in html
    assert 'href="https://std.samr.gov.cn/search/std?q=GB%206675.1-2014"' in html
    assert "openstd.samr.gov.cn/bzgk/gb/std_list" in html
    assert f"<dt>{confirmed}</dt>" in html
    assert 'href="https://www.sgs.com/en/news/2014/toys"' in html and "sgs.com</a>, 2025" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "official", "label"),
    [
        ("en", "Official record", "EUR-Lex · Official Journal"),
        ("zh-hans", "官方记录", "欧盟官方公报"),
    ],
)
def test_regulation_page_links_eur_lex_and_no_evidence_when_none(client, language, official, label):
    regulation = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
    regulation.published = True
    regulation.source_url = ""
    regulation.save()
    html = client.get(f"/{language}/regulations/{regulation.slug}/").content.decode()
    assert official in html and label in html
    assert 'href="https://eur-lex.europa.eu/eli/dir/2009/48/oj"' in html
    assert "Confirmed by" not in html and "信息核实来源" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "links to its official record at the publisher"),
        ("zh-hans", "均链接至发布方的官方记录"),
    ],
)
def test_footer_says_what_the_links_are(client, language, sentence):
    assert sentence in client.get(f"/{language}/").content.decode()
