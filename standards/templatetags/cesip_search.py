import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def highlight(text: str | None, terms: list[str]) -> str:
    """`text` escaped, with each search term (case-insensitive) wrapped in <mark>."""
    text = escape(text or "")
    if not terms:
        return mark_safe(text)
    pattern = "|".join(re.escape(escape(term)) for term in terms)
    return mark_safe(re.sub(f"({pattern})", r"<mark>\1</mark>", text, flags=re.IGNORECASE))


@register.simple_tag(takes_context=True)
def toggle_url(context, name: str, value: str) -> str:
    """The current search URL with `name=value` added, or removed if present."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    values = params.getlist(name)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    params.setlist(name, values)
    return "?" + params.urlencode()
