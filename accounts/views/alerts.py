"""The member's alert settings: subscription, saved searches, delivery history, and the
one-click unsubscribe link every digest carries. The work is done in accounts.alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.alerts import (
    deliveries_of,
    save_search,
    subscription_for,
    subscription_from_token,
    turn_off_alerts,
)
from accounts.forms import SavedSearchForm, SubscriptionForm
from accounts.models import SavedSearch

HISTORY_PAGE_SIZE = 50


def _settings_page(
    request: HttpRequest,
    *,
    form: SubscriptionForm | None = None,
    search_form: SavedSearchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    subscription = subscription_for(request.user)
    ctx = {
        "form": form or SubscriptionForm(instance=subscription),
        "search_form": search_form or SavedSearchForm(),
        "subscription": subscription,
        "saved_searches": list(subscription.saved_searches.all()) if subscription.pk else [],
        "recent": list(deliveries_of(request.user)[:5]),
    }
    return render(request, "accounts/alerts/settings.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = SubscriptionForm(request.POST, instance=subscription_for(request.user))
    if not form.is_valid():
        return _settings_page(request, form=form, status=400)
    form.save()
    messages.success(request, _("Your alert settings are saved."))
    return redirect("accounts:alert_settings")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def saved_search_add(request: HttpRequest) -> HttpResponse:
    """GET (from a search page's "Save this search" link) shows the form filled in."""
    if request.method != "POST":
        initial = {"query": request.GET.get("query", "")}
        return _settings_page(request, search_form=SavedSearchForm(initial=initial))
    search_form = SavedSearchForm(request.POST)
    if not search_form.is_valid():
        return _settings_page(request, search_form=search_form, status=400)
    save_search(user=request.user, **search_form.cleaned_data)
    messages.success(request, _("The search is saved: its new results will be in your alerts."))
    return redirect("accounts:alert_settings")


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedSearch, pk=pk, subscription__user=request.user)
    saved.delete()
    messages.success(request, _("The saved search is removed."))
    return redirect("accounts:alert_settings")


@login_required
def delivery_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(deliveries_of(request.user), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/alerts/history.html", {"page": page})


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners must not unsubscribe anyone); POST, from
    the page's button or a mail provider's one-click request, turns the alerts off."""
    subscription = subscription_from_token(token)
    if subscription is None:
        return render(request, "accounts/alerts/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        turn_off_alerts(subscription)
        return render(request, "accounts/alerts/unsubscribe.html", {"done": True})
    return render(request, "accounts/alerts/unsubscribe.html", {"subscription": subscription})
