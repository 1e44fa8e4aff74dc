"""Issue 15, accounts: each attack of the audit replayed through the test client and the
outbox, and what the site now does instead.

Log-in locks behind the TLS proxy and across the e-mail's case (items 3, 4, 18),
invitations that only the invited address can accept (6), limits on the mail users can
make the site send (7), plain-text subjects (10), a sign-up that tells nobody whether an
address has an account (11), and calendar links that die with a membership (12).
"""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Company, Membership, User
from tests.factories import (
    make_company,
    make_invitation,
    make_standard,
    make_user,
    make_watchlist,
    watch,
)

PASSWORD = "correct horse battery"  # make_user's
NEW_PASSWORD = "a brand new passphrase 42"
PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the site from it

pytestmark = pytest.mark.django_db


def _login(client, email: str, password: str, *, address: str, forwarded: str | None = None):
    """A log-in from `address`: through the proxy (which appends the address it saw to
    X-Forwarded-For) when `settings.TRUSTED_PROXY_COUNT` is 1, directly otherwise."""
    if getattr(settings, "TRUSTED_PROXY_COUNT", 0):
        chain = f"{forwarded}, {address}" if forwarded else address
        extra = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}
    else:
        extra = {"REMOTE_ADDR": address}
        if forwarded:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/en/accounts/login/", {"username": email, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def _signup(client, email: str, *, address: str = "127.0.0.1", **data):
    payload = {
        "email": email,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "language": "en",
        "company_name": "Newco",
        **data,
    }
    return client.post("/en/accounts/signup/", payload, REMOTE_ADDR=address)


@pytest.fixture
def behind_proxy(settings):
    """The documented set-up: one TLS proxy in front of the site."""
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def gina(db):
    return make_user("gina@g.test")


# ----------------------------------------------------------------------------------------
# 3. Behind the proxy, one client's failures lock out only that client
# ----------------------------------------------------------------------------------------


def test_behind_the_proxy_invented_emails_from_one_client_do_not_lock_out_everyone(
    client, behind_proxy, gina
):
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, f"invented{n}@nowhere.test", "guess", address="198.51.100.7")

    response = _login(client, "gina@g.test", PASSWORD, address="203.0.113.5")
    assert response.status_code == 302
    assert _logged_in(client)


def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_lock(
    client, behind_proxy, gina
):
    attacker = Client()
    # The attacker writes a new address of their own in front each time; the proxy
    # appends the one it really saw.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, "gina@g.test", "guess", address="198.51.100.7", forwarded=f"192.0.2.{n}")
    response = _login(
        attacker, "gina@g.test", PASSWORD, address="198.51.100.7", forwarded="192.0.2.200"
    )
    assert response.status_code == 429
    assert not _logged_in(attacker)

    # Gina, elsewhere, still logs in: the lock is on the account from that address.
    response = _login(client, "gina@g.test", PASSWORD, address="203.0.113.5")
    assert response.status_code == 302


def test_without_a_proxy_the_forwarded_for_header_is_ignored(client, gina):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "gina@g.test", "guess", address="198.51.100.7", forwarded=f"192.0.2.{n}")
    response = _login(
        client, "gina@g.test", PASSWORD, address="198.51.100.7", forwarded="192.0.2.9"
    )
    assert response.status_code == 429


# ----------------------------------------------------------------------------------------
# 4. The lock ignores the e-mail's case and holds across addresses
# ----------------------------------------------------------------------------------------


def test_changing_the_case_of_the_email_does_not_get_round_the_lock(client, gina):
    # 24 guesses from 6 addresses lock the account; the audit then logged in as
    # GINA@G.TEST, which the lock did not know.
    for n in range(6):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            _login(Client(), "gina@g.test", "guess", address=f"198.51.100.{n + 1}")
    response = _login(client, "GINA@G.TEST", PASSWORD, address="203.0.113.5")
    assert response.status_code == 429
    assert not _logged_in(client)


def test_the_lock_on_one_address_holds_whatever_the_case(client, gina):
    for variant in ["gina@g.test", "GINA@G.TEST", "Gina@g.test", "gina@G.TEST", "GINA@g.test"]:
        _login(client, variant, "guess", address="198.51.100.7")
    response = _login(client, "gInA@g.test", PASSWORD, address="198.51.100.7")
    assert response.status_code == 429


def test_guesses_spread_over_eight_addresses_lock_the_account(client, gina):
    # The audit's attack: 32 guesses from 8 addresses, 4 from each (under the limit for
    # one address), the e-mail written differently by each.
    variants = ["gina@g.test", "GINA@G.TEST", "Gina@g.test", "gInA@g.test"]
    variants += ["giNa@G.test", "GINA@g.test", "gina@G.TEST", "GiNa@g.TeSt"]
    for n, variant in enumerate(variants):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            _login(Client(), variant, "guess", address=f"198.51.100.{n + 1}")

    response = _login(client, "gina@g.test", PASSWORD, address="203.0.113.5")
    assert response.status_code == 429
    assert not _logged_in(client)


def test_a_colleague_mistyping_their_own_address_does_not_lock_gina(client, gina):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(Client(), "gina@g.test", "guess", address="198.51.100.7")
    response = _login(client, "gina@g.test", PASSWORD, address="198.51.100.7")
    assert response.status_code == 302


# ----------------------------------------------------------------------------------------
# 18. The lock-out page names the lock and says when to come back
# ----------------------------------------------------------------------------------------


def _retry_after(response) -> int:
    return int(response["Retry-After"])


def test_the_lockout_page_names_the_account_from_this_address_and_sends_retry_after(client, gina):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            _login(client, "gina@g.test", "guess", address="198.51.100.7")
    cool_off = int(datetime.timedelta(hours=settings.AXES_COOLOFF_TIME).total_seconds())

    with time_machine.travel(start + datetime.timedelta(minutes=5), tick=False):
        response = _login(client, "gina@g.test", PASSWORD, address="198.51.100.7")
    assert response.status_code == 429
    # Counted from the last failure: the locked attempt itself counts as one.
    assert _retry_after(response) == cool_off
    html = response.content.decode()
    assert "from your address" in html
    assert f"{cool_off // 60} minutes" in html

    with time_machine.travel(start + datetime.timedelta(minutes=5), tick=False):
        later = _login(Client(), "gina@g.test", PASSWORD, address="203.0.113.5")
    assert later.status_code == 302


def test_the_lockout_page_names_the_account_when_it_is_locked_everywhere(client, gina):
    for n in range(settings.AXES_ACCOUNT_FAILURE_LIMIT):
        _login(Client(), "gina@g.test", "guess", address=f"198.51.100.{n % 100 + 1}")
    response = _login(client, "gina@g.test", PASSWORD, address="203.0.113.5")
    assert response.status_code == 429
    assert 0 < _retry_after(response) <= settings.AXES_COOLOFF_TIME * 3600
    html = response.content.decode()
    assert "This account is locked" in html
    assert "from your address" not in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_lockout_page_names_the_address_when_it_is_the_address(client, gina, language):
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        _login(Client(), f"invented{n}@nowhere.test", "guess", address="198.51.100.7")
    response = client.post(
        f"/{language}/accounts/login/",
        {"username": "gina@g.test", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 429
    assert _retry_after(response) > 0
    html = response.content.decode()
    with translation.override(language):
        assert gettext("Log-in from your address is paused") in html
        assert gettext("This account is locked") not in html
    # The address's lock is the address's: Gina logs in from anywhere else.
    assert _login(Client(), "gina@g.test", PASSWORD, address="203.0.113.5").status_code == 302


# ----------------------------------------------------------------------------------------
# 6. An invitation is for the address it was sent to
# ----------------------------------------------------------------------------------------


@pytest.fixture
def acme_watchlist(acme, alice):
    watchlist = make_watchlist(acme, "Toys", by=alice)
    watch(watchlist, make_standard("GB 6675.1-2014"), by=alice, note="Our supplier is late")
    return watchlist


def test_another_account_holding_the_link_cannot_join(client, acme, alice, carol, acme_watchlist):
    invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    client.force_login(carol)

    page = client.get(f"/en/company/join/{token}/")
    html = page.content.decode()
    assert "new@acme.example" in html and "carol@globex.example" in html
    assert "Accept and join" not in html

    response = client.post(f"/en/company/join/{token}/")
    assert response.status_code == 403
    assert not Membership.objects.filter(company=acme, user=carol).exists()
    export = reverse("accounts:watchlist_export", args=["acme", acme_watchlist.pk])
    assert client.get(export + "?format=csv").status_code == 404
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # still there for the person it was sent to


def test_the_invited_address_joins_whatever_its_case(client, acme, alice):
    _invitation, token = make_invitation(acme, "New@Acme.example", invited_by=alice)
    newcomer = make_user("new@acme.example")
    client.force_login(newcomer)
    response = client.post(f"/en/company/join/{token}/")
    assert response["Location"] == "/en/company/acme/"
    assert Membership.objects.filter(company=acme, user=newcomer).exists()


def test_signing_up_through_an_invitation_needs_the_invited_address(client, acme, alice):
    _invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    response = _signup(client, "private@mail.example", invitation=token)
    assert response.status_code == 200
    assert "This invitation is for new@acme.example" in response.content.decode()
    assert not User.objects.filter(email="private@mail.example").exists()


def test_a_verification_link_cannot_carry_someone_elses_invitation(client, acme, alice):
    from accounts.registration import verification_token

    _invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    stranger = User.objects.create_user(email="private@mail.example", password=PASSWORD)
    stranger.is_active = False
    stranger.save()
    link = reverse("accounts:verify_email", args=[verification_token(stranger, invitation=token)])
    response = client.post(link, follow=True)
    assert response.status_code == 200
    stranger.refresh_from_db()
    assert stranger.is_active  # the address is verified ...
    assert not Membership.objects.filter(company=acme, user=stranger).exists()  # ... no more
    assert "This invitation is for new@acme.example" in response.content.decode()


# ----------------------------------------------------------------------------------------
# 7. Limits on the mail users can make the site send
# ----------------------------------------------------------------------------------------


def _until_refused(send, most: int = 60) -> tuple[int, object]:
    """Call `send(n)` until it answers 429; how many succeeded, and the refusal."""
    for n in range(most):
        response = send(n)
        if response.status_code == 429:
            return n, response
        assert response.status_code == 302, response.status_code
    raise AssertionError(f"{most} requests and no limit")


def test_an_owner_cannot_send_invitations_without_limit(client, acme, alice, mailoutbox):
    client.force_login(alice)
    sent, refusal = _until_refused(
        lambda n: client.post("/en/company/acme/invite/", {"email": f"colleague{n}@acme.example"})
    )
    assert 10 <= sent < 60  # a team can be invited at once, a mailing list cannot
    assert len(mailoutbox) == sent
    assert int(refusal["Retry-After"]) > 0
    assert "You have sent many messages in a short time" in refusal.content.decode()


def test_one_address_gets_few_invitations_whoever_sends_them(
    client, acme, alice, carol, mailoutbox
):
    owners = [(alice, "acme"), (carol, make_company("Globex Two", owner=carol).slug)]

    def invite(n):
        owner, slug = owners[n % 2]
        client.force_login(owner)
        return client.post(f"/en/company/{slug}/invite/", {"email": "stranger@elsewhere.test"})

    sent, refusal = _until_refused(invite)
    assert 1 <= sent <= 5
    assert "Several messages to this address" in refusal.content.decode()
    # The owner may still invite someone else.
    client.force_login(alice)
    other = client.post("/en/company/acme/invite/", {"email": "colleague@acme.example"})
    assert other.status_code == 302


@pytest.mark.parametrize("registered", [True, False])
def test_password_resets_for_one_address_are_limited_alike_whether_it_exists(
    client, mailoutbox, registered
):
    if registered:
        make_user("gina@g.test")
    sent, refusal = _until_refused(
        lambda n: Client().post(
            "/en/accounts/password/reset/",
            {"email": "gina@g.test"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
    )
    assert 1 <= sent <= 5  # the audit: 16 resets for one address
    assert len(mailoutbox) == (sent if registered else 0)
    assert int(refusal["Retry-After"]) > 0
    assert "Several messages to this address" in refusal.content.decode()


def test_password_resets_from_one_client_are_limited(client, mailoutbox):
    sent, refusal = _until_refused(
        lambda n: client.post("/en/accounts/password/reset/", {"email": f"guess{n}@x.test"})
    )
    assert 1 <= sent <= 20
    assert "You have sent many messages in a short time" in refusal.content.decode()
    # Another client is not affected.
    assert (
        Client()
        .post("/en/accounts/password/reset/", {"email": "other@x.test"}, REMOTE_ADDR="203.0.113.5")
        .status_code
        == 302
    )


def test_a_stranger_gets_few_sign_up_mails(client, mailoutbox):
    def sign_up_as_the_stranger(n):
        # From a new address each time: the limit that matters is the recipient's.
        if n % 2:
            return Client().post(
                "/en/accounts/verify/resend/",
                {"email": "stranger@elsewhere.test"},
                REMOTE_ADDR=f"198.51.100.{n + 1}",
            )
        return _signup(Client(), "stranger@elsewhere.test", address=f"198.51.100.{n + 1}")

    sent, refusal = _until_refused(sign_up_as_the_stranger)
    assert 1 <= sent <= 5  # the audit: 6 sign-up mails to a stranger
    assert [m.to for m in mailoutbox] == [["stranger@elsewhere.test"]] * len(mailoutbox)
    assert len(mailoutbox) <= 3
    assert "Several messages to this address" in refusal.content.decode()
    assert int(refusal["Retry-After"]) > 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_limit_message_is_translated_and_lifts_after_the_wait(client, mailoutbox, language):
    from accounts.throttles import TooManyMails

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(10):
            response = client.post(
                f"/{language}/accounts/password/reset/", {"email": "gina@g.test"}
            )
            if response.status_code == 429:
                break
        assert response.status_code == 429
        wait = int(response["Retry-After"])
        with translation.override(language):
            expected = TooManyMails(retry_after=wait, recipient=True).message()
        assert expected in response.content.decode()
        assert language == "en" or "Several messages" not in response.content.decode()
    with time_machine.travel(start + datetime.timedelta(seconds=wait + 1), tick=False):
        again = client.post(f"/{language}/accounts/password/reset/", {"email": "gina@g.test"})
    assert again.status_code == 302


# ----------------------------------------------------------------------------------------
# 10. Subjects are plain text
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_invitation_subject_keeps_the_company_name_as_typed(client, alice, mailoutbox, language):
    alice.language = language
    alice.save()
    company = make_company('Smith & Sons <"Quality"> Ltd', owner=alice)
    client.force_login(alice)
    client.post(f"/en/company/{company.slug}/invite/", {"email": "new@example.com"})
    (message,) = mailoutbox
    with translation.override(language):
        expected = gettext("Join %(company)s on CESIP") % {"company": company.name}
    assert message.subject == expected
    assert "&amp;" not in message.subject and "&lt;" not in message.subject


# ----------------------------------------------------------------------------------------
# 11. Sign-up says nothing about whether an address has an account
# ----------------------------------------------------------------------------------------


def _page(path: str) -> str:
    """The page at `path` for a new visitor, without its per-visitor CSRF tokens."""
    html = Client().get(path).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_signup_answers_alike_for_a_new_and_a_registered_address(client, mailoutbox):
    gina = make_user("gina@g.test", language="zh-hans")
    new = _signup(Client(), "newcomer@x.test")
    known = _signup(Client(), "GINA@g.test")
    assert known.status_code == new.status_code == 302
    assert known["Location"] == new["Location"]
    assert _page(known["Location"]) == _page(new["Location"])

    verify, notice = mailoutbox
    assert verify.to == ["newcomer@x.test"]
    # The account's owner hears of the attempt, in their language, and how to get in.
    assert notice.to == ["gina@g.test"]
    with translation.override("zh-hans"):
        assert notice.subject == gettext("Someone tried to sign up with your address")
    assert "/zh-hans/accounts/login/" in notice.body
    assert "/zh-hans/accounts/password/reset/" in notice.body
    # Nothing changed on the account.
    gina.refresh_from_db()
    assert gina.check_password(PASSWORD)
    assert User.objects.filter(email__iexact="gina@g.test").count() == 1
    assert not Company.objects.filter(name="Newco", memberships__user=gina).exists()


def test_signing_up_again_while_unverified_sends_the_verification_link_again(client, mailoutbox):
    _signup(client, "newcomer@x.test")
    again = _signup(Client(), "newcomer@x.test")
    assert again.status_code == 302
    first, second = mailoutbox
    assert second.subject == first.subject  # the verification mail, again
    assert User.objects.filter(email="newcomer@x.test").count() == 1
    assert Client().post(_link(second)).status_code == 302
    assert User.objects.get(email="newcomer@x.test").is_active


# ----------------------------------------------------------------------------------------
# 12. A member who goes loses the calendar links
# ----------------------------------------------------------------------------------------


def _feed(watchlist) -> str:
    watchlist.refresh_from_db()
    return reverse("accounts:watchlist_ical", args=[watchlist.ical_token])


def test_removing_a_member_revokes_the_calendar_links(client, acme, alice, bob):
    toys, tools = make_watchlist(acme, "Toys", by=alice), make_watchlist(acme, "Tools", by=bob)
    bobs_links = [_feed(toys), _feed(tools)]
    assert all(Client().get(link).status_code == 200 for link in bobs_links)

    client.force_login(alice)
    bob_membership = Membership.objects.get(company=acme, user=bob)
    response = client.post(f"/en/company/acme/members/{bob_membership.pk}/remove/", follow=True)
    assert "calendar links" in response.content.decode()

    assert all(Client().get(link).status_code == 404 for link in bobs_links)
    # The members who stay find the new links on the watchlist.
    assert Client().get(_feed(toys)).status_code == 200
    page = client.get(reverse("accounts:watchlist_detail", args=["acme", toys.pk]))
    assert toys.ical_token in page.content.decode()


def test_leaving_or_deleting_the_account_revokes_the_calendar_links(client, acme, alice, bob, li):
    toys = make_watchlist(acme, "Toys", by=alice)
    bobs_link = _feed(toys)
    client.force_login(bob)
    client.post("/en/company/acme/leave/")
    assert Client().get(bobs_link).status_code == 404

    lis_link = _feed(toys)
    client.force_login(li)
    client.post("/en/accounts/delete/", {"password": PASSWORD})
    assert not User.objects.filter(pk=li.pk).exists()
    assert Client().get(lis_link).status_code == 404
    assert Client().get(_feed(toys)).status_code == 200


# ----------------------------------------------------------------------------------------
# The new pages and mails, wholly in Chinese for a Chinese reader
# ----------------------------------------------------------------------------------------


def test_the_new_pages_and_the_notice_are_wholly_in_chinese(client, acme, alice, carol, mailoutbox):
    from tests.standards.language_check import other_language

    pages = {}
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "carol@globex.example", "guess", address="198.51.100.7")
    pages["lock-out"] = Client().post(
        "/zh-hans/accounts/login/",
        {"username": "carol@globex.example", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    _invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    client.force_login(carol)
    pages["invitation for another address"] = client.get(f"/zh-hans/company/join/{token}/")
    pages["sign-up sent"] = Client().get("/zh-hans/accounts/verify/sent/?signup=1")

    carol.language = "zh-hans"
    carol.save()
    _signup(Client(), "carol@globex.example")
    (notice,) = mailoutbox
    problems = [
        f"{name}: {found}"
        for name, r in pages.items()
        for found in other_language(r.text, "zh-hans")
    ]
    problems += [
        f"notice: {found}" for found in other_language(notice.alternatives[0][0], "zh-hans")
    ]
    problems += [f"notice text: {found}" for found in other_language(notice.body, "zh-hans")]
    assert not problems, "\n".join(problems)
