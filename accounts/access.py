"""Company data is visible only to its members: every company view goes through here."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Company, Membership, Role, Watchlist

__all__ = [
    "login_required",
    "membership_or_404",
    "owner_or_404",
    "watchlist_by_pk_or_404",
    "watchlist_or_404",
]


def membership_or_404(request: HttpRequest, slug: str) -> Membership:
    """The visitor's membership of the company at `slug`; 404 for anyone else (an
    outsider learns nothing, not even that the company exists)."""
    company = get_object_or_404(Company, slug=slug)
    membership = (
        Membership.objects.filter(company=company, user=request.user)
        .select_related("company")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def owner_or_404(request: HttpRequest, slug: str) -> Membership:
    membership = membership_or_404(request, slug)
    if membership.role != Role.OWNER:
        raise Http404
    return membership


def watchlist_or_404(request: HttpRequest, slug: str, pk: int) -> tuple[Membership, Watchlist]:
    """The visitor's membership of the company at `slug` and its watchlist `pk`."""
    membership = membership_or_404(request, slug)
    watchlist = get_object_or_404(Watchlist, pk=pk, company=membership.company)
    return membership, watchlist


def watchlist_by_pk_or_404(request: HttpRequest, pk: int) -> Watchlist:
    """A watchlist named by its pk alone (the watch button): 404 unless the visitor is a
    member of its company."""
    watchlist = get_object_or_404(Watchlist.objects.select_related("company"), pk=pk)
    membership_or_404(request, watchlist.company.slug)
    return watchlist
