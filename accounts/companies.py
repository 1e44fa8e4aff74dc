"""Companies: creation, members, invitations and ownership.

The jobs the company pages (accounts/views/companies.py) and the sign-up
(accounts/views/accounts.py) call; the pages load a company through `accounts.access`,
so a visitor who is not a member gets a 404 and learns nothing. An invitation is for the
address it was sent to: only an account with that address can accept it. A member who
goes (removed, leaving, or deleting their account) takes no calendar link along: the
company's watchlists get new ones.
"""

from __future__ import annotations

import datetime
import secrets

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.text import slugify

from accounts.models import Company, Invitation, Membership, Role, User, Watchlist
from accounts.throttles import INVITATION, limit_mail, sender_of
from cesip.mail import build_message

INVITATION_MAX_AGE = datetime.timedelta(days=7)
# Paths under /company/ that are not company pages: a company may not take them as slug.
RESERVED_SLUGS = frozenset({"new", "join", "watchlists"})
_invitation_signer = signing.TimestampSigner(salt="accounts.invitation")


class LastOwnerError(Exception):
    """The company would be left with members but no owner."""


class InvitationExpired(Exception):
    """A genuine invitation link, too old to use."""


# ----------------------------------------------------------------------------------------
# Companies
# ----------------------------------------------------------------------------------------


def create_company(*, name: str, owner: User) -> Company:
    """A new company with `owner` as its owner; the slug comes from the name and is made
    unique with a number (`acme`, `acme-2`, …); Chinese-only names become `company-N`."""
    base = slugify(name)[:70].strip("-") or "company"
    for _attempt in range(5):
        taken = set(Company.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        taken |= RESERVED_SLUGS
        number = 1
        slug = base
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        try:
            with transaction.atomic():
                company = Company.objects.create(name=name, slug=slug)
                Membership.objects.create(company=company, user=owner, role=Role.OWNER)
            return company
        except IntegrityError:
            continue  # A concurrent request took the slug: look again.
    raise IntegrityError(f"No free slug for {name!r}")


def memberships_of(user: User) -> QuerySet[Membership]:
    """The person's memberships with their companies and member counts, by company name."""
    return (
        Membership.objects.filter(user=user)
        .select_related("company")
        .annotate(members=Count("company__memberships"))
        .order_by("company__name")
    )


def members_of(company: Company) -> list[Membership]:
    """Owners first, then by e-mail address."""
    return list(company.memberships.select_related("user").order_by("-role", "user__email"))


def pending_invitations(company: Company) -> list[Invitation]:
    return list(
        company.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("email")
    )


# ----------------------------------------------------------------------------------------
# Invitations
# ----------------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return _invitation_signer.sign_object({"i": invitation.pk, "n": invitation.nonce})


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link points to, if its signature is good; None otherwise.
    Raises InvitationExpired for a genuine link older than seven days. The caller still
    checks `invitation_is_open` (used, or past `expires_at`)."""
    try:
        data = _invitation_signer.unsign_object(token, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvitationExpired from error
    except (signing.BadSignature, ValueError, TypeError):
        return None
    invitation = (
        Invitation.objects.filter(pk=data.get("i")).select_related("company", "invited_by").first()
    )
    if invitation is None or not constant_time_compare(invitation.nonce, str(data.get("n"))):
        return None
    return invitation


def invitation_is_open(invitation: Invitation) -> bool:
    return invitation.accepted_at is None and invitation.expires_at > timezone.now()


def open_invitation(token: str) -> Invitation | None:
    """The invitation `token` names if it can still be accepted; None otherwise."""
    try:
        invitation = invitation_from_token(token) if token else None
    except InvitationExpired:
        return None
    return invitation if invitation is not None and invitation_is_open(invitation) else None


def invite(*, company: Company, email: str, invited_by: User, request: HttpRequest) -> Invitation:
    """Create an invitation and e-mail its link, written in the inviter's language.
    An earlier pending invitation to the same address is replaced (its link stops working).
    Raises TooManyMails when the inviter, or the address, has had its share."""
    limit_mail(INVITATION, sender=sender_of(request), recipient=email)
    company.invitations.filter(email__iexact=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(
        company=company,
        email=email,
        invited_by=invited_by,
        nonce=secrets.token_hex(16),
        expires_at=timezone.now() + INVITATION_MAX_AGE,
    )
    with translation.override(invited_by.language):
        url = request.build_absolute_uri(
            reverse("accounts:invitation_accept", args=[invitation_token(invitation)])
        )
    build_message(
        "emails/accounts/invitation",
        {"invitation": invitation, "company": company, "inviter": invited_by, "url": url},
        to=[email],
        language=invited_by.language,
    ).send()
    return invitation


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    """Whether `user` has the address the invitation was sent to (in any case)."""
    return invitation.email.lower() == user.email.lower()


def accept_invitation(*, invitation: Invitation, user: User) -> Membership | None:
    """Join the company. Only the invited address may: None for anyone else. The
    conditional update claims the invitation, so of two clicks only one succeeds; None
    for the other."""
    if not invitation_is_for(invitation, user):
        return None
    now = timezone.now()
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if claimed != 1:
            return None
        membership, _created = Membership.objects.get_or_create(
            company_id=invitation.company_id, user=user, defaults={"role": Role.MEMBER}
        )
    return membership


# ----------------------------------------------------------------------------------------
# Leaving, ownership, deletion
# ----------------------------------------------------------------------------------------


def _lock_memberships(company_id: int) -> list[Membership]:
    # Row locks serialise concurrent removals/transfers, so two owners cannot both leave.
    return list(Membership.objects.select_for_update().filter(company_id=company_id))


def replace_calendar_links(company_id: int) -> None:
    """Give each of the company's watchlists a new calendar feed secret. A member who
    goes may have copied the old links, which carry no log-in: they stop working."""
    for watchlist in Watchlist.objects.filter(company_id=company_id):
        watchlist.replace_ical_token()


def remove_member(*, membership: Membership) -> None:
    """An owner removes another member, who loses the calendar links with the rest."""
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).delete()
        replace_calendar_links(membership.company_id)


def leave_company(*, membership: Membership) -> bool:
    """Remove the membership; True when the company went with it (its only member left).
    Raises LastOwnerError when the last owner would leave other members behind."""
    with transaction.atomic():
        others = [m for m in _lock_memberships(membership.company_id) if m.pk != membership.pk]
        if not others:
            Company.objects.filter(pk=membership.company_id).delete()
            return True
        if membership.role == Role.OWNER and not any(m.role == Role.OWNER for m in others):
            raise LastOwnerError
        Membership.objects.filter(pk=membership.pk).delete()
        replace_calendar_links(membership.company_id)
    return False


def is_only_member(membership: Membership) -> bool:
    return (
        not Membership.objects.filter(company_id=membership.company_id)
        .exclude(pk=membership.pk)
        .exists()
    )


def is_last_owner(membership: Membership) -> bool:
    """Whether `membership` is its company's only owner."""
    others = Membership.objects.filter(company_id=membership.company_id, role=Role.OWNER)
    return membership.role == Role.OWNER and not others.exclude(pk=membership.pk).exists()


def transfer_ownership(*, owner: Membership, to: Membership) -> None:
    """`to` becomes the owner and the previous owner an ordinary member."""
    with transaction.atomic():
        _lock_memberships(owner.company_id)
        Membership.objects.filter(pk=to.pk).update(role=Role.OWNER)
        Membership.objects.filter(pk=owner.pk).update(role=Role.MEMBER)


def companies_blocking_deletion(user: User) -> list[Company]:
    """Companies where `user` is the only owner and other people are members."""
    return list(
        Company.objects.filter(
            pk__in=Membership.objects.filter(user=user, role=Role.OWNER).values("company_id")
        )
        .annotate(
            owners=Count("memberships", filter=Q(memberships__role=Role.OWNER), distinct=True),
            members=Count("memberships", distinct=True),
        )
        .filter(owners=1, members__gt=1)
    )


def companies_deleted_with(user: User) -> list[Company]:
    """Companies whose only member is `user`: deleting the account deletes them."""
    return list(
        Company.objects.filter(pk__in=Membership.objects.filter(user=user).values("company_id"))
        .annotate(members=Count("memberships", distinct=True))
        .filter(members=1)
    )
