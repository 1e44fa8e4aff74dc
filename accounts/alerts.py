"""The member's alert settings: subscription, saved searches, delivery history, and the
one-click unsubscribe link every digest carries."""

from __future__ import annotations

from urllib.parse import unquote_plus

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import digests
from accounts.models import Delivery, SavedSearch, Subscription, User
from sectors.models import Sector
from standards.models import Jurisdiction

JURISDICTION_CHOICES = [
    (Jurisdiction.CN, Jurisdiction.CN.label),
    (Jurisdiction.EU, Jurisdiction.EU.label),
]
HISTORY_PAGE_SIZE = 50


class SubscriptionForm(forms.ModelForm):
    sectors = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Sectors"),
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    jurisdictions = forms.MultipleChoiceField(
        label=gettext_lazy("Markets"),
        choices=JURISDICTION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave both unticked to hear about both markets."),
    )

    class Meta:
        model = Subscription
        fields = [
            "active",
            "frequency",
            "language",
            "include_watchlists",
            "sectors",
            "jurisdictions",
        ]
        widgets = {"frequency": forms.RadioSelect}


class SavedSearchForm(forms.Form):
    query = forms.CharField(
        label=gettext_lazy("Search address"),
        max_length=2000,
        help_text=gettext_lazy(
            "Paste the address of a search page, or its query string such as q=toys&sector=toys."
        ),
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Shown in your digests; the search words if left blank."),
    )

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("query")
        if raw is None:
            return cleaned
        query, problems = digests.normalise_search(raw)
        if problems:
            raise forms.ValidationError(
                [_("This search has a problem: %(problem)s") % {"problem": p} for p in problems]
            )
        if not query:
            raise forms.ValidationError(_("This search has no words or filters to follow."))
        cleaned["query"] = query
        if not cleaned.get("name"):
            # The search words name it; a filter-only search is named by its filters.
            params = QueryDict(query)
            cleaned["name"] = (params.get("q") or unquote_plus(query))[:120]
        return cleaned


def _subscription_for(user: User) -> Subscription:
    """The member's subscription, or an unsaved one with the defaults (saved on POST)."""
    subscription = Subscription.objects.filter(user=user).first()
    return subscription or Subscription(user=user, language=user.language)


def _settings_page(
    request: HttpRequest,
    *,
    form: SubscriptionForm | None = None,
    search_form: SavedSearchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    subscription = _subscription_for(request.user)
    ctx = {
        "form": form or SubscriptionForm(instance=subscription),
        "search_form": search_form or SavedSearchForm(),
        "subscription": subscription,
        "saved_searches": list(subscription.saved_searches.all()) if subscription.pk else [],
        "recent": list(
            Delivery.objects.filter(user=request.user).order_by("-period_end", "-pk")[:5]
        ),
    }
    return render(request, "accounts/alerts/settings.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = SubscriptionForm(request.POST, instance=_subscription_for(request.user))
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
    subscription = _subscription_for(request.user)
    if subscription.pk is None:
        subscription.save()
    SavedSearch.objects.create(
        subscription=subscription,
        name=search_form.cleaned_data["name"],
        query=search_form.cleaned_data["query"],
    )
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
    rows = Delivery.objects.filter(user=request.user).order_by("-period_end", "-pk")
    page = Paginator(rows, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/alerts/history.html", {"page": page})


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners must not unsubscribe anyone); POST, from
    the page's button or a mail provider's one-click request, turns the alerts off."""
    user_id = digests.user_from_token(token)
    subscription = Subscription.objects.filter(user_id=user_id).select_related("user").first()
    if user_id is None or subscription is None:
        return render(request, "accounts/alerts/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        Subscription.objects.filter(pk=subscription.pk).update(active=False)
        return render(request, "accounts/alerts/unsubscribe.html", {"done": True})
    return render(request, "accounts/alerts/unsubscribe.html", {"subscription": subscription})
