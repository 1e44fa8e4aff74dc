"""Accounts: sign-up with e-mail verification, profile, account deletion.

Log-in, log-out and password reset are Django's views (see accounts/urls.py); django-axes
throttles log-in failures.
"""

from __future__ import annotations

import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import login_required
from accounts.companies import (
    InvitationExpired,
    LastOwnerError,
    accept_invitation,
    companies_blocking_deletion,
    companies_deleted_with,
    create_company,
    invitation_from_token,
    invitation_is_open,
    send_account_email,
)
from accounts.forms import PasswordConfirmForm, ProfileForm, ResendVerificationForm, SignupForm
from accounts.models import Company, Invitation, Membership, Role, User

VERIFICATION_MAX_AGE = datetime.timedelta(days=3)
# `login()` needs to be told the backend when there was no `authenticate()` (axes is first).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_verification_signer = signing.TimestampSigner(salt="accounts.verify-email")


# ----------------------------------------------------------------------------------------
# Jobs
# ----------------------------------------------------------------------------------------


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


def send_verification_email(*, request: HttpRequest, user: User, invitation: str = "") -> None:
    with translation.override(user.language):
        url = request.build_absolute_uri(
            reverse("accounts:verify_email", args=[verification_token(user, invitation=invitation)])
        )
    send_account_email(
        template="verify_email",
        to=user.email,
        language=user.language,
        context={"user": user, "url": url, "days": VERIFICATION_MAX_AGE.days},
    )


def delete_account(*, user: User) -> None:
    """Remove the person's data: the user row (memberships, subscription and deliveries
    cascade), invitations addressed to them, their log-in records, and the companies
    they were the only member of. Raises LastOwnerError first if they are the only
    owner of a company with other members."""
    with transaction.atomic():
        memberships = list(
            Membership.objects.select_for_update().filter(user=user).select_related("company")
        )
        for membership in memberships:
            others = Membership.objects.filter(company_id=membership.company_id).exclude(user=user)
            if not others.exists():
                Company.objects.filter(pk=membership.company_id).delete()
            elif membership.role == Role.OWNER and not others.filter(role=Role.OWNER).exists():
                raise LastOwnerError(membership.company.name)
        Invitation.objects.filter(email__iexact=user.email).delete()
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__iexact=user.email).delete()
        user.delete()


def _redirect_in_language(language: str, viewname: str, *args) -> HttpResponseRedirect:
    """Redirect to `viewname` under the language's prefix and remember the language in
    the cookie the switcher uses."""
    with translation.override(language):
        response = redirect(reverse(viewname, args=args))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# ----------------------------------------------------------------------------------------
# Sign-up and verification
# ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("invitation") or request.GET.get("invitation") or ""
    invitation = _open_invitation(token)
    if request.user.is_authenticated:
        if invitation is not None:
            return redirect("accounts:invitation_accept", token=token)
        return redirect("accounts:my_companies")

    form = SignupForm(
        request.POST or None,
        invitation=invitation,
        initial={"language": translation.get_language()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The invitation link reached this address, which proves it: no second e-mail.
        proven = invitation is not None and invitation.email.lower() == data["email"]
        with transaction.atomic():
            user = User.objects.create_user(
                email=data["email"],
                password=data["password1"],
                language=data["language"],
                is_active=proven,
            )
            if invitation is None:
                create_company(name=data["company_name"], owner=user)
        if proven:
            login(request, user, backend=MODEL_BACKEND)
            return _welcome(request, user, invitation_token=token)
        send_verification_email(request=request, user=user, invitation=token if invitation else "")
        return redirect("accounts:verification_sent")

    ctx = {"form": form, "invitation": invitation, "token": token if invitation else ""}
    ctx["invalid_invitation"] = bool(token) and invitation is None
    return render(request, "accounts/signup.html", ctx)


def _open_invitation(token: str) -> Invitation | None:
    try:
        invitation = invitation_from_token(token) if token else None
    except InvitationExpired:
        return None
    return invitation if invitation is not None and invitation_is_open(invitation) else None


def _welcome(request: HttpRequest, user: User, *, invitation_token: str) -> HttpResponse:
    """After verification: join the invited company if any, then go to the user's
    companies in the user's language."""
    with translation.override(user.language):
        if invitation_token:
            invitation = _open_invitation(invitation_token)
            if invitation is not None and accept_invitation(invitation=invitation, user=user):
                messages.success(
                    request, _("Welcome to %(company)s.") % {"company": invitation.company.name}
                )
                return _redirect_in_language(
                    user.language, "accounts:company_detail", invitation.company.slug
                )
            messages.warning(request, _("The invitation was already used or has expired."))
        messages.success(request, _("Your address is verified. Welcome to CESIP."))
    return _redirect_in_language(user.language, "accounts:my_companies")


@require_safe
def verification_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/verification_sent.html", {"days": VERIFICATION_MAX_AGE.days})


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; the POST activates and logs in. Mail scanners that open links
    therefore cannot use up the link."""
    user, invitation = user_from_verification_token(token)
    if user is None:
        return render(request, "accounts/verify_email.html", {"state": "invalid"}, status=400)
    if not awaits_verification(user):
        return render(request, "accounts/verify_email.html", {"state": "done"})
    if request.method == "POST":
        # Conditional update: of two clicks only one activates.
        activated = User.objects.filter(
            pk=user.pk, is_active=False, last_login__isnull=True
        ).update(is_active=True)
        if activated != 1:
            return render(request, "accounts/verify_email.html", {"state": "done"})
        user.is_active = True
        login(request, user, backend=MODEL_BACKEND)
        return _welcome(request, user, invitation_token=invitation)
    return render(request, "accounts/verify_email.html", {"state": "confirm", "email": user.email})


@require_http_methods(["GET", "POST"])
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        # The same answer whether or not such an account waits: nothing is revealed.
        if user is not None and awaits_verification(user):
            send_verification_email(request=request, user=user)
        return redirect("accounts:verification_sent")
    return render(request, "accounts/resend_verification.html", {"form": form})


# ----------------------------------------------------------------------------------------
# Profile and deletion
# ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # The next page is in the chosen language: so is the confirmation.
        with translation.override(user.language):
            messages.success(request, _("Your profile is saved."))
        return _redirect_in_language(user.language, "accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordConfirmForm(request.POST or None, user=user)
    blocking = companies_blocking_deletion(user)
    if request.method == "POST" and not blocking and form.is_valid():
        try:
            delete_account(user=user)
        except LastOwnerError:
            # A member joined between the page and the click: show the page again.
            blocking = companies_blocking_deletion(user)
        else:
            logout(request)
            messages.success(request, _("Your account and your personal data are deleted."))
            return redirect("home")
    ctx = {"form": form, "blocking": blocking, "deleted_with": companies_deleted_with(user)}
    return render(request, "accounts/account_delete.html", ctx)
