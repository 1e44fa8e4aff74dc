"""An account's life: sign-up, e-mail verification and deletion.

The jobs the account pages (accounts/views/accounts.py) call. An account signed up
without an invitation waits, inactive, until its address is verified through a signed
link; an invitation link that reached the address proves it already. Sign-up answers
the same whether or not the address has an account: an existing account is told of the
attempt by mail instead, so only the address's owner learns it is taken.
"""

from __future__ import annotations

import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from accounts.companies import LastOwnerError, create_company, replace_calendar_links
from accounts.models import Company, Invitation, Membership, Role, User
from cesip.mail import build_message

VERIFICATION_MAX_AGE = datetime.timedelta(days=3)
_verification_signer = signing.TimestampSigner(salt="accounts.verify-email")


class AddressTaken(Exception):
    """An account already has this address."""

    def __init__(self, user: User):
        super().__init__(user.email)
        self.user = user


def sign_up(
    *,
    email: str,
    password: str,
    language: str,
    company_name: str = "",
    invitation: Invitation | None = None,
) -> User:
    """A new account and, without an invitation, the company it owns. The account is
    active at once only when the invitation was sent to this very address. Raises
    AddressTaken, changing nothing, when an account already has the address."""
    proven = invitation is not None and invitation.email.lower() == email
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        # Spend the time a new account's password hash takes: the answer's timing says
        # nothing either.
        make_password(password)
        raise AddressTaken(existing)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, language=language, is_active=proven
            )
            if invitation is None:
                create_company(name=company_name, owner=user)
    except IntegrityError:
        # A second sign-up with the address, a moment ago.
        raise AddressTaken(User.objects.get(email__iexact=email)) from None
    return user


def verification_token(user: User, *, invitation: str = "") -> str:
    """A signed, timestamped token naming the account (and the invitation to accept
    once verified). It stops working once the account is active."""
    return _verification_signer.sign_object(
        {"u": user.pk, "e": user.email, "i": invitation}, compress=True
    )


def user_from_verification_token(token: str) -> tuple[User | None, str]:
    try:
        data = _verification_signer.unsign_object(token, max_age=VERIFICATION_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None, ""
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    return user, str(data.get("i") or "")


def awaits_verification(user: User) -> bool:
    # An unverified account is inactive and has never logged in; an account an
    # administrator deactivated has logged in before, so a stale link cannot revive it.
    return not user.is_active and user.last_login is None


def activate(user: User) -> bool:
    """Activate an account that awaits verification. The update is conditional, so of
    two clicks on the link only one activates; False for the other."""
    activated = User.objects.filter(pk=user.pk, is_active=False, last_login__isnull=True).update(
        is_active=True
    )
    if activated == 1:
        user.is_active = True
    return activated == 1


def send_verification_email(*, request: HttpRequest, user: User, invitation: str = "") -> None:
    with translation.override(user.language):
        url = request.build_absolute_uri(
            reverse("accounts:verify_email", args=[verification_token(user, invitation=invitation)])
        )
    build_message(
        "emails/accounts/verify_email",
        {"user": user, "url": url, "days": VERIFICATION_MAX_AGE.days},
        to=[user.email],
        language=user.language,
    ).send()


def tell_existing_account(*, request: HttpRequest, user: User, invitation: str = "") -> None:
    """Someone signed up with the address of `user`. An account still waiting for
    verification gets its link again (as from the resend page); any other hears that
    someone tried, with the ways in: log in, or reset the password."""
    if awaits_verification(user):
        send_verification_email(request=request, user=user, invitation=invitation)
        return
    with translation.override(user.language):
        login_url = request.build_absolute_uri(reverse("accounts:login"))
        reset_url = request.build_absolute_uri(reverse("accounts:password_reset"))
    build_message(
        "emails/accounts/signup_existing",
        {"user": user, "login_url": login_url, "reset_url": reset_url},
        to=[user.email],
        language=user.language,
    ).send()


def delete_account(*, user: User) -> None:
    """Remove the person's data: the user row (memberships, subscription and deliveries
    cascade), invitations addressed to them, their log-in records, and the companies
    they were the only member of; the companies that remain get new calendar links.
    Raises LastOwnerError first if they are the only owner of a company with other
    members."""
    with transaction.atomic():
        memberships = list(
            Membership.objects.select_for_update().filter(user=user).select_related("company")
        )
        for membership in memberships:
            others = Membership.objects.filter(company_id=membership.company_id).exclude(user=user)
            if not others.exists():
                Company.objects.filter(pk=membership.company_id).delete()
                continue
            if membership.role == Role.OWNER and not others.filter(role=Role.OWNER).exists():
                raise LastOwnerError(membership.company.name)
            replace_calendar_links(membership.company_id)
        Invitation.objects.filter(email__iexact=user.email).delete()
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__iexact=user.email).delete()
        user.delete()
