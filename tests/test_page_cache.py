"""The page cache (cesip/cache.py): public pages for anonymous visitors come from the
cache without touching the database, and every write path makes the next request show
the change; conditional GET; members never get a cached page, and their pages are
private. Runs on the default local-memory cache, and on Redis in CI (CACHE_URL)."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sectors.models import Sector
from standards.models import Standard
from tests.factories import (
    cite,
    make_regulation,
    make_standard,
    make_watchlist,
    watch,
)
from tests.forms import form_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SAMR_SAMPLE = ROOT / "tests" / "data" / "samr_sample.csv"


@pytest.fixture(autouse=True)
def page_cache(settings, tmp_path):
    """The page cache on (the rest of the suite writes rows directly and turns it off),
    empty, with a generation of this test's own."""
    settings.CACHE_PAGES = True
    settings.PAGE_CACHE_GENERATION_FILE = tmp_path / "page-cache-generation"
    cache = caches["pages"]
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def catalogue(reference_tables):
    """A toy standard cited by the Toy Safety Directive, an edition it replaced, and a
    standard to compare it with."""
    current = make_standard(
        "EN 71-1:2014+A1:2018",
        title_en="Safety of toys - Part 1: Mechanical and physical properties",
        title_zh_hans="玩具安全 第1部分：机械和物理性能",
        issued_date=datetime.date(2018, 8, 1),
        sectors=["toys"],
    )
    make_standard(
        "GB 6675.2-2014",
        title_en="Toys safety - Part 2: Mechanical and physical properties",
        title_zh_hans="玩具安全 第2部分：机械与物理性能",
        issued_date=datetime.date(2014, 5, 6),
        implementation_date=timezone.localdate() + datetime.timedelta(days=30),
        sectors=["toys"],
    )
    directive = make_regulation("Directive 2009/48/EC", short_name_en="Toy Safety Directive")
    directive.sectors.set(Sector.objects.filter(slug="toys"))
    cite(directive, current)
    return current


@pytest.fixture
def curator_browser(curator):
    """Mei in the admin, in a browser of her own (`client` stays anonymous)."""
    from django.test import Client

    browser = Client()
    browser.force_login(curator)
    return browser


def get(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 304), (url, response.status_code)
    return response


PAGES = [
    "/{lang}/",
    "/{lang}/standards/en-71-1-2014-plus-a1-2018/",
    "/{lang}/regulations/directive-2009-48-ec/",
    "/{lang}/sectors/toys/",
    "/{lang}/products/?q=toys&market=eu",
    "/{lang}/search/?q=toys",
    "/{lang}/compare/?a=en-71-1-2014-plus-a1-2018&b=gb-6675-2-2014",
    "/{lang}/calendar/",
    "/{lang}/calendar.ics",
    "/{lang}/changes/",
    "/{lang}/changes/feed/",
    "/{lang}/glossary/",
    "/sitemap.xml",
    "/sitemap-standards.xml",
]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("page", PAGES)
def test_a_cached_page_is_served_without_the_database(
    client, catalogue, page, lang, django_assert_num_queries
):
    url = page.format(lang=lang)
    first = get(client, url)
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        again = get(client, url)
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["ETag"] == first["ETag"]
    # The headers the outer middleware adds are on the cached answer too.
    assert again["Content-Security-Policy"] and again["X-Content-Type-Options"] == "nosniff"
    assert "must-revalidate" in again["Cache-Control"]


def test_each_language_has_its_own_page(client, catalogue):
    get(client, "/en/standards/en-71-1-2014-plus-a1-2018/")
    chinese = get(client, "/zh-hans/standards/en-71-1-2014-plus-a1-2018/")
    assert chinese["X-Page-Cache"] == "miss"
    assert "玩具安全 第1部分" in chinese.content.decode()
    assert get(client, "/zh-hans/standards/en-71-1-2014-plus-a1-2018/")["X-Page-Cache"] == "hit"


def test_public_pages_carry_no_csrf_token_nor_cookie(client, catalogue):
    response = get(client, "/en/standards/en-71-1-2014-plus-a1-2018/")
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_the_language_switch_works_without_a_token(catalogue):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/en/glossary/"}
    )
    assert response.status_code == 302
    assert response.cookies["cesip_language"].value == "zh-hans"


def test_an_admin_save_shows_on_the_next_request(client, curator_browser, catalogue):
    url = "/en/standards/en-71-1-2014-plus-a1-2018/"
    assert "Mechanical and physical properties" in get(client, url).content.decode()
    assert get(client, url)["X-Page-Cache"] == "hit"
    admin_url = reverse("admin:standards_standard_change", args=[catalogue.pk])
    data = form_data(curator_browser.get(admin_url).content.decode(), "standard_form")
    data["title_en"] = "Safety of toys - Part 1: Mechanical properties, revised title"
    assert curator_browser.post(admin_url, data).status_code == 302
    response = get(client, url)
    assert response["X-Page-Cache"] == "miss"
    assert "revised title" in response.content.decode()
    # The search and the sector page, which list it, follow too.
    assert "revised title" in get(client, "/en/sectors/toys/").content.decode()


def test_unpublishing_hides_the_record_at_once(client, curator_browser, catalogue):
    """An unpublished record writes no Change row: the hook is on every write."""
    url = "/en/standards/en-71-1-2014-plus-a1-2018/"
    get(client, url)
    changelist = reverse("admin:standards_standard_changelist")
    response = curator_browser.post(
        changelist, {"action": "unpublish", "_selected_action": [catalogue.pk]}
    )
    assert response.status_code == 302
    assert client.get(url).status_code == 404


def test_a_sector_saved_in_the_admin_shows_on_the_next_request(client, administrator, catalogue):
    """Sectors are not recorded in standards.changes: any admin write counts."""
    from django.test import Client

    admin = Client()
    admin.force_login(administrator)
    get(client, "/en/sectors/toys/")
    get(client, "/en/")
    sector = Sector.objects.get(slug="toys")
    admin_url = reverse("admin:sectors_sector_change", args=[sector.pk])
    data = form_data(admin.get(admin_url).content.decode(), "sector_form")
    data["name_en"] = "Toys and games"
    assert admin.post(admin_url, data).status_code == 302
    assert "Toys and games" in get(client, "/en/sectors/toys/").content.decode()
    assert "Toys and games" in get(client, "/en/").content.decode()


def test_an_import_shows_on_the_next_request(client, reference_tables, tmp_path):
    call_command("import_samr_list", str(SAMR_SAMPLE), stdout=io.StringIO())
    url = "/en/standards/gb-6675-1-2014/"
    assert "Basic code" in get(client, url).content.decode()
    assert get(client, url)["X-Page-Cache"] == "hit"
    changed = tmp_path / "gb.csv"
    changed.write_text(
        SAMR_SAMPLE.read_text(encoding="utf-8").replace("Basic code", "General requirements"),
        encoding="utf-8",
    )
    call_command("import_samr_list", str(changed), stdout=io.StringIO())
    response = get(client, url)
    assert "General requirements" in response.content.decode()
    assert "Basic code" not in response.content.decode()


def test_a_reference_data_load_empties_the_cache(client, reference_tables):
    get(client, "/en/glossary/")
    assert get(client, "/en/glossary/")["X-Page-Cache"] == "hit"
    call_command("load_reference_data", stdout=io.StringIO())
    assert get(client, "/en/glossary/")["X-Page-Cache"] == "miss"


def test_a_change_made_by_another_process_reaches_this_one(client, reference_tables, settings):
    """manage.py commands and the task worker are other processes: with a cache local to
    each process the generation is a file, with Redis a shared key."""
    get(client, "/en/glossary/")
    env = {**os.environ, "PAGE_CACHE_GENERATION_FILE": str(settings.PAGE_CACHE_GENERATION_FILE)}
    code = "from cesip.cache import catalogue_changed; catalogue_changed()"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True
    )
    assert get(client, "/en/glossary/")["X-Page-Cache"] == "miss"


def test_a_page_cached_yesterday_is_not_served_today(client, catalogue):
    """Statuses and "coming into force" follow the date: the key holds the day."""
    with time_machine.travel(datetime.datetime(2030, 5, 1, 23, 59, tzinfo=datetime.UTC)):
        get(client, "/en/calendar/")
        assert get(client, "/en/calendar/")["X-Page-Cache"] == "hit"
    with time_machine.travel(datetime.datetime(2030, 5, 2, 0, 1, tzinfo=datetime.UTC)):
        assert get(client, "/en/calendar/")["X-Page-Cache"] == "miss"


def test_the_htmx_fragment_and_the_page_are_cached_apart(client, catalogue):
    page = get(client, "/en/search/?q=toys")
    fragment = get(client, "/en/search/?q=toys", HX_Request="true")
    assert fragment["X-Page-Cache"] == "miss"
    assert len(fragment.content) < len(page.content)
    assert get(client, "/en/search/?q=toys", HX_Request="true").content == fragment.content
    assert get(client, "/en/search/?q=toys").content == page.content


# -- conditional GET --------------------------------------------------------------------


def test_if_none_match_answers_304_until_the_page_changes(client, curator_browser, catalogue):
    url = "/en/standards/en-71-1-2014-plus-a1-2018/"
    etag = get(client, url)["ETag"]
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag and not not_modified.content
    # After a change the same validator gets the new page.
    admin_url = reverse("admin:standards_standard_change", args=[catalogue.pk])
    data = form_data(curator_browser.get(admin_url).content.decode(), "standard_form")
    data["title_en"] = "A title edited in the admin"
    assert curator_browser.post(admin_url, data).status_code == 302
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert "A title edited in the admin" in fresh.content.decode()


def test_if_modified_since_answers_304_until_the_page_changes(client, catalogue):
    from cesip.cache import catalogue_changed, current_generation

    url = "/en/sectors/toys/"
    current_generation()  # begins now
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5)):
        # Seconds after the generation began, Last-Modified is the second after its start.
        first = get(client, url)
        last_modified = first["Last-Modified"]
        response = client.get(url, headers={"If-Modified-Since": last_modified})
        assert response.status_code == 304
    make_standard("EN 71-2:2020", title_en="Flammability", sectors=["toys"])
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=10)):
        catalogue_changed()  # the factory writes without record_changes: call the hook
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=15)):
        response = client.get(url, headers={"If-Modified-Since": last_modified})
        assert response.status_code == 200
        assert "Flammability" in response.content.decode()
        assert response["Last-Modified"] != last_modified


# -- members ----------------------------------------------------------------------------


def test_a_member_never_gets_the_anonymous_page(client, alice, catalogue):
    url = "/en/standards/en-71-1-2014-plus-a1-2018/"
    etag = get(client, url)["ETag"]
    assert get(client, url)["X-Page-Cache"] == "hit"
    client.force_login(alice)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert "alice@acme.example" in response.content.decode()
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    client.logout()
    assert "alice@acme.example" not in get(client, url).content.decode()


def test_a_page_with_a_message_is_neither_served_from_nor_stored_in_the_cache(
    client, reference_tables
):
    from tests.factories import make_user

    user = make_user("leaving@example.org")
    get(client, "/en/")
    assert get(client, "/en/")["X-Page-Cache"] == "hit"
    client.force_login(user)
    response = client.post(
        reverse("accounts:account_delete"), {"password": "correct horse battery"}, follow=True
    )
    assert "personal data are deleted" in response.content.decode()
    assert "X-Page-Cache" not in response
    after = get(client, "/en/")
    assert after["X-Page-Cache"] == "hit"
    assert "personal data are deleted" not in after.content.decode()


def _private(response) -> bool:
    control = response["Cache-Control"]
    return "private" in control and ("no-store" in control or "max-age=0" in control)


def test_member_pages_and_exports_are_private(client, alice, acme, catalogue):
    watchlist = make_watchlist(acme, by=alice)
    watch(watchlist, catalogue, by=alice)
    client.force_login(alice)
    urls = [
        reverse("accounts:my_companies"),
        reverse("accounts:company_detail", args=[acme.slug]),
        reverse("accounts:company_members", args=[acme.slug]),
        reverse("accounts:watchlist_list", args=[acme.slug]),
        reverse("accounts:watchlist_detail", args=[acme.slug, watchlist.pk]),
        reverse("accounts:watchlist_export", args=[acme.slug, watchlist.pk]) + "?format=csv",
        reverse("accounts:watchlist_export", args=[acme.slug, watchlist.pk]) + "?format=xlsx",
        reverse("accounts:alert_settings"),
        reverse("accounts:profile"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _private(response), (url, response.get("Cache-Control"))
        assert "X-Page-Cache" not in response and "ETag" not in response
    client.logout()
    feed = client.get(reverse("accounts:watchlist_ical", args=[watchlist.ical_token]))
    # The feed keeps its own private max-age: calendar apps poll it.
    assert feed.status_code == 200 and "private" in feed["Cache-Control"]
    assert "X-Page-Cache" not in feed
    # Member pages asked for anonymously (a redirect to log in) are private too.
    assert _private(client.get(reverse("accounts:my_companies")))


def test_another_companys_member_pages_are_never_cached(client, alice, acme, carol):
    """The watchlist feed needs no log-in: it must not be cached as a public page."""
    watchlist = make_watchlist(acme, by=alice)
    url = reverse("accounts:watchlist_ical", args=[watchlist.ical_token])
    client.get(url)
    watchlist.ical_token = "replaced-token"
    watchlist.save()
    assert client.get(url).status_code == 404


def test_an_anonymous_post_to_the_admin_empties_nothing(client, catalogue):
    """Log-in tries would otherwise make every page a miss: a cheap denial of service."""
    get(client, "/en/glossary/")
    response = client.post(reverse("admin:login"), {"username": "x@y.z", "password": "no"})
    assert response.status_code == 200
    assert get(client, "/en/glossary/")["X-Page-Cache"] == "hit"


def test_a_cache_that_is_down_costs_speed_not_the_page(client, catalogue, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("no cache")

    monkeypatch.setattr(caches["pages"], "get", down)
    monkeypatch.setattr(caches["pages"], "set", down)
    response = get(client, "/en/standards/en-71-1-2014-plus-a1-2018/")
    assert "Mechanical and physical properties" in response.content.decode()


def test_the_cache_can_be_turned_off(client, catalogue, settings):
    settings.CACHE_PAGES = False
    get(client, "/en/glossary/")
    response = get(client, "/en/glossary/")
    assert "X-Page-Cache" not in response
    assert Standard.objects.exists()
