"""Company watchlists: lists, the watch button, notes, exports, the private calendar feed,
and the rule that company data is visible only to its members."""

from __future__ import annotations

import csv
import datetime
import io
import re
from urllib.parse import quote

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import (
    WatchItem,
    Watchlist,
    WatchlistVisit,
)
from standards.models import Change
from tests.factories import cite, make_regulation, make_standard, make_watchlist, watch

TODAY = timezone.localdate()
SOON = TODAY + datetime.timedelta(days=40)
LATER = TODAY + datetime.timedelta(days=400)


@pytest.fixture
def toys_list(acme, alice):
    return make_watchlist(acme, "Toys", by=alice)


@pytest.fixture
def globex_list(globex, carol):
    return make_watchlist(globex, "Secret plans", by=carol)


@pytest.fixture
def toy_standard(db):
    return make_standard(
        "GB 6675.1-2014",
        title_en="Toy safety — Part 1: Basic code",
        title_zh_hans="玩具安全 第1部分：基本规范",
        issued_date=TODAY - datetime.timedelta(days=100),
        implementation_date=SOON,
    )


@pytest.fixture
def toy_directive(db):
    return make_regulation(
        "Directive 2009/48/EC",
        short_name_en="Toy Safety Directive",
        short_name_zh_hans="玩具安全指令",
        title_zh_hans="关于玩具安全的指令",
        applies_from=TODAY - datetime.timedelta(days=1000),
        repealed_date=LATER,
    )


@pytest.fixture
def watched(toys_list, toy_standard, toy_directive, bob):
    """Acme's toy list with a standard (noted by Bob) and the directive."""
    watch(toys_list, toy_standard, by=bob, note="Check the small-parts test before the fair")
    watch(toys_list, toy_directive, by=bob)
    return toys_list


def url(name: str, watchlist: Watchlist, *extra) -> str:
    return reverse(f"accounts:{name}", args=[watchlist.company.slug, watchlist.pk, *extra])


# ----------------------------------------------------------------------------------------
# Lists


def test_member_creates_a_watchlist(client, acme, bob):
    client.force_login(bob)
    response = client.post(
        reverse("accounts:watchlist_list", args=["acme"]), {"name": "  Hair   dryers "}
    )
    watchlist = Watchlist.objects.get(company=acme)
    assert response.status_code == 302
    assert response.url == url("watchlist_detail", watchlist)
    assert watchlist.name == "Hair dryers"
    assert watchlist.created_by == bob
    assert len(watchlist.ical_token) >= 40


def test_company_has_several_watchlists_listed_with_their_counts(client, watched, acme, bob):
    make_watchlist(acme, "Hair dryers")
    client.force_login(bob)
    response = client.get(reverse("accounts:watchlist_list", args=["acme"]))
    html = response.content.decode()
    assert "Hair dryers" in html and "Toys" in html
    assert "2 records" in html
    assert "css/watchlists.css" in html


def test_watchlist_names_are_unique_within_the_company(client, toys_list, alice, globex):
    client.force_login(alice)
    response = client.post(reverse("accounts:watchlist_list", args=["acme"]), {"name": "toys"})
    assert response.status_code == 200
    assert "already has a watchlist with this name" in response.content.decode()
    assert Watchlist.objects.filter(company=toys_list.company).count() == 1
    make_watchlist(globex, "Toys")  # another company may use the same name


def test_member_renames_a_watchlist(client, toys_list, bob):
    client.force_login(bob)
    response = client.post(url("watchlist_rename", toys_list), {"name": "Toys for the EU"})
    assert response.status_code == 302
    toys_list.refresh_from_db()
    assert toys_list.name == "Toys for the EU"


def test_owner_deletes_a_watchlist(client, watched, alice):
    client.force_login(alice)
    assert client.get(url("watchlist_delete", watched)).status_code == 200
    response = client.post(url("watchlist_delete", watched))
    assert response.url == reverse("accounts:watchlist_list", args=["acme"])
    assert not Watchlist.objects.filter(pk=watched.pk).exists()
    assert not WatchItem.objects.exists()


def test_plain_member_cannot_delete_a_list_someone_else_made(client, toys_list, bob):
    client.force_login(bob)
    assert client.post(url("watchlist_delete", toys_list)).status_code == 404
    assert Watchlist.objects.filter(pk=toys_list.pk).exists()
    own = make_watchlist(toys_list.company, "Bob's list", by=bob)
    assert client.post(url("watchlist_delete", own)).status_code == 302


# ----------------------------------------------------------------------------------------
# Adding, removing, notes


def test_watch_add_records_who_and_when_and_returns_to_a_safe_next(
    client, toys_list, toy_standard, bob
):
    client.force_login(bob)
    page = toy_standard.get_absolute_url()
    response = client.post(
        reverse("accounts:watch_add"),
        {"watchlist": toys_list.pk, "standard": toy_standard.pk, "next": page},
    )
    assert response.status_code == 302 and response.url == page
    item = WatchItem.objects.get(watchlist=toys_list)
    assert item.standard == toy_standard and item.regulation is None
    assert item.added_by == bob
    assert timezone.now() - item.added_at < datetime.timedelta(minutes=1)
    # Twice is harmless.
    client.post(
        reverse("accounts:watch_add"), {"watchlist": toys_list.pk, "standard": toy_standard.pk}
    )
    assert WatchItem.objects.filter(watchlist=toys_list).count() == 1


def test_watch_add_ignores_a_next_on_another_host(client, toys_list, toy_directive, bob):
    client.force_login(bob)
    response = client.post(
        reverse("accounts:watch_add"),
        {
            "watchlist": toys_list.pk,
            "regulation": toy_directive.pk,
            "next": "https://evil.example/phish",
        },
    )
    assert response.url == url("watchlist_detail", toys_list)
    assert WatchItem.objects.get().regulation == toy_directive


def test_watch_add_with_htmx_returns_only_the_button(client, toys_list, toy_standard, bob):
    client.force_login(bob)
    response = client.post(
        reverse("accounts:watch_add"),
        {"watchlist": toys_list.pk, "standard": toy_standard.pk, "next": "/en/search/?q=toy"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="watch-standard-{toy_standard.pk}"' in html
    assert "Watching on" in html and "Toys" in html
    assert 'value="/en/search/?q=toy"' in html  # the remove form returns to the search


def test_watch_add_needs_exactly_one_published_record(client, toys_list, toy_standard, bob):
    client.force_login(bob)
    hidden = make_standard("GB 1-2020", published=False)
    both = {"watchlist": toys_list.pk, "standard": toy_standard.pk, "regulation": 1}
    assert client.post(reverse("accounts:watch_add"), both).status_code == 404
    assert (
        client.post(reverse("accounts:watch_add"), {"watchlist": toys_list.pk}).status_code == 404
    )
    draft = {"watchlist": toys_list.pk, "standard": hidden.pk}
    assert client.post(reverse("accounts:watch_add"), draft).status_code == 404
    assert not WatchItem.objects.exists()


def test_member_cannot_add_to_another_companys_watchlist(client, globex_list, toy_standard, bob):
    client.force_login(bob)
    response = client.post(
        reverse("accounts:watch_add"), {"watchlist": globex_list.pk, "standard": toy_standard.pk}
    )
    assert response.status_code == 404
    assert not WatchItem.objects.exists()


def test_watch_remove(client, watched, toy_standard, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:watch_remove"), {"watchlist": watched.pk, "standard": toy_standard.pk}
    )
    assert response.status_code == 302
    assert list(watched.items.values_list("regulation__reference", flat=True)) == [
        "Directive 2009/48/EC"
    ]


def test_member_cannot_remove_from_another_companys_watchlist(
    client, globex_list, toy_standard, bob
):
    watch(globex_list, toy_standard)
    client.force_login(bob)
    response = client.post(
        reverse("accounts:watch_remove"), {"watchlist": globex_list.pk, "standard": toy_standard.pk}
    )
    assert response.status_code == 404
    assert globex_list.items.count() == 1


def test_any_member_edits_a_note(client, watched, alice):
    item = watched.items.get(standard__isnull=False)
    client.force_login(alice)
    assert client.get(url("watch_note", watched, item.pk)).status_code == 200
    response = client.post(url("watch_note", watched, item.pk), {"note": "测试 done in May"})
    assert response.url == url("watchlist_detail", watched)
    item.refresh_from_db()
    assert item.note == "测试 done in May"


def test_note_of_another_companys_item_is_not_found(
    client, watched, globex_list, toy_standard, carol
):
    item = watched.items.get(standard__isnull=False)
    client.force_login(carol)
    # Carol's own company in the URL, Acme's item: still 404.
    own_list_url = reverse("accounts:watch_note", args=["globex", globex_list.pk, item.pk])
    assert client.post(own_list_url, {"note": "x"}).status_code == 404
    item.refresh_from_db()
    assert item.note.startswith("Check")


# ----------------------------------------------------------------------------------------
# Access: every URL, for an outsider and for an anonymous visitor


def _company_urls(watchlist: Watchlist, item: WatchItem) -> list[tuple[str, str, dict]]:
    slug, pk = watchlist.company.slug, watchlist.pk
    return [
        ("get", reverse("accounts:watchlist_list", args=[slug]), {}),
        ("post", reverse("accounts:watchlist_list", args=[slug]), {"name": "Mine now"}),
        ("get", reverse("accounts:watchlist_detail", args=[slug, pk]), {}),
        ("get", reverse("accounts:watchlist_rename", args=[slug, pk]), {}),
        ("post", reverse("accounts:watchlist_rename", args=[slug, pk]), {"name": "Renamed"}),
        ("get", reverse("accounts:watchlist_delete", args=[slug, pk]), {}),
        ("post", reverse("accounts:watchlist_delete", args=[slug, pk]), {}),
        ("get", reverse("accounts:watchlist_export", args=[slug, pk]) + "?format=csv", {}),
        ("get", reverse("accounts:watchlist_export", args=[slug, pk]) + "?format=xlsx", {}),
        ("post", reverse("accounts:watchlist_token_reset", args=[slug, pk]), {}),
        ("get", reverse("accounts:watch_note", args=[slug, pk, item.pk]), {}),
        ("post", reverse("accounts:watch_note", args=[slug, pk, item.pk]), {"note": "x"}),
        ("post", reverse("accounts:watch_add"), {"watchlist": pk, "standard": item.standard_id}),
        ("post", reverse("accounts:watch_remove"), {"watchlist": pk, "standard": item.standard_id}),
    ]


def _unchanged(watchlist: Watchlist, token: str) -> None:
    watchlist.refresh_from_db()
    assert watchlist.name == "Toys" and watchlist.ical_token == token
    assert watchlist.items.count() == 2
    assert Watchlist.objects.count() == 2
    assert not watchlist.items.exclude(note="").exclude(note__startswith="Check").exists()


def test_every_watchlist_url_is_a_404_for_another_company(client, watched, globex_list, carol):
    token = watched.ical_token
    item = watched.items.get(standard__isnull=False)
    client.force_login(carol)
    for method, address, data in _company_urls(watched, item):
        response = getattr(client, method)(address, data)
        assert response.status_code == 404, (method, address)
    _unchanged(watched, token)


def test_every_watchlist_url_asks_an_anonymous_visitor_to_log_in(client, watched, globex_list):
    token = watched.ical_token
    item = watched.items.get(standard__isnull=False)
    login = reverse("accounts:login")
    for method, address, data in _company_urls(watched, item):
        response = getattr(client, method)(address, data)
        assert response.status_code == 302, (method, address)
        assert response.url.startswith(login), (method, address)
    _unchanged(watched, token)


def test_anonymous_htmx_watch_is_sent_to_the_log_in_page(client, toys_list, toy_standard):
    response = client.post(
        reverse("accounts:watch_add"),
        {"watchlist": toys_list.pk, "standard": toy_standard.pk, "next": "/en/search/"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert not WatchItem.objects.exists()


def test_company_urls_with_another_companys_watchlist_pk_are_404(client, watched, globex_list, bob):
    """Bob is a member of Acme; Globex's list under Acme's slug is still not his."""
    client.force_login(bob)
    for name in ("watchlist_detail", "watchlist_rename", "watchlist_delete", "watchlist_export"):
        assert (
            client.get(reverse(f"accounts:{name}", args=["acme", globex_list.pk])).status_code
            == 404
        )
    reset = reverse("accounts:watchlist_token_reset", args=["acme", globex_list.pk])
    assert client.post(reset).status_code == 404


# ----------------------------------------------------------------------------------------
# The watchlist page


def test_watchlist_page_shows_status_next_date_note_and_who_added(client, watched, alice):
    client.force_login(alice)
    response = client.get(url("watchlist_detail", watched))
    html = response.content.decode()
    assert response.status_code == 200
    assert "GB 6675.1-2014" in html and "Directive 2009/48/EC" in html
    assert "badge-upcoming" in html  # not yet in force
    assert f"{SOON:%Y-%m-%d}" in html
    assert 'Implementation (<span lang="zh-Hans">实施</span>)' in html  # the term, marked
    assert f"{LATER:%Y-%m-%d}" in html and "Repeal" in html
    assert "Check the small-parts test before the fair" in html
    assert "Added by bob@acme.example" in html
    assert "webcal://" in html and watched.ical_token in html
    assert "css/watchlists.css" in html


def test_next_date_includes_the_end_of_presumption_of_conformity(
    client, watched, toy_standard, toy_directive, alice
):
    toy_standard.implementation_date = None
    toy_standard.save()
    cite(toy_directive, toy_standard, presumption_ends=SOON + datetime.timedelta(days=3))
    client.force_login(alice)
    html = client.get(url("watchlist_detail", watched)).content.decode()
    ends = SOON + datetime.timedelta(days=3)
    assert f"{ends:%Y-%m-%d}" in html and "End of presumption of conformity" in html


def test_changes_since_the_last_visit_are_told_in_plain_language_once(
    client, watched, toy_standard, alice
):
    client.force_login(alice)
    earlier = timezone.now() - datetime.timedelta(days=3)
    WatchlistVisit.objects.create(watchlist=watched, user=alice, seen_at=earlier)
    Change.objects.create(
        standard=toy_standard,
        kind="dates",
        fields={"implementation_date": ["2025-01-01", "2025-07-01"]},
        via="admin",
        created_at=earlier - datetime.timedelta(days=1),  # seen already
    )
    Change.objects.create(
        standard=toy_standard,
        kind="dates",
        fields={"implementation_date": ["2025-07-01", f"{SOON:%Y-%m-%d}"]},
        via="admin",
        created_at=earlier + datetime.timedelta(days=1),
    )
    html = client.get(url("watchlist_detail", watched)).content.decode()
    assert "1 change since your last visit" in html
    assert f"Implementation date moved from 2025-07-01 to {SOON:%Y-%m-%d}" in html
    assert "moved from 2025-01-01" not in html
    visit = WatchlistVisit.objects.get(watchlist=watched, user=alice)
    assert visit.seen_at > earlier + datetime.timedelta(days=2)

    again = client.get(url("watchlist_detail", watched)).content.decode()
    assert "Implementation date moved" not in again
    assert "Nothing has changed since your last visit" in again


def test_each_member_has_their_own_last_visit(client, watched, toy_standard, alice, bob):
    Change.objects.create(standard=toy_standard, kind="status", fields={}, via="admin")
    client.force_login(alice)
    client.get(url("watchlist_detail", watched))
    client.force_login(bob)
    html = client.get(url("watchlist_detail", watched)).content.decode()
    assert "1 change since this list was created" in html


def _grow(watchlist: Watchlist, count: int, start: int) -> None:
    regulation = make_regulation(f"Regulation (EU) {start}/1", applies_from=LATER)
    watch(watchlist, regulation)
    for number in range(start, start + count):
        standard = make_standard(f"GB {number}-2020", implementation_date=SOON)
        watch(watchlist, standard, note=f"note {number}")
        cite(regulation, standard, presumption_ends=LATER)
        Change.objects.create(
            standard=standard, kind="dates", fields={"dow": [None, "2030-01-01"]}, via="admin"
        )


def test_watchlist_page_queries_do_not_grow_with_items(
    client, toys_list, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    WatchlistVisit.objects.create(
        watchlist=toys_list, user=alice, seen_at=timezone.now() - datetime.timedelta(days=1)
    )
    _grow(toys_list, 2, 100)
    with django_assert_max_num_queries(20) as small:
        client.get(url("watchlist_detail", toys_list))
    WatchlistVisit.objects.filter(user=alice).update(
        seen_at=timezone.now() - datetime.timedelta(days=1)
    )
    _grow(toys_list, 8, 200)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url("watchlist_detail", toys_list))
    assert response.content.decode().count("DOW (latest date of withdrawal) set to") == 10


def test_watchlist_page_in_chinese(client, watched, alice):
    client.force_login(alice)
    address = reverse("accounts:watchlist_detail", args=["acme", watched.pk]).replace(
        "/en/", "/zh-hans/"
    )
    html = client.get(address).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "玩具安全 第1部分：基本规范" in html
    assert "玩具安全指令" in html


# ----------------------------------------------------------------------------------------
# The watch button on public pages


def test_anonymous_visitor_sees_log_in_to_watch(client, toy_standard, toy_directive):
    html = client.get(toy_standard.get_absolute_url()).content.decode()
    assert "Log in to watch" in html
    assert f"{reverse('accounts:login')}?next=" in html
    html = client.get(toy_directive.get_absolute_url()).content.decode()
    assert "Log in to watch" in html


def test_log_in_to_watch_in_search_results_returns_to_the_record(client, toy_standard):
    # Not to the search: its address would be repeated in every result (issue 15, item 15).
    response = client.get(reverse("standards:search"), {"q": "GB 6675.1 " * 15}, follow=True)
    links = re.findall(r'href="([^"]*)">Log in to watch<', response.content.decode())
    assert links == [f"{reverse('accounts:login')}?next={quote(toy_standard.get_absolute_url())}"]


def test_member_sees_a_watch_form_without_a_select_for_one_list(
    client, toys_list, toy_standard, bob
):
    client.force_login(bob)
    html = client.get(toy_standard.get_absolute_url()).content.decode()
    assert f'action="{reverse("accounts:watch_add")}"' in html
    assert f'hx-post="{reverse("accounts:watch_add")}"' in html
    assert f'name="watchlist" value="{toys_list.pk}"' in html
    assert "<select" not in html.split('class="watch-button')[1].split("</div>")[0]


def test_member_chooses_the_list_when_there_are_several(client, toys_list, toy_directive, bob):
    make_watchlist(toys_list.company, "Baby products")
    client.force_login(bob)
    html = client.get(toy_directive.get_absolute_url()).content.decode()
    button = html.split('class="watch-button')[1].split("</div>")[0]
    assert 'name="watchlist"' in button and "<select" in button
    assert "Baby products" in button and "Toys" in button
    assert f'name="regulation" value="{toy_directive.pk}"' in button


def test_watched_record_shows_watching_with_remove(client, watched, toy_standard, bob):
    client.force_login(bob)
    html = client.get(toy_standard.get_absolute_url()).content.decode()
    button = html.split('class="watch-button')[1].split("</div>")[0]
    assert "Watching on" in button
    assert url("watchlist_detail", watched) in button
    assert f'action="{reverse("accounts:watch_remove")}"' in button
    assert f'action="{reverse("accounts:watch_add")}"' not in button


def test_outsiders_watchlists_never_appear_in_the_button(
    client, globex_list, toy_standard, bob, acme
):
    watch(globex_list, toy_standard)
    client.force_login(bob)
    html = client.get(toy_standard.get_absolute_url()).content.decode()
    assert "Secret plans" not in html
    assert "Watching on" not in html


def test_search_results_have_a_watch_button_and_queries_do_not_grow(
    client, toys_list, bob, django_assert_max_num_queries
):
    make_watchlist(toys_list.company, "Baby products")
    for number in range(1, 3):
        standard = make_standard(f"GB {9000 + number}-2020", title_en=f"Kettle safety {number}")
        watch(toys_list, standard)
    client.force_login(bob)
    with django_assert_max_num_queries(40) as small:
        response = client.get("/en/search/", {"q": "kettle"})
    html = response.content.decode()
    assert html.count('class="watch-button') == 2
    assert html.count("Watching on") == 2
    for number in range(3, 9):
        make_standard(f"GB {9000 + number}-2020", title_en=f"Kettle safety {number}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/en/search/", {"q": "kettle"})
    html = response.content.decode()
    assert html.count('class="watch-button') == 8
    # Inside the search form, no nested form: a link that htmx posts.
    results = html.split('id="results"')[1]
    assert "<form" not in results
    assert 'hx-headers=\'{"X-CSRFToken":' in results


def test_regulations_in_search_results_have_a_watch_button(
    client, watched, toy_directive, toy_standard, bob
):
    other = make_watchlist(watched.company, "Baby products")
    client.force_login(bob)
    html = client.get("/en/search/", {"q": toy_directive.reference}).content.decode()
    group = html.split('id="regulations-heading"')[1].split('id="standards-heading"')[0]
    assert "Watching on" in group  # the directive is on "Toys"
    assert f'"regulation": "{toy_directive.pk}"' in group
    assert "<form" not in group  # inside the search form: a link that htmx posts
    response = client.post(
        reverse("accounts:watch_add"),
        {"watchlist": other.pk, "regulation": toy_directive.pk, "nested": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert other.items.filter(regulation=toy_directive).exists()


# ----------------------------------------------------------------------------------------
# Exports


def test_csv_export_has_a_bom_both_titles_and_absolute_links(client, watched, settings, alice):
    settings.SITE_URL = "https://cesip.example"
    client.force_login(alice)
    response = client.get(url("watchlist_export", watched) + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "Identifier" in text.splitlines()[0]
    assert "GB 6675.1-2014" in text
    assert "玩具安全 第1部分：基本规范" in text and "Toy safety — Part 1: Basic code" in text
    assert "Check the small-parts test before the fair" in text
    assert "bob@acme.example" in text
    assert "https://cesip.example/en/standards/" in text
    assert f"{SOON:%Y-%m-%d}" in text


def test_xlsx_export(client, watched, settings, alice):
    settings.SITE_URL = "https://cesip.example"
    item = watched.items.get(standard__isnull=False)
    item.note = '=HYPERLINK("https://evil.example")'
    item.save()
    client.force_login(alice)
    response = client.get(url("watchlist_export", watched) + "?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Identifier"
    by_code = {row[1]: row for row in rows[1:]}
    standard = by_code["GB 6675.1-2014"]
    assert standard[3] == "玩具安全 第1部分：基本规范"
    assert standard[10].startswith("'=")  # never a formula
    assert standard[-1].startswith("https://cesip.example/en/standards/")
    assert by_code["Directive 2009/48/EC"][7] == datetime.datetime.combine(LATER, datetime.time())


def test_exports_give_an_issue_year_as_a_year_not_its_first_day(client, watched, alice):
    standard = watched.items.get(standard__isnull=False).standard
    standard.issued_date, standard.issued_precision = datetime.date(2014, 1, 1), "year"
    standard.save()
    client.force_login(alice)
    text = client.get(url("watchlist_export", watched) + "?format=csv").content.decode("utf-8-sig")
    row = next(row for row in csv.reader(io.StringIO(text)) if row[1] == "GB 6675.1-2014")
    assert row[5] == "2014"
    response = client.get(url("watchlist_export", watched) + "?format=xlsx")
    rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    assert next(row for row in rows if row[1] == "GB 6675.1-2014")[5] == "2014"


def test_unknown_export_format_is_not_found(client, watched, alice):
    client.force_login(alice)
    assert client.get(url("watchlist_export", watched) + "?format=pdf").status_code == 404


def test_export_headers_in_chinese(client, watched, alice):
    client.force_login(alice)
    address = url("watchlist_export", watched).replace("/en/", "/zh-hans/") + "?format=csv"
    response = client.get(address)
    assert response.status_code == 200
    assert "玩具安全" in response.content.decode("utf-8-sig")


# ----------------------------------------------------------------------------------------
# The private calendar feed


def test_ical_feed_lists_the_upcoming_dates_without_log_in(client, watched, settings):
    settings.SITE_URL = "https://cesip.example"
    response = client.get(reverse("accounts:watchlist_ical", args=[watched.ical_token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 2
    standard = next(e for s, e in events.items() if s.startswith("GB 6675.1-2014"))
    assert standard.decoded("dtstart") == SOON
    assert str(standard["url"]).startswith("https://cesip.example/en/standards/")
    assert str(standard["uid"]).startswith(f"watchlist-{watched.pk}-")
    assert any(e.decoded("dtstart") == LATER for e in events.values())
    assert b"\r\n" in response.content


def test_ical_feed_with_a_wrong_token_is_not_found(client, watched):
    assert client.get(reverse("accounts:watchlist_ical", args=["not-the-token"])).status_code == 404


def test_owner_resets_the_token_and_the_old_link_stops_working(client, watched, alice):
    old = reverse("accounts:watchlist_ical", args=[watched.ical_token])
    client.force_login(alice)
    response = client.post(url("watchlist_token_reset", watched))
    assert response.url == url("watchlist_detail", watched)
    watched.refresh_from_db()
    client.logout()
    assert client.get(old).status_code == 404
    assert (
        client.get(reverse("accounts:watchlist_ical", args=[watched.ical_token])).status_code == 200
    )


def test_plain_member_cannot_reset_the_token(client, watched, bob):
    token = watched.ical_token
    client.force_login(bob)
    assert client.post(url("watchlist_token_reset", watched)).status_code == 404
    html = client.get(url("watchlist_detail", watched)).content.decode()
    assert reverse("accounts:watchlist_token_reset", args=["acme", watched.pk]) not in html
    watched.refresh_from_db()
    assert watched.ical_token == token


def test_member_without_a_watchlist_is_offered_to_create_one(client, acme, toy_standard, bob):
    client.force_login(bob)
    html = client.get(toy_standard.get_absolute_url()).content.decode()
    assert "Create a watchlist to watch" in html
    assert reverse("accounts:watchlist_list", args=["acme"]) in html
