"""Template helpers of the record pages: countdowns, the other language's URL."""

import datetime

from django import template
from django.urls import translate_url
from django.utils import timezone

from cesip.web import is_chinese

register = template.Library()


@register.filter
def countdown(day: datetime.date | None, today: datetime.date | None = None) -> str:
    """“in 43 days”, “today”, “12 days ago”."""
    from standards.calendar import countdown as days_from

    return days_from(day, today or timezone.localdate()) if day else ""


@register.inclusion_tag("includes/status.html")
def status_badge(standard, full: bool = False) -> dict:
    """The status engine's one phrase for `standard`: the badge, its detail ("replaced by
    GB 6675.1-2025, valid until 2026-11-01") and, on a record page, the countdown and the
    source's own word ("SAMR: 现行")."""
    from standards import status

    found = status.phrase(standard)
    today = timezone.localdate()
    return {
        "phrase": found,
        "full": full,
        "countdown": countdown(found.until, today) if full and found.until else "",
        "source_label": status.source_label(standard) if full else "",
    }


@register.simple_tag
def status_text(standard) -> str:
    """The same phrase as plain text (page descriptions, exports)."""
    from standards import status

    return str(status.phrase(standard))


@register.filter
def is_past(day: datetime.date | None) -> bool:
    return bool(day) and day < timezone.localdate()


@register.simple_tag(takes_context=True)
def url_in(context, language: str) -> str:
    """This page's URL (with its query) in `language`."""
    request = context["request"]
    url = translate_url(request.path, language)
    query = request.GET.urlencode()
    return f"{url}?{query}" if query else url


@register.filter
def by_language(record, field: str) -> str:
    """`field` in the other UI language than the reader's (for “the other title”)."""
    other = "en" if is_chinese() else "zh_hans"
    return getattr(record, f"{field}_{other}", "") or ""
