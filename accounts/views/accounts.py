"""Sign-up with e-mail verification, password reset, the lock-out page, the profile and
account deletion.

Log-in and log-out are Django's views (see accounts/urls.py), the password reset Django's
with the mail limits of accounts.throttles; django-axes locks log-in after failures
(accounts.lockout) and shows `lockout`. The work is done in accounts.registration.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts import lockout as locks
from accounts.access import login_required
from accounts.companies import (
    LastOwnerError,
    accept_invitation,
    companies_blocking_deletion,
    companies_deleted_with,
    invitation_is_for,
    open_invitation,
)
from accounts.forms import (
    LocalizedPasswordResetForm,
    PasswordConfirmForm,
    ProfileForm,
    ResendVerificationForm,
    SignupForm,
)
from accounts.models import Invitation, User
from accounts.registration import (
    VERIFICATION_MAX_AGE,
    AddressTaken,
    activate,
    awaits_verification,
    delete_account,
    send_verification_email,
    sign_up,
    tell_existing_account,
    user_from_verification_token,
)
from accounts.throttles import PASSWORD_RESET, SIGNUP, TooManyMails, limit_mail, refusal, sender_of

# `login()` needs to be told the backend when there was no `authenticate()` (axes is first).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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


def _welcome(request: HttpRequest, user: User, *, invitation_token: str) -> HttpResponse:
    """After verification: join the invited company if any, then go to the user's
    companies in the user's language."""
    with translation.override(user.language):
        if invitation_token:
            invitation = open_invitation(invitation_token)
            if invitation is not None and not invitation_is_for(invitation, user):
                messages.warning(request, _wrong_address(invitation))
            elif invitation is not None and accept_invitation(invitation=invitation, user=user):
                messages.success(
                    request, _("Welcome to %(company)s.") % {"company": invitation.company.name}
                )
                return _redirect_in_language(
                    user.language, "accounts:company_detail", invitation.company.slug
                )
            else:
                messages.warning(request, _("The invitation was already used or has expired."))
        messages.success(request, _("Your address is verified. Welcome to CESIP."))
    return _redirect_in_language(user.language, "accounts:my_companies")


# ----------------------------------------------------------------------------------------
# Sign-up and verification
# ----------------------------------------------------------------------------------------


def _wrong_address(invitation: Invitation) -> str:
    return _(
        "This invitation is for %(invited)s. Ask an owner of %(company)s to invite the "
        "address you use."
    ) % {"invited": invitation.email, "company": invitation.company.name}


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("invitation") or request.GET.get("invitation") or ""
    invitation = open_invitation(token)
    if request.user.is_authenticated:
        if invitation is not None:
            return redirect("accounts:invitation_accept", token=token)
        return redirect("accounts:my_companies")
    initial = {"language": translation.get_language()}
    form = SignupForm(request.POST or None, invitation=invitation, initial=initial)
    ctx = {"form": form, "invitation": invitation, "token": token if invitation else ""}
    ctx["invalid_invitation"] = bool(token) and invitation is None
    if request.method == "POST" and form.is_valid():
        try:
            limit_mail(SIGNUP, sender=sender_of(request), recipient=form.cleaned_data["email"])
        except TooManyMails as error:
            form.add_error(None, error.message())
            return refusal(request, "accounts/signup.html", ctx, error)
        return _signed_up(request, form.cleaned_data, invitation, token)
    return render(request, "accounts/signup.html", ctx)


def _signed_up(
    request: HttpRequest, data: dict, invitation: Invitation | None, token: str
) -> HttpResponse:
    invitation_token = token if invitation else ""
    try:
        user = sign_up(
            email=data["email"],
            password=data["password1"],
            language=data["language"],
            company_name=data.get("company_name", ""),
            invitation=invitation,
        )
    except AddressTaken as taken:
        # The same page as for a new address; the mail tells the account's owner.
        tell_existing_account(request=request, user=taken.user, invitation=invitation_token)
        return redirect(reverse("accounts:verification_sent") + "?signup=1")
    if user.is_active:
        # The invitation link reached this address, which proves it: no second e-mail.
        login(request, user, backend=MODEL_BACKEND)
        return _welcome(request, user, invitation_token=token)
    send_verification_email(request=request, user=user, invitation=invitation_token)
    return redirect(reverse("accounts:verification_sent") + "?signup=1")


@require_safe
def verification_sent(request: HttpRequest) -> HttpResponse:
    ctx = {"days": VERIFICATION_MAX_AGE.days, "signup": request.GET.get("signup") == "1"}
    return render(request, "accounts/verification_sent.html", ctx)


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; the POST activates and logs in. Mail scanners that open links
    therefore cannot use up the link."""
    user, invitation = user_from_verification_token(token)
    if user is None:
        return render(request, "accounts/verify_email.html", {"state": "invalid"}, status=400)
    if request.method == "POST" and activate(user):
        login(request, user, backend=MODEL_BACKEND)
        return _welcome(request, user, invitation_token=invitation)
    # A second click, or a link to an account that is already active.
    if request.method == "POST" or not awaits_verification(user):
        return render(request, "accounts/verify_email.html", {"state": "done"})
    return render(request, "accounts/verify_email.html", {"state": "confirm", "email": user.email})


@require_http_methods(["GET", "POST"])
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            # Counted whether or not such an account waits, so the limit reveals nothing.
            limit_mail(SIGNUP, sender=sender_of(request), recipient=email)
        except TooManyMails as error:
            form.add_error(None, error.message())
            return refusal(request, "accounts/resend_verification.html", {"form": form}, error)
        user = User.objects.filter(email__iexact=email).first()
        # The same answer whether or not such an account waits: nothing is revealed.
        if user is not None and awaits_verification(user):
            send_verification_email(request=request, user=user)
        return redirect("accounts:verification_sent")
    return render(request, "accounts/resend_verification.html", {"form": form})


# ----------------------------------------------------------------------------------------
# Password reset and the lock-out page
# ----------------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page with the mail limits. The count is kept for the address
    whether or not it has an account, so a refusal reveals nothing either."""

    form_class = LocalizedPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        try:
            limit_mail(
                PASSWORD_RESET, sender=sender_of(self.request), recipient=form.cleaned_data["email"]
            )
        except TooManyMails as error:
            form.add_error(None, error.message())
            return refusal(
                self.request, self.template_name, self.get_context_data(form=form), error
            )
        return super().form_valid(form)


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """What django-axes answers instead of a log-in (AXES_LOCKOUT_CALLABLE): which lock
    applies (the account, the address, or the account from this address) and when to
    come back, also in `Retry-After`."""
    current = locks.current_lock(request, credentials)
    if current is not None:
        kind, retry_after = current.kind, current.retry_after
    else:  # The lock lifted in between: say so in the most cautious terms.
        kind = locks.Lock.ACCOUNT_FROM_ADDRESS
        retry_after = locks.cool_off_seconds(request)
    ctx = {"kind": kind, "minutes": max(1, math.ceil(retry_after / 60))}
    response = render(
        request, "accounts/lockout.html", ctx, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    response["Retry-After"] = str(retry_after)
    return response


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
