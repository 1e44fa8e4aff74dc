import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def highlight(text: str | None, terms: list[str]) -> str:
    """`text` escaped, with each search term (case-insensitive) wrapped in <mark>.

    The terms are found in the text itself and each piece escaped after, so a term that
    is also an entity's name ("amp", "quot", "lt") never cuts an entity in two."""
    text = str(text or "")
    terms = [term for term in terms or () if term]
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in terms), flags=re.IGNORECASE)
    pieces, end = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[end : match.start()]))
        pieces.append(format_html("<mark>{}</mark>", match.group()))
        end = match.end()
    pieces.append(escape(text[end:]))
    return mark_safe("".join(pieces))  # each piece is escaped above


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
