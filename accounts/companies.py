"""Companies: creation, members, invitations and ownership.

Every view here loads the company through `accounts.access` (`membership_or_404`,
`owner_or_404`), so a visitor who is not a member gets a 404 and learns nothing. The job
functions at the top are what the views (and the sign-up in `accounts/views.py`) call.
"""

from __future__ import annotations

import datetime
import secrets

from django.contrib import messages
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import login_required, membership_or_404, owner_or_404
from accounts.forms import CompanyForm, InvitationForm
from accounts.models import Company, Invitation, Membership, Role, User

INVITATION_MAX_AGE = datetime.timedelta(days=7)
# Paths under /company/ that are not company pages: a company may not take them as slug.
RESERVED_SLUGS = frozenset({"new", "join", "watchlists"})
_invitation_signer = signing.TimestampSigner(salt="accounts.invitation")


class LastOwnerError(Exception):
    """The company would be left with members but no owner."""


class InvitationExpired(Exception):
    """A genuine invitation link, too old to use."""


# ----------------------------------------------------------------------------------------
# Jobs
# ----------------------------------------------------------------------------------------


def send_account_email(
    *, template: str, to: str, language: str, context: dict, request: HttpRequest | None = None
) -> None:
    """Render `emails/accounts/<template>.{subject.txt,txt,html}` in the recipient's
    language and send it."""
    prefix = f"emails/accounts/{template}"
    with translation.override(language):
        subject = render_to_string(f"{prefix}.subject.txt", context, request=request)
        text = render_to_string(f"{prefix}.txt", context, request=request)
        html = render_to_string(f"{prefix}.html", context, request=request)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


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


def invite(*, company: Company, email: str, invited_by: User, request: HttpRequest) -> Invitation:
    """Create an invitation and e-mail its link, written in the inviter's language.
    An earlier pending invitation to the same address is replaced (its link stops working)."""
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
    send_account_email(
        template="invitation",
        to=email,
        language=invited_by.language,
        context={"invitation": invitation, "company": company, "inviter": invited_by, "url": url},
    )
    return invitation


def accept_invitation(*, invitation: Invitation, user: User) -> Membership | None:
    """Join the company. The conditional update claims the invitation, so of two clicks
    (or two people holding the link) only one succeeds; None for the other."""
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


def _lock_memberships(company_id: int) -> list[Membership]:
    # Row locks serialise concurrent removals/transfers, so two owners cannot both leave.
    return list(Membership.objects.select_for_update().filter(company_id=company_id))


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
    return False


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


def _watchlists_url(company: Company) -> str | None:
    # Watchlists live in another module; link to them only once their URLs exist.
    try:
        return reverse("accounts:watchlist_list", args=[company.slug])
    except NoReverseMatch:
        return None


# ----------------------------------------------------------------------------------------
# Views
# ----------------------------------------------------------------------------------------


@login_required
@require_safe
def my_companies(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("company")
        .annotate(members=Count("company__memberships"))
        .order_by("company__name")
    )
    return render(request, "accounts/my_companies.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        company = create_company(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, _("%(company)s is created.") % {"company": company.name})
        return redirect("accounts:company_detail", slug=company.slug)
    return render(request, "accounts/company_form.html", {"form": form})


def _members_context(membership: Membership) -> dict:
    company = membership.company
    return {
        "company": company,
        "membership": membership,
        "is_owner": membership.role == Role.OWNER,
        "members": list(
            company.memberships.select_related("user").order_by("-role", "user__email")
        ),
        "invitations": list(
            company.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
            .select_related("invited_by")
            .order_by("email")
        ),
    }


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
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        invite(company=company, email=email, invited_by=request.user, request=request)
        messages.success(request, _("An invitation is on its way to %(email)s.") % {"email": email})
        return redirect("accounts:company_members", slug=company.slug)
    return render(request, "accounts/company_invite.html", {"company": company, "form": form})


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
    target = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, company=membership.company
    )
    if target.pk == membership.pk:
        # Owners leave through company_leave, which keeps the last-owner rule.
        raise Http404
    # The acting owner stays, so the company keeps at least one owner.
    target.delete()
    messages.success(
        request,
        _("%(email)s is no longer a member of %(company)s.")
        % {"email": target.user.email, "company": membership.company.name},
    )
    return redirect("accounts:company_members", slug=slug)


@login_required
@require_POST
def ownership_transfer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = owner_or_404(request, slug)
    target = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, company=membership.company
    )
    if target.pk == membership.pk:
        raise Http404
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
    company = membership.company
    if request.method == "POST":
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
            return redirect("accounts:company_members", slug=slug)
        if deleted:
            text = _("You left %(company)s; as its last member, the company is deleted.")
        else:
            text = _("You left %(company)s.")
        messages.success(request, text % {"company": company.name})
        return redirect("accounts:my_companies")
    ctx = {
        "company": company,
        "membership": membership,
        "only_member": not company.memberships.exclude(pk=membership.pk).exists(),
        "last_owner": membership.role == Role.OWNER
        and not company.memberships.filter(role=Role.OWNER).exclude(pk=membership.pk).exists(),
    }
    return render(request, "accounts/company_leave.html", ctx)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation. Anyone holding it sees which company invites them and
    can sign up or log in; a logged-in person joins with one POST."""
    try:
        invitation = invitation_from_token(token)
    except InvitationExpired:
        return render(request, "accounts/invitation_closed.html", status=410)
    if invitation is None:
        raise Http404
    ctx = {"invitation": invitation, "company": invitation.company, "token": token}
    if not invitation_is_open(invitation):
        return render(request, "accounts/invitation_closed.html", ctx, status=410)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        return render(request, "accounts/invitation_accept.html", ctx)
    member = invitation.company.memberships.filter(user=request.user).first()
    if request.method == "POST":
        if member is None and accept_invitation(invitation=invitation, user=request.user) is None:
            return render(request, "accounts/invitation_closed.html", ctx, status=410)
        messages.success(
            request, _("Welcome to %(company)s.") % {"company": invitation.company.name}
        )
        return redirect("accounts:company_detail", slug=invitation.company.slug)
    ctx["already_member"] = member is not None
    return render(request, "accounts/invitation_accept.html", ctx)
