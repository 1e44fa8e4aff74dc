"""Companies: creation, members, invitations and ownership.

Every page loads the company through `accounts.access` (`membership_or_404`,
`owner_or_404`), so a visitor who is not a member gets a 404 and learns nothing. The work
is done in accounts.companies.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import login_required, membership_or_404, owner_or_404
from accounts.companies import (
    InvitationExpired,
    LastOwnerError,
    accept_invitation,
    create_company,
    invitation_from_token,
    invitation_is_for,
    invitation_is_open,
    invite,
    is_last_owner,
    is_only_member,
    leave_company,
    members_of,
    memberships_of,
    pending_invitations,
    remove_member,
    transfer_ownership,
)
from accounts.forms import CompanyForm, InvitationForm
from accounts.models import Company, Invitation, Membership, Role
from accounts.throttles import TooManyMails, refusal


def _members_context(membership: Membership) -> dict:
    company = membership.company
    return {
        "company": company,
        "membership": membership,
        "is_owner": membership.role == Role.OWNER,
        "members": members_of(company),
        "invitations": pending_invitations(company),
    }


def _watchlists_url(company: Company) -> str | None:
    # Watchlists live in another module; link to them only once their URLs exist.
    try:
        return reverse("accounts:watchlist_list", args=[company.slug])
    except NoReverseMatch:
        return None


def _other_member(owner: Membership, pk: int) -> Membership:
    """A membership of the owner's company other than the owner's own, or 404."""
    target = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, company=owner.company
    )
    if target.pk == owner.pk:
        # Owners leave through company_leave, which keeps the last-owner rule.
        raise Http404
    return target


@login_required
@require_safe
def my_companies(request: HttpRequest) -> HttpResponse:
    ctx = {"memberships": memberships_of(request.user)}
    return render(request, "accounts/my_companies.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        company = create_company(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, _("%(company)s is created.") % {"company": company.name})
        return redirect("accounts:company_detail", slug=company.slug)
    return render(request, "accounts/company_form.html", {"form": form})


@login_required
@require_safe
def company_detail(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    ctx = _members_context(membership)
    ctx["watchlists_url"] = _watchlists_url(membership.company)
    return render(request, "accounts/company_detail.html", ctx)


@login_required
@require_safe
def company_members(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    return render(request, "accounts/company_members.html", _members_context(membership))


@login_required
@require_http_methods(["GET", "POST"])
def company_invite(request: HttpRequest, slug: str) -> HttpResponse:
    membership = owner_or_404(request, slug)
    company = membership.company
    form = InvitationForm(request.POST or None, company=company)
    ctx = {"company": company, "form": form}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            invite(company=company, email=email, invited_by=request.user, request=request)
        except TooManyMails as error:
            form.add_error(None, error.message())
            return refusal(request, "accounts/company_invite.html", ctx, error)
        messages.success(request, _("An invitation is on its way to %(email)s.") % {"email": email})
        return redirect("accounts:company_members", slug=company.slug)
    return render(request, "accounts/company_invite.html", ctx)


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = owner_or_404(request, slug)
    invitation = get_object_or_404(
        Invitation, pk=pk, company=membership.company, accepted_at__isnull=True
    )
    invitation.delete()
    messages.success(
        request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email}
    )
    return redirect("accounts:company_members", slug=slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = owner_or_404(request, slug)
    target = _other_member(membership, pk)
    # The acting owner stays, so the company keeps at least one owner.
    remove_member(membership=target)
    messages.success(
        request,
        _(
            "%(email)s is no longer a member of %(company)s. The watchlists have new "
            "calendar links: members who subscribed to a calendar need its new link."
        )
        % {"email": target.user.email, "company": membership.company.name},
    )
    return redirect("accounts:company_members", slug=slug)


@login_required
@require_POST
def ownership_transfer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = owner_or_404(request, slug)
    target = _other_member(membership, pk)
    transfer_ownership(owner=membership, to=target)
    messages.success(
        request,
        _("%(email)s is now the owner of %(company)s; you are a member.")
        % {"email": target.user.email, "company": membership.company.name},
    )
    return redirect("accounts:company_members", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def company_leave(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    if request.method == "POST":
        return _leave(request, membership)
    ctx = {
        "company": membership.company,
        "membership": membership,
        "only_member": is_only_member(membership),
        "last_owner": is_last_owner(membership),
    }
    return render(request, "accounts/company_leave.html", ctx)


def _leave(request: HttpRequest, membership: Membership) -> HttpResponse:
    company = membership.company
    try:
        deleted = leave_company(membership=membership)
    except LastOwnerError:
        messages.error(
            request,
            _(
                "You are the only owner of %(company)s. Make another member the owner "
                "before you leave."
            )
            % {"company": company.name},
        )
        return redirect("accounts:company_members", slug=company.slug)
    if deleted:
        text = _("You left %(company)s; as its last member, the company is deleted.")
    else:
        text = _("You left %(company)s.")
    messages.success(request, text % {"company": company.name})
    return redirect("accounts:my_companies")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation. Anyone holding it sees which company invites them and
    can sign up or log in; the invited address, logged in, joins with one POST. Another
    account gets told whom the invitation is for (403 on the POST)."""
    try:
        invitation = invitation_from_token(token)
    except InvitationExpired:
        return render(request, "accounts/invitation_closed.html", status=410)
    if invitation is None:
        raise Http404
    ctx = {"invitation": invitation, "company": invitation.company, "token": token}
    if not invitation_is_open(invitation):
        return render(request, "accounts/invitation_closed.html", ctx, status=410)
    if request.user.is_authenticated:
        ctx["already_member"] = invitation.company.memberships.filter(user=request.user).exists()
        ctx["wrong_account"] = not invitation_is_for(invitation, request.user)
    if request.method == "POST":
        return _join(request, invitation, ctx)
    return render(request, "accounts/invitation_accept.html", ctx)


def _join(request: HttpRequest, invitation: Invitation, ctx: dict) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    member = ctx["already_member"]
    if not member and ctx["wrong_account"]:
        return render(request, "accounts/invitation_accept.html", ctx, status=403)
    if not member and accept_invitation(invitation=invitation, user=request.user) is None:
        return render(request, "accounts/invitation_closed.html", ctx, status=410)
    messages.success(request, _("Welcome to %(company)s.") % {"company": invitation.company.name})
    return redirect("accounts:company_detail", slug=invitation.company.slug)
