"""Companies: creation, members, invitations, ownership, and who may see what."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.companies import accept_invitation
from accounts.models import Company, Invitation, Membership, Role, User
from tests.factories import make_company, make_invitation, make_user

PASSWORD = "correct horse battery"  # make_user's

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def _membership(company, user) -> Membership:
    return Membership.objects.get(company=company, user=user)


# ----------------------------------------------------------------------------------------
# Who may see what
# ----------------------------------------------------------------------------------------


def _company_urls(acme, alice, bob):
    """Every company URL: (method, path)."""
    invitation, _token = make_invitation(acme, "new@acme.example", invited_by=alice)
    bob_membership = _membership(acme, bob).pk
    slug = acme.slug
    return [
        ("get", f"/en/company/{slug}/"),
        ("get", f"/en/company/{slug}/members/"),
        ("get", f"/en/company/{slug}/invite/"),
        ("post", f"/en/company/{slug}/invite/"),
        ("get", f"/en/company/{slug}/leave/"),
        ("post", f"/en/company/{slug}/leave/"),
        ("post", f"/en/company/{slug}/invitations/{invitation.pk}/withdraw/"),
        ("post", f"/en/company/{slug}/members/{bob_membership}/remove/"),
        ("post", f"/en/company/{slug}/members/{bob_membership}/make-owner/"),
    ]


def test_every_company_url_is_404_for_a_member_of_another_company(
    client, acme, alice, bob, carol, mailoutbox
):
    client.force_login(carol)
    for method, path in _company_urls(acme, alice, bob):
        response = getattr(client, method)(path, {"email": "x@y.example"})
        assert response.status_code == 404, (method, path)
        assert "Acme" not in response.content.decode(), (method, path)
    assert acme.memberships.count() == 2
    assert _membership(acme, alice).role == Role.OWNER
    assert Invitation.objects.filter(company=acme).count() == 1
    assert mailoutbox == []


def test_every_company_url_sends_an_anonymous_visitor_to_log_in(client, acme, alice, bob):
    urls = [*_company_urls(acme, alice, bob), ("get", "/en/company/"), ("get", "/en/company/new/")]
    urls.append(("post", "/en/company/new/"))
    for method, path in urls:
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), (method, path)
    assert acme.memberships.count() == 2


def test_owner_actions_are_404_for_a_plain_member(client, acme, alice, bob, li, mailoutbox):
    li_membership = _membership(acme, li)
    invitation, _token = make_invitation(acme, "new@acme.example", invited_by=alice)
    alice_membership = _membership(acme, alice)
    client.force_login(bob)
    slug = acme.slug
    for path in [
        f"/en/company/{slug}/invite/",
        f"/en/company/{slug}/invitations/{invitation.pk}/withdraw/",
        f"/en/company/{slug}/members/{li_membership.pk}/remove/",
        f"/en/company/{slug}/members/{alice_membership.pk}/remove/",
        f"/en/company/{slug}/members/{li_membership.pk}/make-owner/",
        f"/en/company/{slug}/members/{_membership(acme, bob).pk}/make-owner/",
    ]:
        assert client.post(path, {"email": "x@y.example"}).status_code == 404, path
    assert client.get(f"/en/company/{slug}/invite/").status_code == 404
    assert acme.memberships.count() == 3
    assert list(acme.memberships.filter(role=Role.OWNER).values_list("user", flat=True)) == [
        alice.pk
    ]
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    assert mailoutbox == []


def test_an_owner_cannot_act_on_another_companys_members(client, acme, carol, globex):
    bob_membership = acme.memberships.get(role=Role.MEMBER)
    client.force_login(carol)
    path = f"/en/company/{globex.slug}/members/{bob_membership.pk}/remove/"
    assert client.post(path).status_code == 404
    assert Membership.objects.filter(pk=bob_membership.pk).exists()


# ----------------------------------------------------------------------------------------
# Companies and members
# ----------------------------------------------------------------------------------------


def test_my_companies_lists_only_mine(client, acme, bob, carol):
    client.force_login(bob)
    html = client.get("/en/company/").content.decode()
    assert "Acme" in html
    assert "Globex" not in html
    assert 'href="/en/company/acme/"' in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_company_pages_render_in_both_languages(client, acme, alice, language):
    make_invitation(acme, "pending@acme.example", invited_by=alice)
    client.force_login(alice)
    with translation.override(language):
        headings = {
            "": gettext("My companies"),
            "acme/": gettext("Pending invitations"),
            "acme/members/": gettext("Make owner"),
            "acme/invite/": gettext("Invite a colleague"),
            "new/": gettext("Create a company"),
        }
    for path, text in headings.items():
        response = client.get(f"/{language}/company/{path}")
        assert response.status_code == 200, path
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        assert text in html, path


def test_create_company_makes_the_creator_owner_with_a_unique_slug(client, alice, acme):
    client.force_login(alice)
    response = client.post("/en/company/new/", {"name": "Acme"})
    company = Company.objects.exclude(pk=acme.pk).get(name="Acme")
    assert company.slug == "acme-2"
    assert response["Location"] == "/en/company/acme-2/"
    assert _membership(company, alice).role == Role.OWNER

    client.post("/en/company/new/", {"name": "海尔电器"})
    client.post("/en/company/new/", {"name": "New"})
    slugs = set(Company.objects.values_list("slug", flat=True))
    assert {"company", "new-2"} <= slugs
    assert client.get("/en/company/new-2/").status_code == 200

    assert client.post("/en/company/new/", {"name": "   "}).status_code == 200


def test_company_page_shows_members_roles_invitations_and_watchlists(client, acme, alice, bob):
    make_invitation(acme, "pending@acme.example", invited_by=alice)
    make_invitation(
        acme,
        "expired@acme.example",
        invited_by=alice,
        expires_at=timezone.now() - timezone.timedelta(days=1),
    )
    client.force_login(bob)
    html = client.get("/en/company/acme/").content.decode()
    assert "alice@acme.example" in html and "bob@acme.example" in html
    assert "Owner" in html and "Member" in html
    assert "pending@acme.example" in html
    assert "expired@acme.example" not in html
    assert f'href="{reverse("accounts:watchlist_list", args=["acme"])}"' in html
    # A plain member sees no owner buttons.
    assert "/remove/" not in html and "/invite/" not in html


def test_owner_removes_a_member(client, acme, alice, bob):
    client.force_login(alice)
    bob_membership = _membership(acme, bob)
    response = client.post(f"/en/company/acme/members/{bob_membership.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=bob_membership.pk).exists()
    # The owner cannot remove herself this way (leaving keeps the last-owner rule).
    alice_membership = _membership(acme, alice)
    path = f"/en/company/acme/members/{alice_membership.pk}/remove/"
    assert client.post(path).status_code == 404
    assert Membership.objects.filter(pk=alice_membership.pk).exists()


def test_remove_and_transfer_are_post_only(client, acme, alice, bob):
    client.force_login(alice)
    pk = _membership(acme, bob).pk
    assert client.get(f"/en/company/acme/members/{pk}/remove/").status_code == 405
    assert client.get(f"/en/company/acme/members/{pk}/make-owner/").status_code == 405
    assert Membership.objects.filter(pk=pk).exists()


def test_ownership_transfer_makes_the_old_owner_a_member(client, acme, alice, bob):
    client.force_login(alice)
    pk = _membership(acme, bob).pk
    response = client.post(f"/en/company/acme/members/{pk}/make-owner/")
    assert response.status_code == 302
    assert _membership(acme, bob).role == Role.OWNER
    assert _membership(acme, alice).role == Role.MEMBER
    # Alice is no longer an owner: owner actions are now closed to her.
    assert client.get("/en/company/acme/invite/").status_code == 404


def test_a_member_leaves(client, acme, bob):
    client.force_login(bob)
    assert client.get("/en/company/acme/leave/").status_code == 200
    response = client.post("/en/company/acme/leave/")
    assert response["Location"] == "/en/company/"
    assert not Membership.objects.filter(company=acme, user=bob).exists()
    assert client.get("/en/company/acme/").status_code == 404


def test_the_last_owner_cannot_leave_members_behind(client, acme, alice):
    client.force_login(alice)
    page = client.get("/en/company/acme/leave/").content.decode()
    assert "Make another member the owner before you leave." in page
    response = client.post("/en/company/acme/leave/", follow=True)
    assert "You are the only owner of Acme." in response.content.decode()
    assert _membership(acme, alice).role == Role.OWNER


def test_the_only_member_leaving_deletes_the_company(client, alice):
    company = make_company("Solo Ltd", owner=alice)
    client.force_login(alice)
    client.post(f"/en/company/{company.slug}/leave/")
    assert not Company.objects.filter(pk=company.pk).exists()


# ----------------------------------------------------------------------------------------
# Invitations
# ----------------------------------------------------------------------------------------


def test_owner_invites_by_email_in_the_inviters_language(client, acme, alice, mailoutbox):
    alice.language = "zh-hans"
    alice.save()
    client.force_login(alice)
    response = client.post("/en/company/acme/invite/", {"email": "New@Acme.example"})
    assert response["Location"] == "/en/company/acme/members/"
    invitation = Invitation.objects.get(company=acme)
    assert invitation.email == "new@acme.example"
    assert invitation.invited_by == alice
    expected_expiry = timezone.now() + timezone.timedelta(days=7)
    assert abs((invitation.expires_at - expected_expiry).total_seconds()) < 60
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new@acme.example"]
    with translation.override("zh-hans"):
        assert message.subject == gettext("Join %(company)s on CESIP") % {"company": "Acme"}
    assert '<html lang="zh-hans">' in message.alternatives[0][0]
    assert _link(message).startswith("/zh-hans/company/join/")


def test_invitation_text_keeps_the_company_name_as_typed_and_html_escapes_it(
    client, alice, mailoutbox
):
    company = make_company("Smith & O'Brien", owner=alice)
    client.force_login(alice)
    client.post(f"/en/company/{company.slug}/invite/", {"email": "new@example.com"})
    (message,) = mailoutbox
    assert message.subject == "Join Smith & O'Brien on CESIP"
    assert "Smith & O'Brien" in message.body and "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "Smith &amp; O&#x27;Brien" in html and "Smith & O'Brien" not in html


def test_inviting_a_member_is_refused(client, acme, alice, mailoutbox):
    client.force_login(alice)
    response = client.post("/en/company/acme/invite/", {"email": "BOB@acme.example"})
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert mailoutbox == []


def test_a_new_invitation_replaces_the_pending_one(client, acme, alice, mailoutbox):
    client.force_login(alice)
    client.post("/en/company/acme/invite/", {"email": "new@acme.example"})
    client.post("/en/company/acme/invite/", {"email": "new@acme.example"})
    assert Invitation.objects.filter(company=acme).count() == 1
    assert client.get(_link(mailoutbox[0])).status_code == 404
    assert client.get(_link(mailoutbox[1])).status_code == 200


def test_owner_withdraws_an_invitation(client, acme, alice):
    invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    client.force_login(alice)
    client.post(f"/en/company/acme/invitations/{invitation.pk}/withdraw/")
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert client.get(f"/en/company/join/{token}/").status_code == 404


def test_logged_in_person_accepts_and_joins_once(client, acme, alice, carol):
    invitation, token = make_invitation(acme, "carol@globex.example", invited_by=alice)
    client.force_login(carol)
    page = client.get(f"/en/company/join/{token}/")
    assert page.status_code == 200
    assert "Acme" in page.content.decode()
    assert not Membership.objects.filter(company=acme, user=carol).exists()

    response = client.post(f"/en/company/join/{token}/")
    assert response["Location"] == "/en/company/acme/"
    assert _membership(acme, carol).role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == carol

    # The link is spent: someone else holding it cannot join.
    dan = make_user("dan@elsewhere.example")
    client.force_login(dan)
    assert client.post(f"/en/company/join/{token}/").status_code == 410
    assert not Membership.objects.filter(company=acme, user=dan).exists()


def test_two_clicks_on_one_invitation_cannot_both_succeed(acme, alice):
    invitation, _token = make_invitation(acme, "x@acme.example", invited_by=alice)
    invitee = make_user("x@acme.example")
    # Both requests loaded the invitation while it was still open.
    stale_copy = Invitation.objects.get(pk=invitation.pk)
    assert accept_invitation(invitation=invitation, user=invitee) is not None
    assert stale_copy.accepted_at is None
    assert accept_invitation(invitation=stale_copy, user=invitee) is None
    assert Membership.objects.filter(company=acme, user=invitee).count() == 1


def test_invitation_expires_after_seven_days(client, acme, alice, carol):
    _invitation, token = make_invitation(acme, "carol@globex.example", invited_by=alice)
    client.force_login(carol)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=7, hours=1)):
        assert client.get(f"/en/company/join/{token}/").status_code == 410
        assert client.post(f"/en/company/join/{token}/").status_code == 410
    assert not Membership.objects.filter(company=acme, user=carol).exists()


def test_forged_invitation_link_is_404(client, acme, alice, carol):
    invitation, token = make_invitation(acme, "carol@globex.example", invited_by=alice)
    client.force_login(carol)
    assert client.get(f"/en/company/join/{token[:-2]}xx/").status_code == 404
    invitation.nonce = "0" * 32
    invitation.save()
    assert client.get(f"/en/company/join/{token}/").status_code == 404


def test_anonymous_invitee_is_offered_sign_up_or_log_in(client, acme, alice):
    _invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    page = client.get(f"/en/company/join/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme" in html
    assert "/en/accounts/signup/?invitation=" in html
    # Company data stays behind log-in: no member list on this page.
    assert "bob@acme.example" not in html
    response = client.post(f"/en/company/join/{token}/")
    assert response["Location"].startswith(reverse("accounts:login"))


def test_invitee_signs_up_through_the_link_and_joins(client, acme, alice, mailoutbox):
    _invitation, token = make_invitation(acme, "new@acme.example", invited_by=alice)
    form = client.get(f"/en/accounts/signup/?invitation={token}").content.decode()
    assert 'name="company_name"' not in form
    assert 'value="new@acme.example"' in form
    response = client.post(
        "/en/accounts/signup/",
        {
            "email": "new@acme.example",
            "password1": "a brand new passphrase 42",
            "password2": "a brand new passphrase 42",
            "language": "en",
            "invitation": token,
        },
    )
    # The invitation reached this address: it is verified, no second e-mail.
    assert response["Location"] == "/en/company/acme/"
    user = User.objects.get(email="new@acme.example")
    assert user.is_active
    assert _membership(acme, user).role == Role.MEMBER
    assert client.session["_auth_user_id"] == str(user.pk)
    assert mailoutbox == []
    assert Company.objects.count() == 1
