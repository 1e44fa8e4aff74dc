"""The calendar, what's new, their iCal and Atom feeds, and the glossary."""

import datetime
import xml.etree.ElementTree as ET

import icalendar
import pytest
import time_machine

from standards import calendar, changelog, changes
from standards.models import Change, ChangeKind, ChangeVia, Stage
from tests.factories import cite, make_regulation, make_standard

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 3, 1)
ATOM = "{http://www.w3.org/2005/Atom}"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def catalogue(sectors):
    """Dates around TODAY in both markets; the comments say which the calendar shows."""
    return {
        # Upcoming in China, electrical equipment: shown ("in 43 days").
        "gb_upcoming": make_standard(
            "GB 4706.1-2024",
            title_en="Household and similar electrical appliances, safety; part 1",
            title_zh_hans="家用和类似用途电器的安全 第1部分：通用要求",
            issued_date=days(-200),
            implementation_date=days(43),
            sectors=["electrical-equipment"],
        ),
        # Ten days ago: only with the past toggle.
        "gb_recent": make_standard(
            "GB 6675.1-2014",
            issued_date=days(-400),
            implementation_date=days(-10),
            sectors=["toys"],
        ),
        # Long past, unpublished, or beyond 24 months: never shown.
        "gb_old": make_standard("GB 6675.2-2014", implementation_date=days(-300), sectors=["toys"]),
        "gb_unpublished": make_standard(
            "GB 6675.3-2014", implementation_date=days(20), published=False
        ),
        "gb_far": make_standard("GB 6675.4-2014", implementation_date=days(800)),
        # Europe, toys: a DOW and an end of presumption of conformity.
        "en_toys": make_standard(
            "EN 71-1:2014+A1:2018",
            title_en="Safety of toys, part 1; mechanical and physical properties",
            dav=days(-700),
            dow=days(200),
            sectors=["toys"],
        ),
    }


@pytest.fixture
def toy_directive(catalogue):
    directive = make_regulation(
        "Directive 2009/48/EC",
        short_name_en="Toy Safety Directive",
        short_name_zh_hans="玩具安全指令",
        title_zh_hans="玩具安全指令",
        applies_from=days(300),
    )
    directive.sectors.set(catalogue["en_toys"].sectors.all())
    cite(directive, catalogue["en_toys"], presumption_ends=days(150))
    return directive


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# Calendar


def test_calendar_shows_upcoming_dates_and_hides_past_ones(client, catalogue, toy_directive):
    html = get(client, "/en/calendar/")
    assert "GB 4706.1-2024" in html
    assert '<a class="result-id" href="/en/standards/gb-4706-1-2024/">' in html
    assert "in 43 days" in html
    assert "April 2025" in html  # grouped by month
    assert "EN 71-1:2014+A1:2018" in html
    assert "/en/regulations/directive-2009-48-ec/" in html
    assert "in 150 days" in html  # end of presumption of conformity
    for hidden in ("GB 6675.1-2014", "GB 6675.2-2014", "GB 6675.3-2014", "GB 6675.4-2014"):
        assert hidden not in html
    assert 'href="/en/calendar.ics"' in html  # the subscribe link


def test_calendar_shows_the_past_30_days_on_request(client, catalogue):
    html = get(client, "/en/calendar/", past="1")
    assert "GB 6675.1-2014" in html
    assert "10 days ago" in html
    assert "GB 6675.2-2014" not in html


def test_calendar_filters_by_sector(client, catalogue, toy_directive):
    html = get(client, "/en/calendar/", sector="toys")
    assert "EN 71-1:2014+A1:2018" in html
    assert "Directive 2009/48/EC" in html
    assert "GB 4706.1-2024" not in html
    both = get(client, "/en/calendar/?sector=toys&sector=electrical-equipment")
    assert "GB 4706.1-2024" in both and "EN 71-1:2014+A1:2018" in both


def test_calendar_filters_by_jurisdiction_and_kind(client, catalogue, toy_directive):
    china = get(client, "/en/calendar/", jurisdiction="cn")
    assert "GB 4706.1-2024" in china
    assert "EN 71-1" not in china and "Directive 2009/48/EC" not in china
    europe = get(client, "/en/calendar/", jurisdiction="EU")
    assert "GB 4706.1-2024" not in europe
    assert "EN 71-1:2014+A1:2018" in europe and "Directive 2009/48/EC" in europe
    dow = get(client, "/en/calendar/", kind="dow")
    assert "in 200 days" in dow
    assert "in 150 days" not in dow and "GB 4706.1-2024" not in dow


@pytest.mark.parametrize(
    "language,expected", [("en", "Unknown sector “no-such-sector”"), ("zh-hans", "未知行业")]
)
def test_bad_calendar_filters_get_a_message(client, catalogue, language, expected):
    html = get(
        client,
        f"/{language}/calendar/",
        sector="no-such-sector",
        jurisdiction="us",
        kind="\x00birthday",
        past="maybe",
    )
    assert expected in html
    assert "“us”" in html and "“birthday”" in html and "“maybe”" in html
    assert "GB 4706.1-2024" in html  # the bad values are ignored, the rest still works
    assert client.get("/en/calendar.ics", {"sector": "x" * 5000}).status_code == 200


def _ics_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "every line ends with CRLF"
    lines = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), "lines are folded at 75 octets"
    return lines


def _unfolded(body: bytes) -> list[str]:
    return body.replace(b"\r\n ", b"").decode().split("\r\n")


def test_ics_feed_is_valid_rfc5545(client, catalogue, toy_directive):
    response = client.get("/en/calendar.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = _ics_lines(response.content)
    assert any(line.startswith(b" ") for line in lines), "the long description was folded"
    unfolded = _unfolded(response.content)
    assert "DTSTART;VALUE=DATE:20250413" in unfolded
    assert "DTEND;VALUE=DATE:20250414" in unfolded
    assert "SUMMARY:GB 4706.1-2024: Implementation (实施)" in unfolded
    # Commas and semicolons in text are escaped.
    assert any(
        line.startswith(
            "DESCRIPTION:GB 4706.1-2024 Household and similar electrical "
            "appliances\\, safety\\; part 1"
        )
        for line in unfolded
    )
    assert "URL:http://testserver/en/standards/gb-4706-1-2024/" in unfolded
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 4  # implementation, presumption ends, DOW, applies from
    uids = {str(event["UID"]) for event in events}
    gb = catalogue["gb_upcoming"]
    assert f"implementation-standard-{gb.pk}@127.0.0.1" in uids
    assert all(event["DTSTART"].params.get("VALUE") == "DATE" for event in events)
    # The same events keep their UIDs from one download to the next, in either language.
    again = icalendar.Calendar.from_ical(client.get("/zh-hans/calendar.ics").content)
    assert {str(event["UID"]) for event in again.walk("VEVENT")} == uids


def test_ics_summary_in_chinese(client, catalogue):
    body = client.get("/zh-hans/calendar.ics", {"jurisdiction": "cn"}).content
    _ics_lines(body)
    unfolded = _unfolded(body)
    assert "SUMMARY:GB 4706.1-2024：实施日期" in unfolded
    assert "URL:http://testserver/zh-hans/standards/gb-4706-1-2024/" in unfolded


def test_ics_feed_carries_only_the_filtered_events(client, catalogue, toy_directive):
    body = client.get("/en/calendar.ics", {"jurisdiction": "eu", "kind": "dow"}).content
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert [str(event["UID"]) for event in events] == [
        f"dow-standard-{catalogue['en_toys'].pk}@127.0.0.1"
    ]
    body = client.get("/en/calendar.ics", {"sector": "electrical-equipment"}).content
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert [event["DTSTART"].dt for event in events] == [days(43)]


def test_calendar_query_count_is_fixed(
    client, catalogue, toy_directive, django_assert_max_num_queries
):
    # One query for the sectors, one per kind of date, whatever the number of rows.
    with django_assert_max_num_queries(10):
        get(client, "/en/calendar/")
    for n in range(20):
        standard = make_standard(f"GB/T {9000 + n}-2024", implementation_date=days(n + 1))
        if n < 5:
            cite(toy_directive, standard, presumption_ends=days(n + 100))
    with django_assert_max_num_queries(10):
        html = get(client, "/en/calendar/")
    assert "GB/T 9019-2024" in html
    with django_assert_max_num_queries(10):
        client.get("/en/calendar.ics")


def test_upcoming_dates_helper(catalogue, toy_directive):
    entries = calendar.upcoming_dates(limit=2)
    assert [(e.code, e.date, e.kind.key) for e in entries] == [
        ("GB 4706.1-2024", days(43), "implementation"),
        ("EN 71-1:2014+A1:2018", days(150), "presumption-ends"),
    ]
    assert entries[0].url == "/en/standards/gb-4706-1-2024/"
    assert entries[0].countdown == "in 43 days"
    assert entries[1].regulation == toy_directive
    toys = calendar.upcoming_dates(sectors=["toys"])
    assert {e.code for e in toys} == {"EN 71-1:2014+A1:2018", "Directive 2009/48/EC"}
    assert calendar.upcoming_dates(sectors=["no-such-sector"]) == []


# What's new


@pytest.fixture
def dated_change(catalogue):
    """The implementation date of GB 4706.1-2024 moved by six months."""
    standard = catalogue["gb_upcoming"]
    standard.implementation_date = datetime.date(2025, 1, 1)
    standard.save()
    standard.implementation_date = datetime.date(2025, 7, 1)
    (change,) = changes.save_record(standard, via=ChangeVia.ADMIN)
    return change


def test_changes_page_tells_a_date_change_in_plain_language(client, dated_change):
    html = get(client, "/en/changes/")
    assert "Implementation date moved from 2025-01-01 to 2025-07-01" in html
    assert 'href="/en/standards/gb-4706-1-2024/"' in html
    assert "Dates changed" in html
    html = get(client, "/zh-hans/changes/")
    assert "实施日期从 2025-01-01 改为 2025-07-01" in html
    assert 'href="/zh-hans/standards/gb-4706-1-2024/"' in html


def test_status_and_new_records_in_plain_language(client, catalogue, sectors):
    standard = make_standard("GB 19212.1-2016", published=False)
    standard.published = True
    changes.save_record(standard, via=ChangeVia.ADMIN)
    standard.stage = Stage.WITHDRAWN
    standard.withdrawn_date = datetime.date(2025, 2, 1)
    changes.save_record(standard, via=ChangeVia.ADMIN)
    html = get(client, "/en/changes/")
    assert "New standard added" in html
    assert "Status changed from Published to Withdrawn" in html
    assert "Withdrawal date set to 2025-02-01" in html
    zh = get(client, "/zh-hans/changes/")
    assert "新增标准" in zh
    assert "状态从“已发布”改为“已废止”" in zh


def test_citation_changes_name_the_regulation(client, catalogue, toy_directive):
    citation = toy_directive.citations.get()
    before = changes.snapshot(type(citation), [citation.pk])
    citation.presumption_ends = days(400)
    citation.save()
    changes.record_changes(type(citation), before, [citation.pk], via=ChangeVia.IMPORT)
    html = get(client, "/en/changes/")
    assert (
        "End of presumption of conformity under Directive 2009/48/EC moved from "
        f"{days(150).isoformat()} to {days(400).isoformat()}"
    ) in html
    assert 'href="/en/regulations/directive-2009-48-ec/"' in html


def test_changes_filter_by_sector_and_kind(client, catalogue, dated_change):
    toys = make_standard("GB 6675.11-2014", published=False, sectors=["toys"])
    toys.published = True
    changes.save_record(toys, via=ChangeVia.ADMIN)
    html = get(client, "/en/changes/", sector="toys")
    assert "GB 6675.11-2014" in html and "GB 4706.1-2024" not in html
    html = get(client, "/en/changes/", kind=ChangeKind.DATES)
    assert "GB 4706.1-2024" in html and "GB 6675.11-2014" not in html
    html = get(client, "/en/changes/", kind="bogus", sector="nowhere", page="abc")
    assert "Unknown kind “bogus”" in html and "Unknown sector “nowhere”" in html
    assert "is not a page number" in html
    assert get(client, "/en/changes/", page=str(10**9))


def test_changes_of_unpublished_records_stay_hidden(client, dated_change):
    dated_change.standard.published = False
    dated_change.standard.save()
    assert "GB 4706.1-2024" not in get(client, "/en/changes/")
    assert "GB 4706.1-2024" not in get(client, "/en/changes/feed/")


def _feed(client, url, **params) -> ET.Element:
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_atom_feed_has_the_filtered_entries(client, catalogue, dated_change):
    toys = make_standard("GB 6675.11-2014", published=False, sectors=["toys"])
    toys.published = True
    (new,) = changes.save_record(toys, via=ChangeVia.ADMIN)

    feed = _feed(client, "/en/changes/feed/")
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    # Latest event first: the date change happened today, GB 6675.11-2014 in 2014.
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"tag:127.0.0.1,2025:change/{dated_change.pk}/en",
        f"tag:127.0.0.1,2025:change/{new.pk}/en",
    ]
    dated = entries[0]
    assert dated.findtext(f"{ATOM}title") == (
        "GB 4706.1-2024: Implementation date moved from 2025-01-01 to 2025-07-01"
    )
    assert dated.find(f"{ATOM}link").get("href") == "http://testserver/en/standards/gb-4706-1-2024/"
    assert dated.findtext(f"{ATOM}updated").startswith("2025-03-01T09:00:00")
    summary = dated.findtext(f"{ATOM}summary")  # HTML, escaped once in the XML
    assert "<li>Implementation date moved from 2025-01-01 to 2025-07-01</li>" in summary
    assert feed.findtext(f"{ATOM}id") == "tag:127.0.0.1,2025:changes/en"

    toys_feed = _feed(client, "/en/changes/feed/", sector="toys")
    assert [e.findtext(f"{ATOM}id") for e in toys_feed.findall(f"{ATOM}entry")] == [
        f"tag:127.0.0.1,2025:change/{new.pk}/en"
    ]
    assert "Toys" in toys_feed.findtext(f"{ATOM}title")
    dates_feed = _feed(client, "/en/changes/feed/", kind="dates")
    assert len(dates_feed.findall(f"{ATOM}entry")) == 1
    ignored = _feed(client, "/en/changes/feed/", kind="bogus", sector="\x00nowhere")
    assert len(ignored.findall(f"{ATOM}entry")) == 2

    zh = _feed(client, "/zh-hans/changes/feed/", kind="dates")
    (entry,) = zh.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "GB 4706.1-2024：实施日期从 2025-01-01 改为 2025-07-01"
    assert entry.findtext(f"{ATOM}id") == f"tag:127.0.0.1,2025:change/{dated_change.pk}/zh-hans"


def _many_changes(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        standard = make_standard(f"GB/T {20000 + n}-2024", published=False, sectors=["toys"])
        standard.published = True
        changes.save_record(standard, via=ChangeVia.IMPORT)
        standard.implementation_date = days(n + 1)
        changes.save_record(standard, via=ChangeVia.IMPORT)


def test_changes_query_count_is_fixed(client, sectors, django_assert_max_num_queries):
    # Sectors, count, page, their sectors; the feed has no count.
    _many_changes(2)
    with django_assert_max_num_queries(4):
        get(client, "/en/changes/")
    with django_assert_max_num_queries(3):
        client.get("/en/changes/feed/")
    _many_changes(30, start=2)
    assert Change.objects.count() == 64
    with django_assert_max_num_queries(4):
        html = get(client, "/en/changes/", sector="toys")
    assert "Page 1 of 3" in html
    with django_assert_max_num_queries(3):
        feed = _feed(client, "/en/changes/feed/")
    assert len(feed.findall(f"{ATOM}entry")) == 50


def test_an_issue_year_made_exact_is_told_at_each_precision(catalogue):
    standard = catalogue["gb_upcoming"]
    standard.issued_date, standard.issued_precision = datetime.date(2024, 1, 1), "year"
    standard.save()
    standard.issued_date, standard.issued_precision = datetime.date(2024, 6, 20), "day"
    changes.save_record(standard, via=ChangeVia.IMPORT)
    (entry,) = changelog.latest_changes()
    assert entry.sentences == [
        "Issue date moved from 2024 to 2024-06-20",
        "The issue date is now known to the day",
    ]


def test_latest_changes_helper(dated_change):
    (entry,) = changelog.latest_changes()
    assert entry.code == "GB 4706.1-2024"
    assert entry.url == "/en/standards/gb-4706-1-2024/"
    assert entry.sentences == ["Implementation date moved from 2025-01-01 to 2025-07-01"]
    assert entry.kind == ChangeKind.DATES
    assert changelog.latest_changes(sectors=["toys"]) == []


# Event dates: what's new, the home page, sector pages and the feed order and date
# changes by the event they report, and say when CESIP recorded one later.


def _recorded(day: int, month: int = 2):
    return time_machine.travel(datetime.datetime(2025, month, day, 10, 0, tzinfo=datetime.UTC))


@pytest.fixture
def told_late(catalogue):
    """Three changes recorded in an order other than their events':
    GB 4706.1-2024's date moved (recorded and happened 2025-02-26),
    GB 6675.2-2014 withdrawn on 2024-02-01 (recorded 2025-02-27),
    GB 19212.1-2016 issued 2016-06-14, added (recorded 2025-02-28)."""
    upcoming, old = catalogue["gb_upcoming"], catalogue["gb_old"]
    with _recorded(26):
        upcoming.implementation_date = days(60)
        (moved,) = changes.save_record(upcoming, via=ChangeVia.ADMIN)
    with _recorded(27):
        old.stage, old.withdrawn_date = Stage.WITHDRAWN, datetime.date(2024, 2, 1)
        (withdrawn,) = changes.save_record(old, via=ChangeVia.IMPORT)
    with _recorded(28):
        new = make_standard(
            "GB 19212.1-2016", published=False, issued_date=datetime.date(2016, 6, 14),
            sectors=["toys"],
        )  # fmt: skip
        new.published = True
        (added,) = changes.save_record(new, via=ChangeVia.IMPORT)
    assert [c.occurred_on.isoformat() for c in (moved, withdrawn, added)] == [
        "2025-02-26", "2024-02-01", "2016-06-14",
    ]  # fmt: skip
    return {"moved": moved, "withdrawn": withdrawn, "added": added}


def _in_order(html: str, *texts: str) -> bool:
    positions = [html.index(text) for text in texts]
    return positions == sorted(positions)


EVENT_ORDER = ("GB 4706.1-2024", "GB 6675.2-2014", "GB 19212.1-2016")


def test_changes_page_orders_and_dates_changes_by_their_events(client, told_late):
    html = get(client, "/en/changes/")
    assert _in_order(html, *EVENT_ORDER)
    for day in ("2025-02-26", "2024-02-01", "2016-06-14"):
        assert f'<time datetime="{day}">{day}</time>' in html
    # Told when CESIP recorded it, when that was another day.
    assert "recorded 2025-02-27" in html and "recorded 2025-02-28" in html
    assert "recorded 2025-02-26" not in html
    zh = get(client, "/zh-hans/changes/")
    assert _in_order(zh, *EVENT_ORDER)
    assert "2025-02-27 收录" in zh and "recorded 2025" not in zh


def test_home_page_lists_latest_changes_by_event_date(client, told_late):
    for language in ("en", "zh-hans"):
        html = get(client, f"/{language}/")
        assert _in_order(html, *EVENT_ORDER)
        assert '<time datetime="2024-02-01">2024-02-01</time>' in html
        assert '<time datetime="2016-06-14">2016-06-14</time>' in html
    assert [entry.when for entry in changelog.latest_changes()] == [
        datetime.date(2025, 2, 26), datetime.date(2024, 2, 1), datetime.date(2016, 6, 14),
    ]  # fmt: skip


def test_sector_page_lists_latest_changes_by_event_date(client, told_late):
    html = get(client, "/en/sectors/toys/")
    section = html[html.index('id="changes-title"') :]
    assert _in_order(section, "2024-02-01", "GB 6675.2-2014", "2016-06-14", "GB 19212.1-2016")
    assert "GB 4706.1-2024" not in section


def test_feed_publishes_changes_at_their_event_dates(client, told_late):
    feed = _feed(client, "/en/changes/feed/")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"tag:127.0.0.1,2025:change/{told_late[name].pk}/en"
        for name in ("moved", "withdrawn", "added")
    ]
    published = [e.findtext(f"{ATOM}published") for e in entries]
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    # Recorded on the day of the event: the recording time; otherwise the event's day.
    assert published[0].startswith("2025-02-26T10:00:00")
    assert published[1].startswith("2024-02-01T00:00:00")
    assert published[2].startswith("2016-06-14T00:00:00")
    # <updated> is when CESIP recorded it.
    assert updated[1].startswith("2025-02-27T10:00:00")
    assert updated[2].startswith("2025-02-28T10:00:00")


# Glossary

ANCHORS = [
    "issued", "implementation", "withdrawn", "dor", "dav", "doa", "dop", "dow",
    "oj-citation", "presumption-of-conformity", "presumption-ends", "in-force",
    "applies-from", "transition", "repealed", "idt", "mod", "neq", "mandatory",
    "recommended", "guidance", "voluntary", "harmonised-standard", "gb", "gb-t", "gb-z",
]  # fmt: skip


@pytest.mark.parametrize(
    "language,expected",
    [
        ("en", "latest date by which national standards conflicting with the EN"),
        ("zh-hans", "与该欧洲标准相抵触的国家标准"),
    ],
)
def test_glossary_has_every_anchor_in_both_languages(client, language, expected):
    html = get(client, f"/{language}/glossary/")
    for anchor in ANCHORS:
        assert f'id="{anchor}"' in html, anchor
    assert expected in html
    assert f'<html lang="{language}">' in html


def test_calendar_links_each_kind_of_date_to_the_glossary(client, catalogue, toy_directive):
    html = get(client, "/en/calendar/")
    assert 'href="/en/glossary/#implementation"' in html
    assert 'href="/en/glossary/#dow"' in html
    assert 'href="/en/glossary/#presumption-ends"' in html
    glossary = get(client, "/en/glossary/")
    for kind in calendar.DATE_KINDS.values():
        assert f'id="{kind.anchor}"' in glossary
