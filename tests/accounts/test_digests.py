"""Subscriptions, change digests and immediate alerts: through the client, the outbox,
the command, the task queue and a real SMTP server."""

from __future__ import annotations

import datetime
import email
import email.policy
import signal
import smtplib
import socket

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import digests
from accounts.models import (
    Company,
    Delivery,
    DeliveryStatus,
    SavedSearch,
    Subscription,
    WatchItem,
    Watchlist,
)
from sectors.models import Sector
from standards.changes import save_record
from standards.models import Change, Standard
from tests.factories import add_member, make_standard, make_user

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # a Tuesday
YESTERDAY = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
OLD_DATE, NEW_DATE = "2025-01-01", "2026-08-01"


def send(frequency: str = "daily", now: datetime.datetime = NOW) -> str:
    out = __import__("io").StringIO()
    call_command("send_digests", "--frequency", frequency, "--now", now.isoformat(), stdout=out)
    return out.getvalue()


def make_member(email_address: str, company: Company, **subscription) -> Subscription:
    """A new member of `company` with a subscription."""
    user = make_user(email_address, language=subscription.get("language", "en"))
    add_member(company, user)
    return follow(user, **subscription)


def follow(user, **subscription) -> Subscription:
    """`user`'s subscription: daily, to their companies' watchlists unless told."""
    sectors = subscription.pop("sectors", [])
    subscription.setdefault("frequency", "daily")
    created = Subscription.objects.create(user=user, **subscription)
    created.sectors.set(sectors)
    return created


def watch(company: Company, standard) -> None:
    watchlist, _ = Watchlist.objects.get_or_create(
        company=company, name="Products", defaults={"ical_token": f"token-{company.slug}"}
    )
    WatchItem.objects.create(watchlist=watchlist, standard=standard)


def date_change(standard, *, when=YESTERDAY, sectors=(), occurred_on=None) -> Change:
    change = Change.objects.create(
        standard=standard,
        kind="dates",
        fields={"implementation_date": [OLD_DATE, NEW_DATE]},
        via="system",
        created_at=when,
        occurred_on=occurred_on or when.date(),
    )
    change.sectors.set(sectors)
    return change


def edit_dates(standard) -> Change:
    """A curator's edit of the implementation date, OLD_DATE to NEW_DATE, through the
    catalogue's one write path (which queues the immediate alerts)."""
    Standard.objects.filter(pk=standard.pk).update(implementation_date=OLD_DATE)
    standard.refresh_from_db()
    standard.implementation_date = datetime.date.fromisoformat(NEW_DATE)
    (change,) = save_record(standard, via="admin")
    return change


@pytest.fixture
def outbox(db, mailoutbox):
    """The outbox, taken after the test database exists (its set-up replaces the list)."""
    return mailoutbox


@pytest.fixture
def toy_standard(db):
    return make_standard(
        "GB 6675.1-2014",
        title_en="Toy safety — General",
        title_zh_hans="玩具安全 第1部分：基本规范",
    )


@pytest.fixture
def appliance_standard(db):
    return make_standard("GB 4706.1-2005", title_en="Household appliances — Safety")


@pytest.fixture
def li_follows(li, acme, toy_standard):
    """Li (Acme, reads Chinese) follows her company's watchlists daily."""
    watch(acme, toy_standard)
    return follow(li, language="zh-hans")


@pytest.fixture
def carol_follows(carol, globex, appliance_standard):
    """Carol, an outsider to Acme, follows her own company's watchlist daily."""
    watch(globex, appliance_standard)
    return follow(carol)


@pytest.fixture
def changes(li_follows, carol_follows, toy_standard, appliance_standard):
    return [date_change(toy_standard), date_change(appliance_standard)]


def message_for(outbox, address: str):
    found = [m for m in outbox if m.to == [address]]
    assert len(found) == 1, [m.to for m in outbox]
    return found[0]


# -- periods ---------------------------------------------------------------------------


def test_periods_are_the_previous_utc_day_and_iso_week():
    assert digests.period_for("daily", NOW) == (
        datetime.datetime(2026, 3, 9, tzinfo=UTC),
        datetime.datetime(2026, 3, 10, tzinfo=UTC),
    )
    assert digests.period_for("weekly", NOW) == (
        datetime.datetime(2026, 3, 2, tzinfo=UTC),
        datetime.datetime(2026, 3, 9, tzinfo=UTC),
    )
    beijing = datetime.timezone(datetime.timedelta(hours=8))
    late = datetime.datetime(2026, 3, 10, 7, 0, tzinfo=beijing)  # 2026-03-09 23:00 UTC
    assert digests.period_for("daily", late)[1] == datetime.datetime(2026, 3, 9, tzinfo=UTC)


# -- content ---------------------------------------------------------------------------


def test_digest_in_chinese_names_old_and_new_implementation_date(outbox, changes, toy_standard):
    send()
    message = message_for(outbox, "li@acme.example")
    html = message.alternatives[0][0]
    sentence = f"实施日期从 {OLD_DATE} 改为 {NEW_DATE}"
    assert sentence in message.body
    assert sentence in html
    assert "玩具安全 第1部分：基本规范" in message.body
    link = f"http://testserver/zh-hans/standards/{toy_standard.slug}/"
    assert link.replace("http://testserver", "") in message.body
    assert "GB 6675.1-2014" in message.subject or "1" in message.subject
    delivery = Delivery.objects.get(user__email="li@acme.example")
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.language == "zh-hans"
    assert delivery.changes == [changes[0].pk]


def test_digest_links_are_absolute_to_site_url(outbox, changes, toy_standard, settings):
    settings.SITE_URL = "https://cesip.example"
    send()
    message = message_for(outbox, "li@acme.example")
    assert f"https://cesip.example/zh-hans/standards/{toy_standard.slug}/" in message.body
    assert (
        f'href="https://cesip.example/zh-hans/standards/{toy_standard.slug}/"'
        in (message.alternatives[0][0])
    )


def test_english_digest_for_english_member(outbox, acme, toy_standard):
    watch(acme, toy_standard)
    make_member("ann@acme.example", acme, language="en")
    date_change(toy_standard)
    send()
    body = message_for(outbox, "ann@acme.example").body
    assert f"Implementation date moved from {OLD_DATE} to {NEW_DATE}" in body
    assert f"/en/standards/{toy_standard.slug}/" in body


def test_digest_includes_an_event_learnt_late_and_shows_its_date(
    outbox, acme, toy_standard, appliance_standard
):
    watch(acme, toy_standard)
    watch(acme, appliance_standard)
    make_member("ann@acme.example", acme, language="en")
    # Learnt yesterday: a date edit (happened then), then a withdrawal of 2019.
    with time_machine.travel(YESTERDAY, tick=False):
        moved = edit_dates(appliance_standard)
    with time_machine.travel(YESTERDAY + datetime.timedelta(hours=1), tick=False):
        toy_standard.stage = "withdrawn"
        toy_standard.withdrawn_date = datetime.date(2019, 6, 30)
        (withdrawn,) = save_record(toy_standard, via="import")
    assert withdrawn.occurred_on == datetime.date(2019, 6, 30)
    # Learnt in the previous period, although it happened yesterday: sent then, not now.
    earlier = date_change(
        toy_standard, when=YESTERDAY - datetime.timedelta(days=1), occurred_on=YESTERDAY.date()
    )
    send()
    message = message_for(outbox, "ann@acme.example")
    html = message.alternatives[0][0]
    delivery = Delivery.objects.get(user__email="ann@acme.example")
    assert sorted(delivery.changes) == sorted([moved.pk, withdrawn.pk])
    assert earlier.pk not in delivery.changes
    # Dated by the event, with the day CESIP learnt it; the latest event first.
    assert "Withdrawn · 2019-06-30 (recorded 2026-03-09)" in message.body
    assert "2019-06-30 (recorded 2026-03-09)" in html
    assert "Dates changed · 2026-03-09\n" in message.body
    assert message.body.index("GB 4706.1-2005") < message.body.index("GB 6675.1-2014")
    assert html.index("GB 4706.1-2005") < html.index("GB 6675.1-2014")


def test_chinese_digest_says_when_a_late_event_was_recorded(outbox, li_follows, toy_standard):
    with time_machine.travel(YESTERDAY, tick=False):
        toy_standard.stage = "withdrawn"
        toy_standard.withdrawn_date = datetime.date(2019, 6, 30)
        save_record(toy_standard, via="import")
    send()
    message = message_for(outbox, "li@acme.example")
    assert "2019-06-30 (2026-03-09 收录)" in message.body
    assert "2019-06-30 (2026-03-09 收录)" in message.alternatives[0][0]


def test_one_click_unsubscribe_headers(outbox, changes, li_follows):
    send()
    message = message_for(outbox, "li@acme.example")
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    url = header[1:-1]
    # The token is signed with a timestamp: read it back rather than sign it again.
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert digests.user_from_token(token) == li_follows.user_id
    assert url == "http://127.0.0.1:8000" + reverse("accounts:unsubscribe", args=[token]).replace(
        "/en/", "/zh-hans/"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body


def test_outsiders_changes_do_not_leak_to_another_company(outbox, changes):
    send()
    li_message = message_for(outbox, "li@acme.example")
    bob_message = message_for(outbox, "carol@globex.example")
    assert "GB 4706.1" not in li_message.body + li_message.alternatives[0][0]
    assert "GB 6675.1" not in bob_message.body + bob_message.alternatives[0][0]


def test_sectors_and_jurisdictions_select_changes(outbox, acme, sectors):
    toys = Sector.objects.get(slug="toys")
    cn_toy = make_standard("GB 6675.2-2014", sectors=[toys])
    eu_toy = make_standard("EN 71-1:2014", sectors=[toys])
    make_member("cn@acme.example", acme, sectors=[toys], jurisdictions=["CN"])
    make_member("both@acme.example", acme, sectors=[toys])
    date_change(cn_toy, sectors=[toys])
    date_change(eu_toy, sectors=[toys])
    send()
    cn_body = message_for(outbox, "cn@acme.example").body
    assert "GB 6675.2-2014" in cn_body and "EN 71-1" not in cn_body
    both = message_for(outbox, "both@acme.example").body
    assert "GB 6675.2-2014" in both and "EN 71-1" in both


def test_saved_search_selects_the_standards_it_finds(outbox, acme):
    eu = make_standard("EN 71-2:2020")
    cn = make_standard("GB 6675.3-2014")
    subscription = make_member("searcher@acme.example", acme, include_watchlists=False)
    SavedSearch.objects.create(subscription=subscription, name="EU only", query="jurisdiction=EU")
    date_change(eu)
    date_change(cn)
    send()
    body = message_for(outbox, "searcher@acme.example").body
    assert "EN 71-2:2020" in body and "GB 6675.3" not in body
    assert "EU only" in body


def test_empty_digest_is_skipped(outbox, acme, sectors):
    make_member("quiet@acme.example", acme, sectors=[Sector.objects.get(slug="leather")])
    send()
    assert outbox == []
    assert Delivery.objects.get(user__email="quiet@acme.example").status == DeliveryStatus.EMPTY


def test_inactive_and_other_frequencies_get_no_delivery(outbox, changes, li_follows, carol_follows):
    Subscription.objects.filter(pk=li_follows.pk).update(active=False)
    Subscription.objects.filter(pk=carol_follows.pk).update(frequency="weekly")
    send("daily")
    assert outbox == []
    assert not Delivery.objects.filter(frequency="daily").exists()


def test_weekly_digest_covers_the_previous_iso_week(outbox, acme, toy_standard):
    watch(acme, toy_standard)
    make_member("weekly@acme.example", acme, frequency="weekly")
    date_change(toy_standard, when=datetime.datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # in
    date_change(toy_standard, when=datetime.datetime(2026, 3, 9, 0, 0, tzinfo=UTC))  # after
    send("weekly")
    delivery = Delivery.objects.get(user__email="weekly@acme.example")
    assert len(delivery.changes) == 1
    assert delivery.period_start == datetime.datetime(2026, 3, 2, tzinfo=UTC)


# -- runs and retries ------------------------------------------------------------------


def test_rerun_sends_nothing(outbox, changes):
    send()
    assert len(outbox) == 2
    assert "daily digests sent: 0" in send()
    send(now=NOW + datetime.timedelta(hours=3))
    assert len(outbox) == 2
    assert Delivery.objects.count() == 2


def test_two_claims_of_one_row_cannot_both_succeed(li_follows):
    Delivery.objects.create(
        user=li_follows.user, frequency="daily", period_start=YESTERDAY, period_end=NOW
    )
    first, second = Delivery.objects.all()[0], Delivery.objects.all()[0]
    assert digests.claim_delivery(first, now=NOW) is True
    assert digests.claim_delivery(second, now=NOW) is False
    # A run that died leaves the row "sending": another may take it after 15 minutes.
    assert digests.claim_delivery(second, now=NOW + datetime.timedelta(minutes=14)) is False
    assert digests.claim_delivery(second, now=NOW + datetime.timedelta(minutes=16)) is True


def test_scheduling_twice_creates_each_delivery_once(li_follows, carol_follows):
    assert digests.schedule_deliveries(frequency="daily", now=NOW) == 2
    digests.schedule_deliveries(frequency="daily", now=NOW + datetime.timedelta(hours=1))
    assert Delivery.objects.count() == 2


class FailingBackend(BaseEmailBackend):
    """An SMTP server that hangs up on every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_failure_is_retried_with_backoff(outbox, changes, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    send()
    delivery = Delivery.objects.get(user__email="li@acme.example")
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == NOW + datetime.timedelta(minutes=5)
    assert "SMTPServerDisconnected" in delivery.error

    send(now=NOW + datetime.timedelta(minutes=6))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == NOW + datetime.timedelta(minutes=16)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(now=NOW + datetime.timedelta(minutes=10))  # not due yet
    assert outbox == []
    send(now=NOW + datetime.timedelta(minutes=17))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 3 and delivery.error == ""
    assert len([m for m in mail.outbox if m.to == ["li@acme.example"]]) == 1


def test_abandoned_after_five_attempts(outbox, changes, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    now = NOW
    for _attempt in range(7):
        send(now=now)
        now += datetime.timedelta(hours=2)
    delivery = Delivery.objects.get(user__email="li@acme.example")
    assert delivery.status == DeliveryStatus.ABANDONED
    assert delivery.attempts == 5
    assert delivery.next_attempt_at is None


# -- unsubscribe -----------------------------------------------------------------------


def test_unsubscribe_by_get_then_post(client, li_follows):
    url = reverse("accounts:unsubscribe", args=[digests.unsubscribe_token(li_follows.user_id)])
    response = client.get(url)
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    li_follows.refresh_from_db()
    assert li_follows.active  # a link scanner's GET changes nothing
    response = client.post(url)
    assert response.status_code == 200
    li_follows.refresh_from_db()
    assert not li_follows.active


def test_one_click_unsubscribe_post_needs_no_csrf_token(li_follows, outbox, changes):
    send()
    header = message_for(outbox, "li@acme.example").extra_headers["List-Unsubscribe"]
    path = header.strip("<>").removeprefix("http://127.0.0.1:8000")
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    li_follows.refresh_from_db()
    assert not li_follows.active


def test_unsubscribe_rejects_a_forged_token(client, li_follows):
    forged = digests.unsubscribe_token(li_follows.user_id)[:-2] + "xx"
    assert client.post(reverse("accounts:unsubscribe", args=[forged])).status_code == 400
    other_salt = __import__("django.core.signing").core.signing.dumps(li_follows.user_id)
    assert client.post(reverse("accounts:unsubscribe", args=[other_salt])).status_code == 400
    li_follows.refresh_from_db()
    assert li_follows.active


# -- settings pages --------------------------------------------------------------------


def test_alert_settings_need_log_in(client):
    response = client.get(reverse("accounts:alert_settings"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_member_chooses_sectors_markets_frequency_and_language(client, acme, sectors):
    user = make_user("new@acme.example")
    client.force_login(user)
    assert client.get(reverse("accounts:alert_settings")).status_code == 200
    toys = Sector.objects.get(slug="toys")
    response = client.post(
        reverse("accounts:alert_settings"),
        {
            "active": "on",
            "frequency": "weekly",
            "language": "zh-hans",
            "sectors": [toys.pk],
            "jurisdictions": ["CN"],
        },
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get(user=user)
    assert subscription.frequency == "weekly" and subscription.language == "zh-hans"
    assert subscription.jurisdictions == ["CN"]
    assert not subscription.include_watchlists
    assert list(subscription.sectors.all()) == [toys]


def test_settings_page_in_chinese(client, li_follows):
    client.force_login(li_follows.user)
    with translation.override("zh-hans"):
        url = reverse("accounts:alert_settings")
    response = client.get(url)
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    assert "css/alerts.css" in response.content.decode()


def test_save_a_search_from_its_url(client, li_follows, sectors):
    client.force_login(li_follows.user)
    response = client.post(
        reverse("accounts:saved_search_add"),
        {"query": "https://cesip.example/en/search/?q=toys&sector=toys&page=3&sort=newest"},
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(subscription=li_follows)
    assert saved.query == "q=toys&sector=toys"
    assert saved.name == "toys"
    response = client.get(reverse("accounts:alert_settings"))
    assert "toys" in response.content.decode()


def test_save_a_search_from_a_query_string_and_the_search_page_link(client, li_follows):
    client.force_login(li_follows.user)
    response = client.get(reverse("accounts:saved_search_add") + "?query=jurisdiction%3DCN")
    assert 'value="jurisdiction=CN"' in response.content.decode()
    assert (
        client.post(reverse("accounts:saved_search_add"), {"query": "jurisdiction=CN"}).status_code
        == 302
    )
    assert SavedSearch.objects.get(subscription=li_follows).query == "jurisdiction=CN"
    search = client.get(reverse("standards:search") + "?jurisdiction=CN")
    assert reverse("accounts:saved_search_add") in search.content.decode()


def test_a_bad_search_is_reported(client, li_follows, sectors):
    client.force_login(li_follows.user)
    response = client.post(
        reverse("accounts:saved_search_add"), {"query": "?sector=no-such-sector"}
    )
    assert response.status_code == 400
    assert "no-such-sector" in response.content.decode()
    response = client.post(reverse("accounts:saved_search_add"), {"query": "?page=2"})
    assert response.status_code == 400
    assert not SavedSearch.objects.exists()


def test_a_member_cannot_delete_someone_elses_saved_search(client, li_follows, carol_follows):
    saved = SavedSearch.objects.create(
        subscription=carol_follows, name="Carol's", query="jurisdiction=EU"
    )
    client.force_login(li_follows.user)
    assert client.post(reverse("accounts:saved_search_delete", args=[saved.pk])).status_code == 404
    client.force_login(carol_follows.user)
    assert client.post(reverse("accounts:saved_search_delete", args=[saved.pk])).status_code == 302
    assert not SavedSearch.objects.exists()


def test_delivery_history_shows_own_rows_newest_first(client, li_follows, carol_follows):
    for day in (1, 3, 2):
        start = datetime.datetime(2026, 3, day, tzinfo=UTC)
        Delivery.objects.create(
            user=li_follows.user,
            frequency="daily",
            period_start=start,
            period_end=start + datetime.timedelta(days=1),
            status="sent",
        )
    Delivery.objects.create(
        user=carol_follows.user, frequency="daily", period_start=YESTERDAY, period_end=NOW
    )
    client.force_login(li_follows.user)
    page = client.get(reverse("accounts:delivery_history")).content.decode()
    assert page.index("2026-03-03 – ") < page.index("2026-03-02 – ") < page.index("2026-03-01 – ")
    assert "2026-03-09 – " not in page


# -- immediate alerts ------------------------------------------------------------------


@pytest.fixture
def immediate_li(li_follows):
    Subscription.objects.filter(pk=li_follows.pk).update(frequency="immediate")
    return li_follows


def test_immediate_alert_through_the_immediate_backend(
    settings, outbox, immediate_li, carol_follows, toy_standard, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        change = edit_dates(toy_standard)
    message = message_for(outbox, "li@acme.example")
    assert f"实施日期从 {OLD_DATE} 改为 {NEW_DATE}" in message.body
    assert len(outbox) == 1  # Carol is daily, and the record is not his company's
    delivery = Delivery.objects.get(user=immediate_li.user)
    assert delivery.frequency == "immediate" and delivery.period_start == change.created_at
    # The same change handled again (a retried task) sends nothing more.
    digests.send_change_alerts(change_id=change.pk)
    assert len(outbox) == 1


def test_immediate_alert_through_the_database_backend_and_worker(
    outbox, immediate_li, toy_standard, django_capture_on_commit_callbacks, monkeypatch
):
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    # The worker closes connections that are not in autocommit mode, which the test's
    # wrapping transaction is; in production it runs outside any transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    with django_capture_on_commit_callbacks(execute=True):
        edit_dates(toy_standard)
    assert DBTaskResult.objects.count() == 1
    assert outbox == []
    # The worker installs its own SIGINT/SIGTERM/SIGQUIT handlers and leaves the
    # defaults behind it: give pytest's back.
    handlers = {
        sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
    }
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert len(outbox) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


# -- a real SMTP server ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_digest_through_a_real_smtp_server(settings, changes):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        send()
    finally:
        controller.stop()
    envelopes = {tuple(e.rcpt_tos): e for e in handler.envelopes}
    assert set(envelopes) == {("li@acme.example",), ("carol@globex.example",)}
    received = email.message_from_bytes(
        envelopes[("li@acme.example",)].content, policy=email.policy.default
    )
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        received["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/zh-hans/account/")
    )
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert f"实施日期从 {OLD_DATE} 改为 {NEW_DATE}" in text
    assert "玩具安全" in html
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
