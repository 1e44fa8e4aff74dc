import re

import pytest
from django.core.management import call_command
from django.urls import reverse


def test_root_serves_the_english_home_page(client, sectors):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'rel="canonical" href="http://127.0.0.1:8000/en/"' in html


def test_root_sends_a_chinese_browser_to_the_chinese_site(client):
    response = client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/"


def test_root_follows_the_language_cookie_over_the_browser(client, sectors):
    client.cookies["cesip_language"] = "en"
    response = client.get("/", headers={"accept-language": "zh-CN"})
    assert response.status_code == 200


def test_unprefixed_paths_redirect_to_the_preferred_language(client):
    response = client.get("/admin/", headers={"accept-language": "zh-Hans"})
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/admin/"


def test_home_shows_the_ten_sectors_in_both_languages(client, sectors):
    html = client.get("/en/").content.decode()
    tiles = re.findall(r'<li class="sector-tile"', html)
    assert len(tiles) == 10
    for english, chinese in [
        ("Toys", "玩具"),
        ("Medical devices", "医疗器械"),
        ("Leather", "皮革"),
    ]:
        assert english in html and chinese in html
    # In Chinese the Chinese name leads, the English one follows.
    html_zh = client.get("/zh-hans/").content.decode()
    assert html_zh.index("玩具") < html_zh.index("Toys")


def test_language_switcher_keeps_the_reader_on_the_same_page(client):
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/en/search/?q=toys"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/search/?q=toys"
    assert response.cookies["cesip_language"].value == "zh-hans"


def test_switcher_form_posts_the_current_path(client, sectors):
    html = client.get("/en/search/?q=toy").content.decode()
    assert 'name="next" value="/en/search/?q=toy"' in html
    assert 'value="zh-hans" lang="zh-hans"' in html


def test_admin_login_page_answers_in_both_languages(client):
    assert "Log in" in client.get("/en/admin/login/").content.decode()
    assert "登录" in client.get("/zh-hans/admin/login/").content.decode()


def test_security_headers_and_strict_csp(client, sectors):
    response = client.get("/en/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/en/", "/zh-hans/", "/en/search/?q=x", "/en/accounts/login/"])
def test_pages_have_no_inline_script_and_only_local_assets(client, sectors, path):
    html = client.get(path).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> found"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler found"
    # Assets only: a link out to an official catalogue (<a href>) loads nothing.
    assets = (
        r"<(?:script|link|img|source|iframe|video|audio|embed|object)\b"
        r'[^>]*?\b(?:src|href|data)="([^"]+)"'
    )
    for url in re.findall(assets, html):
        assert not url.startswith(("http:", "https:", "//")) or url.startswith(
            "http://127.0.0.1:8000/"
        ), f"external asset {url}"


def test_collected_static_assets_are_served_by_whitenoise(client, settings, tmp_path, sectors):
    # The production path: collectstatic into hashed names, served by WhiteNoise.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    html = client.get("/en/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(re.search(r"cesip\.[0-9a-f]{12}\.css$", url) for url in assets), assets
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "immutable" in response["Cache-Control"]


def test_search_echoes_the_query_and_finds_sectors_in_either_language(client, sectors):
    html = client.get("/zh-hans/search/", {"q": "玩具"}).content.decode()
    assert '<a class="chip" href="?sector=toys">玩具</a>' in html
    html = client.get("/en/search/", {"q": "toy"}).content.decode()
    assert '<a class="chip" href="?sector=toys">Toys</a>' in html
    assert "?sector=leather" not in html


def test_search_shortens_an_overlong_query(client, sectors):
    response = client.get("/en/search/", {"q": "x" * 2000}, follow=True)
    assert response.redirect_chain == [("/en/search/?q=" + "x" * 200, 302)]
    assert response.status_code == 200
    assert "at most 20 words and 200 characters are searched" in response.content.decode()


def test_favicon_ico_points_at_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_home_lists_upcoming_dates_and_changes_once(client, sectors):
    import datetime

    from django.utils import timezone

    from tests.factories import make_standard

    make_standard(
        "GB 6675.1-2099",
        title_zh_hans="玩具安全 第1部分",
        issued_date=timezone.localdate(),
        implementation_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    html = client.get("/en/").content.decode()
    assert "<title>Standards and regulations for exporters · " in html
    assert html.count('id="upcoming-title"') == 1
    upcoming = html[html.index('id="upcoming-title"') : html.index('id="latest-title"')]
    assert "GB 6675.1-2099" in upcoming and "in 30 days" in upcoming
    assert 'href="/en/sectors/toys/"' in html


def test_times_are_shown_in_the_members_time_zone(client, db):
    from django.utils import timezone

    from tests.factories import make_user

    captured = {}

    def probe(request):
        from django.http import HttpResponse

        captured["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    from cesip.middleware import UserTimeZoneMiddleware

    member = make_user("li@exporter.example", time_zone="Asia/Shanghai")
    request = client.get("/en/").wsgi_request
    request.user = member
    UserTimeZoneMiddleware(probe)(request)
    assert captured["zone"] == "Asia/Shanghai"
    member.time_zone = "Not/AZone"
    UserTimeZoneMiddleware(probe)(request)
    assert captured["zone"] == "UTC"
