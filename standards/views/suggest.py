"""Suggestions under the product finder's box as it is typed in (standards.search.suggest)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from standards.search.suggest import suggest

MARKETS = {"cn", "eu"}


@require_safe
def product_suggestions(request: HttpRequest) -> HttpResponse:
    """/products/suggest/?q=hair+d → the list of products and sectors it may mean (a
    fragment for htmx); without htmx, the product finder for what was typed."""
    typed = request.GET.get("q", "")
    market = request.GET.get("market", "").strip().lower()
    params = {"market": market} if market in MARKETS else {}
    if not request.headers.get("HX-Request"):
        return redirect(
            f"{reverse('standards:product_finder')}?{urlencode({'q': typed, **params})}"
        )
    language = get_language()
    rows = []
    for suggestion in suggest(typed):
        label = suggestion.name(language)
        if suggestion.kind == "sector":
            url = reverse("standards:sector_detail", args=[suggestion.slug])
        else:
            url = f"{reverse('standards:product_finder')}?{urlencode({'q': label, **params})}"
        own = suggestion.name_zh_hans if language.startswith("zh") else suggestion.name_en
        rows.append({"suggestion": suggestion, "label": label, "url": url, "foreign": not own})
    response = render(
        request, "standards/includes/suggestions.html", {"rows": rows, "typed": typed.strip()}
    )
    response["X-Robots-Tag"] = "noindex"
    return response
