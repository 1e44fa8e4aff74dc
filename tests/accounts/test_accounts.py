"""Sign-up with e-mail verification, log-in throttling, password reset, profile and
account deletion, through the test client and the locmem outbox."""

import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Company, Invitation, Membership, Role, User
from tests.factories import add_member, make_company, make_invitation, make_user

PASSWORD = "correct horse battery"  # make_user's
NEW_PASSWORD = "a brand new passphrase 42"

pytestmark = pytest.mark.django_db


def _signup(client, language="en", *, page_language: str | None = None, **data):
    payload = {
        "email": "li.wei@exporter.example",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "language": language,
        "company_name": "Shenzhen Hair Dryers",
        **data,
    }
    return client.post(f"/{page_language or language}/accounts/signup/", payload)


def _link(message) -> str:
    """The path of the first link to this site in an e-mail's text."""
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def _html(message) -> str:
    return message.alternatives[0][0]


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ----------------------------------------------------------------------------------------
# Sign-up and verification
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_signup_page_renders_in_both_languages(client, language):
    response = client.get(f"/{language}/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        assert gettext("Create an account") in html
    assert 'name="company_name"' in html and 'name="password2"' in html


def test_signup_creates_an_inactive_account_that_owns_its_new_company(client, mailoutbox):
    response = _signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/verify/sent/?signup=1"
    user = User.objects.get(email="li.wei@exporter.example")
    assert not user.is_active
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.company.name == "Shenzhen Hair Dryers"
    assert membership.company.slug == "shenzhen-hair-dryers"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["li.wei@exporter.example"]
    assert _link(mailoutbox[0]).startswith("/en/accounts/verify/")
    assert not _logged_in_as(client)


def test_verification_email_is_in_the_chosen_language(client, mailoutbox):
    _signup(client, language="zh-hans", page_language="en")
    message = mailoutbox[0]
    with translation.override("zh-hans"):
        assert message.subject == gettext("Verify your address for CESIP")
        assert gettext("Verify my address and log in") in _html(message)
    assert '<html lang="zh-hans">' in _html(message)
    assert _link(message).startswith("/zh-hans/accounts/verify/")


def test_unverified_account_cannot_log_in(client, mailoutbox):
    _signup(client)
    response = client.post(
        "/en/accounts/login/", {"username": "li.wei@exporter.example", "password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert not _logged_in_as(client)


def test_verification_link_activates_and_logs_in_once(client, mailoutbox):
    _signup(client, language="zh-hans")
    link = _link(mailoutbox[0])
    user = User.objects.get(email="li.wei@exporter.example")

    # Opening the link (as a mail scanner would) changes nothing: the button does.
    page = client.get(link)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    user.refresh_from_db()
    assert not user.is_active

    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/company/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    user.refresh_from_db()
    assert user.is_active
    assert _logged_in_as(client) == str(user.pk)

    # A second click, from another browser, neither activates nor logs in again.
    other = client.__class__()
    again = other.post(link)
    assert again.status_code == 200
    assert not _logged_in_as(other)
    with translation.override("zh-hans"):
        assert gettext("This address is already verified.") in again.content.decode()


def test_verification_link_expires_and_cannot_be_forged(client, mailoutbox):
    _signup(client)
    link = _link(mailoutbox[0])
    forged = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]
    assert client.post(forged).status_code == 400
    with time_machine.travel(timezone.now() + timezone.timedelta(days=4)):
        assert client.post(link).status_code == 400
    assert not User.objects.get(email="li.wei@exporter.example").is_active


def test_verification_link_does_not_revive_a_deactivated_account(client, mailoutbox):
    _signup(client)
    link = _link(mailoutbox[0])
    User.objects.filter(email="li.wei@exporter.example").update(
        is_active=False, last_login=timezone.now()
    )
    client.post(link)
    assert not User.objects.get(email="li.wei@exporter.example").is_active
    assert not _logged_in_as(client)


@pytest.mark.parametrize("active", [True, False])
def test_registered_address_gets_the_same_answer_and_its_owner_a_mail(client, mailoutbox, active):
    make_user("Li.Wei@exporter.example", is_active=active)
    response = _signup(client, email="li.wei@EXPORTER.example")
    # The page says nothing about the address (tests/accounts/test_hardening.py compares
    # it with a new address's); the mail to the account does.
    assert response["Location"] == "/en/accounts/verify/sent/?signup=1"
    assert User.objects.filter(email__iexact="li.wei@exporter.example").count() == 1
    assert not Company.objects.exists()
    (message,) = mailoutbox
    assert message.to == ["li.wei@exporter.example"]
    if active:
        assert message.subject == "Someone tried to sign up with your address"
    else:  # still waiting for verification: the link again
        assert message.subject == "Verify your address for CESIP"


def test_signup_needs_a_company_name_and_matching_strong_passwords(client, mailoutbox):
    response = _signup(client, company_name="  ")
    assert "Give your company" in response.content.decode()
    response = _signup(client, password2="something else entirely")
    assert "The two passwords differ." in response.content.decode()
    response = _signup(client, password1="12345678", password2="12345678")
    assert response.status_code == 200
    assert not User.objects.exists()
    assert mailoutbox == []


def test_resend_verification_answers_alike_and_sends_only_to_unverified(client, mailoutbox):
    _signup(client)
    make_user("active@exporter.example")
    mailoutbox.clear()
    for email in ["li.wei@exporter.example", "active@exporter.example", "nobody@x.example"]:
        response = client.post("/en/accounts/verify/resend/", {"email": email})
        assert response.status_code == 302
        assert response["Location"] == "/en/accounts/verify/sent/"
    assert [m.to for m in mailoutbox] == [["li.wei@exporter.example"]]
    assert client.post(_link(mailoutbox[0])).status_code == 302
    assert User.objects.get(email="li.wei@exporter.example").is_active


# ----------------------------------------------------------------------------------------
# Log-in throttling (django-axes)
# ----------------------------------------------------------------------------------------


def test_repeated_failures_lock_out_even_the_right_password(client):
    make_user("target@exporter.example")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/en/accounts/login/", {"username": "target@exporter.example", "password": "x"})
    response = client.post(
        "/en/accounts/login/", {"username": "target@exporter.example", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert not _logged_in_as(client)

    # The lock is on the account from this address: from elsewhere, the owner logs in
    # (until failures from many addresses lock the account; tests/accounts/test_hardening.py).
    other = client.__class__(REMOTE_ADDR="203.0.113.9")
    response = other.post(
        "/en/accounts/login/", {"username": "target@exporter.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _logged_in_as(other)


def test_a_few_failures_do_not_lock_out(client):
    make_user("target@exporter.example")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 2):
        client.post("/en/accounts/login/", {"username": "target@exporter.example", "password": "x"})
    response = client.post(
        "/en/accounts/login/", {"username": "target@exporter.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _logged_in_as(client)


# ----------------------------------------------------------------------------------------
# Password reset
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_password_reset_pages_render_in_both_languages(client, language):
    response = client.get(f"/{language}/accounts/password/reset/")
    assert response.status_code == 200
    with translation.override(language):
        assert gettext("Reset your password") in response.content.decode()


def test_password_reset_mails_the_user_in_their_language_and_sets_the_password(client, mailoutbox):
    user = make_user("mei@exporter.example", language="zh-hans")
    response = client.post("/en/accounts/password/reset/", {"email": "MEI@exporter.example"})
    assert response["Location"] == "/en/accounts/password/reset/sent/"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    with translation.override("zh-hans"):
        assert message.subject == gettext("Reset your CESIP password")
    assert '<html lang="zh-hans">' in _html(message)
    link = _link(message)
    assert link.startswith("/zh-hans/accounts/password/reset/")

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The link works once.
    assert not client.get(link, follow=True).context["validlink"]


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post("/en/accounts/password/reset/", {"email": "nobody@x.example"})
    assert response["Location"] == "/en/accounts/password/reset/sent/"
    assert mailoutbox == []


# ----------------------------------------------------------------------------------------
# Profile
# ----------------------------------------------------------------------------------------


def test_profile_needs_log_in(client):
    response = client.get("/en/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_profile_saves_name_time_zone_and_switches_language(client):
    user = make_user("pierre@exporter.example")
    client.force_login(user)
    response = client.post(
        "/en/accounts/profile/",
        {
            "first_name": "Pierre",
            "last_name": "Martin",
            "language": "zh-hans",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/accounts/profile/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.language, user.time_zone) == (
        "Pierre",
        "Martin",
        "zh-hans",
        "Asia/Shanghai",
    )
    page = client.get(response["Location"])
    assert '<html lang="zh-hans">' in page.content.decode()
    with translation.override("zh-hans"):
        assert gettext("Your profile is saved.") in page.content.decode()


def test_profile_refuses_an_unknown_time_zone(client):
    user = make_user("pierre@exporter.example")
    client.force_login(user)
    response = client.post(
        "/en/accounts/profile/",
        {"first_name": "", "last_name": "", "language": "en", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 200
    assert "Choose a time zone from the list." in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "UTC"


def test_header_links_to_companies_and_profile_when_logged_in(client):
    client.force_login(make_user("pierre@exporter.example"))
    html = client.get("/en/accounts/profile/").content.decode()
    assert 'href="/en/company/"' in html
    assert 'href="/en/accounts/profile/"' in html
    assert re.search(r'<form action="/en/accounts/logout/" method="post"', html)


# ----------------------------------------------------------------------------------------
# Account deletion
# ----------------------------------------------------------------------------------------


def test_account_deletion_needs_the_password(client):
    user = make_user("pierre@exporter.example")
    client.force_login(user)
    response = client.post("/en/accounts/delete/", {"password": "wrong"})
    assert response.status_code == 200
    assert "The password is not correct." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_account_deletion_removes_the_person_and_their_solo_company(client):
    user = make_user("pierre@exporter.example")
    solo = make_company("Pierre Solo", owner=user)
    shared = make_company("Shared Co")
    add_member(shared, user)
    make_invitation(shared, "PIERRE@exporter.example")
    client.force_login(user)

    response = client.post("/en/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Membership.objects.filter(user_id=user.pk).exists()
    assert not Company.objects.filter(pk=solo.pk).exists()
    assert Company.objects.filter(pk=shared.pk).exists()
    assert not Invitation.objects.filter(email__iexact="pierre@exporter.example").exists()
    assert not _logged_in_as(client)


def test_last_owner_with_members_must_transfer_first(client):
    owner = make_user("owner@exporter.example")
    company = make_company("Acme", owner=owner)
    add_member(company, make_user("colleague@exporter.example"))
    client.force_login(owner)

    page = client.get("/en/accounts/delete/")
    assert f'href="/en/company/{company.slug}/members/"' in page.content.decode()
    response = client.post("/en/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 200
    assert "You are the only owner" in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()
    assert _logged_in_as(client) == str(owner.pk)


def test_an_owner_may_go_when_another_owner_stays(client):
    owner = make_user("owner@exporter.example")
    company = make_company("Acme", owner=owner)
    add_member(company, make_user("second@exporter.example"), role=Role.OWNER)
    client.force_login(owner)
    assert client.post("/en/accounts/delete/", {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert company.memberships.get().user.email == "second@exporter.example"
