"""One member's bad input never stops another member's mail (issue 15, item 1): saved
searches PostgreSQL could not run, digests that fail to build, and the saved-search form
refusing what cannot be searched."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.postgres.search import SearchQuery
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import digests
from accounts.models import Delivery, DeliveryStatus, SavedSearch, Subscription
from sectors.models import Sector
from standards.search import postgres
from standards.search.bounds import MAX_QUERY_LENGTH
from tests.accounts.test_digests import (
    NOW,
    date_change,
    edit_dates,
    make_member,
    message_for,
    send,
)
from tests.factories import make_standard

HYPHENS = "q=" + "-" * 40


@pytest.fixture
def outbox(db, mailoutbox):
    return mailoutbox


@pytest.fixture
def toys(sectors):
    return Sector.objects.get(slug="toys")


@pytest.fixture
def toy_change(toys):
    standard = make_standard("GB 6675.1-2014", title_en="Toy safety — General", sectors=[toys])
    return date_change(standard, sectors=[toys])


def saved(subscription: Subscription, query: str, name: str = "Mine") -> SavedSearch:
    """A saved search as an older version of the site stored it, unchecked."""
    return SavedSearch.objects.create(subscription=subscription, name=name, query=query)


def test_a_saved_search_of_hyphens_does_not_stop_the_digests(outbox, acme, toys, toy_change):
    first = make_member("first@acme.example", acme, sectors=[toys])
    saved(first, HYPHENS)
    make_member("second@acme.example", acme, sectors=[toys])
    out = send()
    assert "daily digests sent: 2" in out
    # The member with the bad search still hears about the sector they follow.
    assert "GB 6675.1-2014" in message_for(outbox, "first@acme.example").body
    assert "GB 6675.1-2014" in message_for(outbox, "second@acme.example").body
    assert "daily digests sent: 0" in send()  # a rerun neither fails nor sends twice


def test_a_saved_search_postgresql_cannot_run_is_skipped_alone(
    outbox, acme, toys, toy_change, monkeypatch
):
    """Whatever slips through the simplification fails in its own savepoint: the other
    saved searches and the rest of the digest still run."""
    real = postgres.text_query

    def text_query(query):
        if "boom" in query.english:
            return SearchQuery("((boom", config="simple", search_type="raw")  # syntax error
        return real(query)

    monkeypatch.setattr(postgres, "text_query", text_query)
    monkeypatch.setattr("standards.search.planner.printed_and_statistics", lambda q: ("", None))
    first = make_member("first@acme.example", acme, include_watchlists=False)
    saved(first, "q=boom", "Boom")
    saved(first, "q=toy", "Toys")
    second = make_member("second@acme.example", acme, include_watchlists=False)
    saved(second, "q=safety", "Safety")
    assert "daily digests sent: 2" in send()
    assert "Toys" in message_for(outbox, "first@acme.example").body
    assert "Safety" in message_for(outbox, "second@acme.example").body


def test_a_digest_that_cannot_be_built_fails_alone_and_is_retried(
    outbox, acme, toys, toy_change, monkeypatch
):
    """Each recipient's digest is built in its own savepoint when the shared build
    fails: the others are sent, the failing one is recorded and retried later."""
    real = digests._ChangeIndex.found

    def found(self, query, standard_ids, jurisdictions):
        if query == "q=poison":
            raise RuntimeError("a bug in one member's digest")
        return real(self, query, standard_ids, jurisdictions)

    monkeypatch.setattr(digests._ChangeIndex, "found", found)
    poisoned = make_member("poisoned@acme.example", acme, sectors=[toys])
    saved(poisoned, "q=poison")
    for n in range(3):
        make_member(f"member{n}@acme.example", acme, sectors=[toys])
    out = send()
    assert "daily digests sent: 3" in out and "daily digests failed: 1" in out
    assert sorted(m.to[0] for m in outbox) == [f"member{n}@acme.example" for n in range(3)]
    failed = Delivery.objects.get(user=poisoned.user)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert "RuntimeError" in failed.error and failed.next_attempt_at > NOW
    # Retried when its time comes, alone: nobody else is sent anything twice.
    monkeypatch.setattr(digests._ChangeIndex, "found", real)
    later = failed.next_attempt_at + datetime.timedelta(seconds=1)
    assert "daily digests sent: 1" in send(now=later)
    assert len(outbox) == 4
    assert message_for(outbox, "poisoned@acme.example")


def test_a_digest_that_cannot_be_written_fails_alone(outbox, acme, toys, toy_change, monkeypatch):
    real = digests.Renderer.message

    def message(self, digest, **kwargs):
        if digest.user.email == "poisoned@acme.example":
            raise KeyError("a bug in one member's message")
        return real(self, digest, **kwargs)

    monkeypatch.setattr(digests.Renderer, "message", message)
    make_member("poisoned@acme.example", acme, sectors=[toys])
    make_member("other@acme.example", acme, sectors=[toys])
    out = send()
    assert "daily digests sent: 1" in out and "daily digests failed: 1" in out
    assert [m.to for m in outbox] == [["other@acme.example"]]
    failed = Delivery.objects.get(user__email="poisoned@acme.example")
    assert failed.status == DeliveryStatus.FAILED and "KeyError" in failed.error


def test_immediate_alerts_survive_a_saved_search_of_hyphens(
    settings, outbox, acme, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    standard = make_standard("GB 6675.1-2014", title_en="Toy safety — General")
    first = make_member("first@acme.example", acme, frequency="immediate")
    saved(first, HYPHENS)
    saved(first, "q=toy", "Toys")
    second = make_member("second@acme.example", acme, frequency="immediate")
    saved(second, "q=toy", "Toys")
    with django_capture_on_commit_callbacks(execute=True):
        edit_dates(standard)
    assert sorted(m.to[0] for m in outbox) == ["first@acme.example", "second@acme.example"]


def test_immediate_alerts_build_each_recipient_alone_when_the_shared_build_fails(
    outbox, acme, monkeypatch
):
    standard = make_standard("GB 6675.1-2014", title_en="Toy safety — General")
    real = digests._ChangeIndex.found

    def found(self, query, standard_ids, jurisdictions):
        if query == "q=poison":
            raise RuntimeError("a bug in one member's alert")
        return real(self, query, standard_ids, jurisdictions)

    monkeypatch.setattr(digests._ChangeIndex, "found", found)
    poisoned = make_member("poisoned@acme.example", acme, frequency="immediate")
    saved(poisoned, "q=poison")
    saved(poisoned, "q=toy", "Toys")
    other = make_member("other@acme.example", acme, frequency="immediate")
    saved(other, "q=toy", "Toys")
    change = date_change(standard, when=NOW)
    outcome = digests.send_change_alerts(change_id=change.pk, now=NOW)
    assert outcome["sent"] == 1
    assert [m.to for m in outbox] == [["other@acme.example"]]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    q=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(["-", "<->", "!", "&", "|", ":*", '"', "'", "\x00", "。", "toy"]),
            max_size=60,
        ).map("".join),
        st.integers(min_value=1, max_value=400).map(lambda n: "-" * n),
    )
)
def test_digests_run_whatever_the_saved_searches(outbox, acme, toys, toy_change, q):
    Delivery.objects.all().delete()
    outbox.clear()
    if not Subscription.objects.filter(user__email="fuzzed@acme.example").exists():
        make_member("fuzzed@acme.example", acme, sectors=[toys])
        make_member("bystander@acme.example", acme, sectors=[toys])
    subscription = Subscription.objects.get(user__email="fuzzed@acme.example")
    subscription.saved_searches.all().delete()
    params = QueryDict(mutable=True)
    params["q"] = q
    saved(subscription, params.urlencode())
    assert "daily digests sent: 2" in send()
    assert message_for(outbox, "bystander@acme.example")


# -- the saved-search form -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "en", "zh"),
    [
        (HYPHENS, "has no words to search", "没有可搜索的词"),
        ("q=" + "<->" * 33, "has no words to search", "没有可搜索的词"),
        ("q=%21%26%7C%3A*", "has no words to search", "没有可搜索的词"),
        (
            "q=" + "toys " * 60,
            f"longer than {MAX_QUERY_LENGTH} characters",
            f"超过 {MAX_QUERY_LENGTH} 个字符",
        ),
        (
            "q=" + "玩具安全" * 40,
            f"longer than {MAX_QUERY_LENGTH} characters",
            f"超过 {MAX_QUERY_LENGTH} 个字符",
        ),  # fmt: skip
    ],
)
def test_the_form_refuses_a_search_that_cannot_be_searched(client, acme, query, en, zh):
    member = make_member("member@acme.example", acme)
    client.force_login(member.user)
    for language, message in (("en", en), ("zh-hans", zh)):
        with translation.override(language):
            url = reverse("accounts:saved_search_add")
        response = client.post(url, {"query": query})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_the_form_refuses_a_search_too_long_to_store(client, acme):
    """Within the bounds of the words, but longer than the stored column once encoded."""
    member = make_member("member@acme.example", acme)
    client.force_login(member.user)
    query = "q=" + "电吹风 " * 15 + "&document_type=" + "x" * 900
    response = client.post(reverse("accounts:saved_search_add"), {"query": query})
    assert response.status_code == 400
    assert "too long to save" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_the_form_still_takes_a_search_with_words_and_minus(client, acme):
    member = make_member("member@acme.example", acme)
    client.force_login(member.user)
    response = client.post(reverse("accounts:saved_search_add"), {"query": "q=toys+-plush"})
    assert response.status_code == 302
    assert SavedSearch.objects.get().query == "q=toys+-plush"
