"""Company watchlists: the lists, the watch button, notes, exports and the private iCal
feed.

Every view goes through accounts.access (membership_or_404, owner_or_404,
watchlist_or_404) so that an outsider gets a 404 for anything belonging to another
company, whatever pk they try. The iCal feed is the one exception: calendar apps cannot
log in, so its URL carries a secret token that an owner can replace.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts import exports
from accounts.access import (
    login_required,
    membership_or_404,
    owner_or_404,
    watchlist_by_pk_or_404,
    watchlist_or_404,
)
from accounts.forms import NoteForm, SheetWatchForm, WatchForm, WatchlistForm
from accounts.models import WatchItem, Watchlist
from accounts.watchlists import (
    Record,
    can_delete,
    forget_watch_context,
    record_field,
    watch_standards,
    watchlist_page,
    watchlists_with_counts,
)
from standards.models import Standard, TechnicalRegulation


def _safe_next(request: HttpRequest, fallback: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else fallback


# ----------------------------------------------------------------------------------------
# The lists
# ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watchlist_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    company = membership.company
    form = WatchlistForm(request.POST or None, company=company, created_by=request.user)
    if request.method == "POST" and form.is_valid():
        watchlist = form.save()
        messages.success(request, _("Watchlist created."))
        return redirect("accounts:watchlist_detail", slug=company.slug, pk=watchlist.pk)
    watchlists = watchlists_with_counts(company)
    ctx = {"company": company, "membership": membership, "watchlists": watchlists, "form": form}
    return render(request, "accounts/watchlists/watchlist_list.html", ctx)


@login_required
@require_safe
def watchlist_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, watchlist = watchlist_or_404(request, slug, pk)
    # A HEAD request is not a visit.
    page = watchlist_page(membership, watchlist, user=request.user, seen=request.method == "GET")
    ctx = {"company": membership.company, "membership": membership, "watchlist": watchlist}
    return render(request, "accounts/watchlists/watchlist_detail.html", {**ctx, **page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watchlist_rename(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, watchlist = watchlist_or_404(request, slug, pk)
    form = WatchlistForm(request.POST or None, instance=watchlist, company=membership.company)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Watchlist renamed."))
        return redirect("accounts:watchlist_detail", slug=slug, pk=watchlist.pk)
    ctx = {"company": membership.company, "watchlist": watchlist, "form": form}
    return render(request, "accounts/watchlists/watchlist_rename.html", ctx)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watchlist_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, watchlist = watchlist_or_404(request, slug, pk)
    if not can_delete(membership, watchlist):
        raise Http404
    if request.method == "POST":
        watchlist.delete()
        messages.success(request, _("Watchlist deleted."))
        return redirect("accounts:watchlist_list", slug=slug)
    ctx = {"company": membership.company, "watchlist": watchlist}
    ctx["item_count"] = watchlist.items.count()
    return render(request, "accounts/watchlists/watchlist_delete.html", ctx)


@login_required
@require_POST
def watchlist_token_reset(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = owner_or_404(request, slug)
    watchlist = get_object_or_404(Watchlist, pk=pk, company=membership.company)
    watchlist.replace_ical_token()
    messages.success(request, _("The calendar link was replaced; the old link no longer works."))
    return redirect("accounts:watchlist_detail", slug=slug, pk=watchlist.pk)


# ----------------------------------------------------------------------------------------
# Items: the watch button and notes
# ----------------------------------------------------------------------------------------


def _watch_target(request: HttpRequest, *, published: bool) -> tuple[Watchlist, Record]:
    """The watchlist and the record the watch button names, or 404. Only published
    records may be added; a record unpublished since can still be removed."""
    form = WatchForm(request.POST)
    if not form.is_valid():
        raise Http404
    data = form.cleaned_data
    watchlist = watchlist_by_pk_or_404(request, data["watchlist"])
    if data.get("standard"):
        standards = Standard.objects.public() if published else Standard.objects
        return watchlist, get_object_or_404(standards.with_status(), pk=data["standard"])
    regulations = TechnicalRegulation.objects.public() if published else TechnicalRegulation
    return watchlist, get_object_or_404(regulations, pk=data["regulation"])


def _watch_response(request: HttpRequest, watchlist: Watchlist, record: Record) -> HttpResponse:
    """htmx gets the button again; a plain POST goes back where it came from."""
    if request.htmx:
        forget_watch_context(request)
        ctx = {
            "record": record,
            "nested": request.POST.get("nested") == "1",
            "watch_next": _safe_next(request, ""),
        }
        return render(request, "accounts/includes/watch_button.html", ctx)
    fallback = reverse("accounts:watchlist_detail", args=[watchlist.company.slug, watchlist.pk])
    return redirect(_safe_next(request, fallback))


def _login_first(request: HttpRequest) -> HttpResponse:
    response = redirect_to_login(_safe_next(request, reverse("home")))
    if request.htmx:
        # htmx would follow the redirect and put the log-in page inside the button.
        return HttpResponseClientRedirect(response.url)
    return response


@require_POST
def watch_add(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    watchlist, record = _watch_target(request, published=True)
    _item, created = WatchItem.objects.get_or_create(
        watchlist=watchlist, **{record_field(record): record}, defaults={"added_by": request.user}
    )
    if not request.htmx:
        message = _("Added to “%(watchlist)s”.") if created else _("Already on “%(watchlist)s”.")
        messages.success(request, message % {"watchlist": watchlist.name})
    return _watch_response(request, watchlist, record)


@require_POST
def watch_remove(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    watchlist, record = _watch_target(request, published=False)
    removed, _rows = watchlist.items.filter(**{record_field(record): record}).delete()
    if removed and not request.htmx:
        message = _("Removed from “%(watchlist)s”.")
        messages.success(request, message % {"watchlist": watchlist.name})
    return _watch_response(request, watchlist, record)


@require_POST
def sheet_watch_add(request: HttpRequest) -> HttpResponse:
    """A requirement sheet's standards, all put on one watchlist (an existing one, or a new
    one made in one of the member's companies); back to the sheet with a message."""
    if not request.user.is_authenticated:
        return _login_first(request)
    back = _safe_next(request, reverse("standards:product_finder"))
    form = SheetWatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    if data["watchlist"]:
        watchlist = watchlist_by_pk_or_404(request, data["watchlist"])
    else:
        membership = (
            membership_or_404(request, data["company"])
            if data.get("company")
            else request.user.memberships.select_related("company")
            .order_by("company__name")
            .first()
        )
        if membership is None:
            raise Http404
        create = WatchlistForm(
            {"name": data["name"]}, company=membership.company, created_by=request.user
        )
        if not create.is_valid():
            messages.error(request, " ".join(create.errors["name"]))
            return redirect(back)
        watchlist = create.save()
    added, already = watch_standards(watchlist, data["standards"], user=request.user)
    if added:
        message = ngettext(
            "%(count)s standard added to “%(watchlist)s”.",
            "%(count)s standards added to “%(watchlist)s”.",
            added,
        ) % {"count": added, "watchlist": watchlist.name}
    else:
        message = _("Nothing added: every standard of the sheet is on “%(watchlist)s” already.") % {
            "watchlist": watchlist.name
        }
    if added and already:
        message += " " + ngettext(
            "%(count)s was on it already.", "%(count)s were on it already.", already
        ) % {"count": already}
    messages.success(request, message)
    return redirect(back)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def watch_note(request: HttpRequest, slug: str, pk: int, item_pk: int) -> HttpResponse:
    membership, watchlist = watchlist_or_404(request, slug, pk)
    item = get_object_or_404(watchlist.items.select_related("standard", "regulation"), pk=item_pk)
    form = NoteForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Note saved."))
        return redirect("accounts:watchlist_detail", slug=slug, pk=watchlist.pk)
    ctx = {"company": membership.company, "watchlist": watchlist, "item": item, "form": form}
    return render(request, "accounts/watchlists/watch_note.html", ctx)


# ----------------------------------------------------------------------------------------
# Export and calendar feed
# ----------------------------------------------------------------------------------------


@login_required
@require_safe
def watchlist_export(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _membership, watchlist = watchlist_or_404(request, slug, pk)
    kind = request.GET.get("format", "csv")
    if kind not in exports.FORMATS:
        raise Http404
    export = exports.table_export(watchlist, kind)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_safe
def watchlist_ical(request: HttpRequest, token: str) -> HttpResponse:
    """The private calendar feed: no log-in, the token in the URL is the key."""
    watchlist = Watchlist.objects.filter(ical_token=token).first() if token else None
    if watchlist is None:
        raise Http404
    response = HttpResponse(
        exports.ical_feed(watchlist), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="cesip-watchlist.ics"'
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, max-age=900"
    return response
