"""What no visitor can break (issue 15): control characters in URLs and cookies, links
that are not http(s), the error pages (bilingual, and the 500 and 503 pages without the
database), the 503 page while the database cannot be reached, and a clean
`check --deploy` with the production variables the README names."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import path

from cesip import urls as site_urls
from cesip.middleware import RETRY_AFTER_SECONDS, database_unavailable
from cesip.sources import web_url
from cesip.tabular import ImportRefused
from sectors.imports import import_market_access
from sectors.models import Sector
from tests.factories import make_regulation, make_standard
from tests.forms import form_data, form_errors

ROOT = Path(__file__).resolve().parent.parent


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# -- Item 8: control characters in paths, query strings and cookies ------------------------


@pytest.fixture
def catalogue_rows(db):
    standard = make_standard("EN 71-1:2014", body="CEN", title_en="Safety of toys")
    regulation = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
    return standard, regulation


@pytest.mark.parametrize(
    "url",
    [
        "/en/standards/%00/",
        "/zh-hans/standards/%00/",
        "/en/company/watchlists/%00.ics",
        "/en/regulations/%00/",
        "/en/sectors/%00/",
        "/en/standards/%01/",
        "/en/standards/a%0Ab/",
        "/en/standards/%7F/",
        "/en/standards/%C2%85/",  # a C1 control (NEL)
        "/en/admin/standards/standard/%00/history/",
        "/en/admin/standards/technicalregulation/%00/history/",
        "/en/admin/standards/standard/%00/change/",
        "/en/admin/standards/standard/%00/delete/",
    ],
)
def test_a_control_character_in_the_path_is_a_404(client, administrator, catalogue_rows, url):
    client.force_login(administrator)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 404, url
    chinese = url.startswith("/zh-hans/")
    assert ("找不到页面" if chinese else "Page not found") in _text(response)


@pytest.mark.parametrize(
    "url",
    [
        "/en/admin/standards/standard/abc/history/",
        "/en/admin/standards/technicalregulation/abc/history/",
        "/en/admin/standards/citation/abc/history/",
    ],
)
def test_an_id_that_is_not_a_number_in_an_admin_history_url_is_a_404(
    client, administrator, catalogue_rows, url
):
    client.force_login(administrator)
    client.raise_request_exception = False
    assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "url",
    [
        "/en/compare/?a=%00&b=x",
        "/en/compare/?a%00=1&b=%00",
        "/en/search/?q=%00",
        "/en/admin/standards/standard/?q=%00",
        "/en/admin/standards/standard/?%00=1",
    ],
)
def test_nul_in_the_query_string_never_answers_500(client, administrator, catalogue_rows, url):
    client.force_login(administrator)
    client.raise_request_exception = False
    response = client.get(url, follow=True)
    assert response.status_code in (200, 400, 404), url


def test_compare_with_a_nul_slug_says_what_is_missing(client, catalogue_rows):
    response = client.get("/en/compare/?a=%00&b=x")
    assert response.status_code == 200
    assert "“x” is not a standard in the catalogue." in _text(response)


@pytest.mark.parametrize(
    "cookie",
    [
        'sessionid="\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000"',  # octal escapes
        'csrftoken="\\000"',
        'cesip_language="\\001"',
    ],
)
def test_a_cookie_with_a_control_character_is_ignored(client, db, cookie):
    response = client.get("/en/", HTTP_COOKIE=cookie)
    assert response.status_code == 200


# -- Item 9: only http(s) addresses are stored or linked -----------------------------------


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://eur-lex.europa.eu/eli/dir/2009/48/oj", True),
        ("HTTP://www.samr.gov.cn/", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/x", False),
        ("https:alert(1)", False),
        ("http://[oops", False),
        ("https://example.org/a b", False),
        ("https://example.org/\x00", False),
        ("www.iso.org", False),
        ("", False),
    ],
)
def test_web_url_keeps_only_http_and_https_addresses(url, linked):
    assert web_url(url) == (url.strip() if linked else "")


@pytest.fixture
def toys(reference_tables):
    return Sector.objects.get(slug="toys")


def test_a_sector_page_links_no_javascript_source(client, toys):
    # Stored before the admin refused such lines (the attack found two).
    toys.market_access_sources = (
        "https://single-market-economy.ec.europa.eu/sectors/toys_en\n"
        "javascript:alert(document.domain)\n"
        "data:text/html,<b>x</b>"
    )
    toys.save()
    for language in ("en", "zh-hans"):
        html = client.get(f"/{language}/sectors/toys/").content.decode()
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert "https://single-market-economy.ec.europa.eu/sectors/toys_en" in hrefs
        assert not [href for href in hrefs if href.lower().startswith(("javascript", "data"))]
        assert "javascript:alert(document.domain)" in html  # shown as text, not linked


def test_a_standard_page_links_no_javascript_source(client, db):
    standard = make_standard("EN 71-3:2019", body="CEN", source_url="javascript:alert(1)")
    response = client.get(standard.get_absolute_url())
    assert response.status_code == 200
    assert "javascript:" not in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Line 2: Only http and https links are accepted, not “javascript:”."),
        ("zh-hans", "第 2 行："),
    ],
)
def test_sector_admin_refuses_a_javascript_source(client, administrator, toys, language, message):
    client.force_login(administrator)
    url = f"/{language}/admin/sectors/sector/{toys.pk}/change/"
    data = form_data(client.get(url).content.decode(), "sector_form")
    data["market_access_sources"] = "https://www.cnca.gov.cn/\njavascript:alert(1)"
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in form_errors(response)
    toys.refresh_from_db()
    assert "javascript" not in toys.market_access_sources

    data["market_access_sources"] = "https://www.cnca.gov.cn/"
    assert client.post(url, data).status_code == 302
    toys.refresh_from_db()
    assert toys.market_access_sources == "https://www.cnca.gov.cn/"


def test_a_sector_with_a_denied_source_does_not_validate(toys):
    toys.market_access_sources = "https://www.scribd.com/document/1/x"
    with pytest.raises(ValidationError) as refused:
        toys.full_clean()
    assert "scribd.com" in str(refused.value.message_dict["market_access_sources"])


@pytest.mark.parametrize(
    "url", ["ftp://ftp.example.org/en71.pdf", "javascript:alert(1)", "https://www.scribd.com/x"]
)
def test_a_record_whose_source_is_not_a_web_page_does_not_validate(catalogue_rows, url):
    # The model itself refuses, whatever form or script writes the row.
    from sectors.models import ProductTerm

    standard, regulation = catalogue_rows
    term = ProductTerm(name_en="toy", name_zh_hans="玩具")
    for record in (standard, regulation, term):
        record.source_url = url
        with pytest.raises(ValidationError) as refused:
            record.full_clean()
        assert "source_url" in refused.value.message_dict, record
    standard.source_url = "https://www.iso.org/standard/83420.html"
    standard.full_clean()


def test_market_access_import_refuses_a_javascript_source_by_row(toys, tmp_path):
    path = tmp_path / "market_access.csv"
    path.write_text(
        "sector,direction,text_en,text_zh_hans,sources\n"
        "toys,eu-to-cn,CCC certification.,CCC 认证。,https://www.cnca.gov.cn/\n"
        "toys,cn-to-eu,CE marking.,CE 标志。,javascript:alert(1)\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as refused:
        import_market_access(path)
    errors = [str(error) for error in refused.value.errors]
    assert len(errors) == 1, errors
    assert errors[0].startswith("Row 2, sources: ")
    assert "“javascript:”" in errors[0]
    assert Sector.objects.get(slug="toys").market_access_sources == toys.market_access_sources


# -- Item 14: the error pages ------------------------------------------------------------


def _boom(request):
    raise RuntimeError("a bug")


def _forbidden(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("a forged request")


# This module doubles as a URLconf: the site's URLs and handlers, plus views that fail.
urlpatterns = [
    *site_urls.urlpatterns,
    path("boom/", _boom),
    path("forbidden/", _forbidden),
    path("suspicious/", _suspicious),
]
handler500 = site_urls.handler500


def test_404_is_the_sites_own_page_in_both_languages(client, db):
    for language, heading in (("en", "Page not found"), ("zh-hans", "找不到页面")):
        response = client.get(f"/{language}/no-such-page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert heading in _text(response)
        assert 'href="/static/css/cesip.css"' in html  # the site's look
        assert f'<html lang="{language}">' in html
        assert f'action="/{language}/search/"' in html  # a way on


def test_a_404_outside_the_language_prefixes_speaks_the_browsers_language(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.status_code == 404
    assert "找不到页面" in _text(response)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status", "english", "chinese"),
    [
        ("/boom/", 500, "Something went wrong", "出错了"),
        ("/forbidden/", 403, "Access denied", "无权访问"),
        ("/suspicious/", 400, "Bad request", "请求无效"),
    ],
)
def test_error_pages_are_the_sites_own_in_both_languages(
    client, db, settings, django_assert_num_queries, url, status, english, chinese
):
    settings.DEBUG = False
    client.raise_request_exception = False
    for language, heading in (("en", english), ("zh-hans", chinese)):
        client.cookies["cesip_language"] = language
        with django_assert_num_queries(0):  # the 500 page needs no database
            response = client.get(url)
        assert response.status_code == status
        assert heading in _text(response)
        assert 'href="/static/css/cesip.css"' in response.content.decode()
        assert "Server Error (500)" not in response.content.decode()


def test_a_forged_host_gets_the_400_page(client, db):
    response = client.get("/zh-hans/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求无效" in _text(response)


def test_a_form_without_its_csrf_token_gets_the_403_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/zh-hans/accounts/login/", {"username": "a@b.test", "password": "x"})
    assert response.status_code == 403
    assert "此表单已过期" in _text(response)


# -- The 503 page while the database cannot be reached ------------------------------------


def _while_database_down(request):
    """`request()` run in a thread whose database connection points at a server that
    is not there (a socket directory with no socket): what a page does when PostgreSQL
    is down, whichever server DATABASE_URL names. The test's own connection is left be."""
    own = connections["default"]
    broken = {**own.settings_dict, "HOST": str(ROOT / "var" / "no-server-here"), "PORT": "5432"}
    done = {}

    def run():
        connections["default"] = type(own)(broken, "default")
        try:
            done["response"] = request()
        finally:
            connections["default"].close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return done["response"]


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/en/", "Back in a moment"),
        ("/zh-hans/", "马上恢复"),
        ("/zh-hans/search/?q=GB+6675", "马上恢复"),
    ],
)
def test_pages_answer_503_with_retry_after_while_the_database_is_down(
    client, django_db_blocker, settings, url, heading
):
    settings.DEBUG = False
    with django_db_blocker.unblock():
        response = _while_database_down(lambda: client.get(url))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    text = _text(response)
    assert heading in text
    assert f'<meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS}">' in (
        response.content.decode()
    )


def test_a_form_sent_while_the_database_is_down_is_not_resent(client, django_db_blocker):
    client.raise_request_exception = False
    with django_db_blocker.unblock():
        response = _while_database_down(
            lambda: client.post("/en/accounts/login/", {"username": "a@b.test", "password": "x"})
        )
    assert response.status_code == 503
    assert "What you sent was not saved." in _text(response)
    assert "http-equiv" not in response.content.decode()


def test_a_member_gets_the_503_page_when_the_session_cannot_be_read(
    client, django_db_blocker, settings
):
    # The session is read by a middleware, before any view: handler500 answers.
    settings.DEBUG = False
    client.raise_request_exception = False
    client.cookies["sessionid"] = "a" * 32
    with django_db_blocker.unblock():
        response = _while_database_down(lambda: client.get("/zh-hans/"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "马上恢复" in _text(response)


def test_a_query_the_database_refuses_is_not_taken_for_an_outage(db):
    with pytest.raises(OperationalError) as cancelled, connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")
    assert not database_unavailable(cancelled.value)  # a 500 to fix, not a 503 to wait out


# -- Item 16: check --deploy with the production variables ------------------------------


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_check_deploy_is_clean_with_the_production_variables():
    """The variables README.md ("Deploying") names, on top of .env.example."""
    production = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "cesip.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
    }
    env = {
        **{
            name: value
            for name, value in os.environ.items()
            # conftest.py allows async-unsafe calls for Playwright; check --deploy refuses it
            if name not in _env_example() and name != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },
        **_env_example(),
        **production,
        # The database the tests use (the embedded server when DATABASE_URL is unset).
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "VAR_DIR": os.environ.get("VAR_DIR", ""),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output and "W021" not in output
