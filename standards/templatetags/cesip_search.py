import re

import rjieba
from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from standards.segmentation import HAN

register = template.Library()


# The endings an English word may have beyond the stem that search matched ("toy" marks
# "toys", "test" marks "testing"); a word is marked whole or not at all.
ENDINGS = ("", "s", "es", "ed", "ing", "er", "ers")
LATIN_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _latin_match(word: str, terms: set[str]) -> bool:
    lower = word.lower()
    if lower in terms:
        return True
    for term in terms:
        if len(term) >= 3 and lower.startswith(term) and lower[len(term) :] in ENDINGS:
            return True
        if term.endswith("y") and lower == term[:-1] + "ies":
            return True
    return False


def _chinese_match(word: str, terms: set[str]) -> bool:
    """A segmented word is marked when it is a term or search mode finds a term in it
    ("电动玩具" for 玩具), never a part of it."""
    return word in terms or any(p in terms for p in rjieba.cut_for_search(word))


@register.filter
def highlight(text: str | None, terms: list[str]) -> str:
    """`text` escaped, with each whole word that a search term matched wrapped in <mark>:
    English words case-insensitively, with their endings (`ENDINGS`); Chinese words as
    the segmentation reads the text (never a fragment of a word, in either script).

    The words are found in the text itself and each piece escaped after, so a term that
    is also an entity's name ("amp", "quot", "lt") never cuts an entity in two."""
    text = str(text or "")
    latin = {term.lower() for term in terms or () if term and not HAN.search(term)}
    chinese = {term for term in terms or () if term and HAN.search(term)}
    if not (latin or chinese):
        return escape(text)
    pieces, end = [], 0
    for start, word in _words(text):
        if HAN.match(word):
            marked = bool(chinese) and _chinese_match(word, chinese)
        else:
            marked = bool(latin) and _latin_match(word, latin)
        if marked:
            pieces.append(escape(text[end:start]))
            pieces.append(format_html("<mark>{}</mark>", word))
            end = start + len(word)
    pieces.append(escape(text[end:]))
    return mark_safe("".join(pieces))  # each piece is escaped above


def _words(text: str):
    """(offset, word) of each word: runs of Chinese cut by the segmenter, other runs of
    letters and digits whole."""
    for match in LATIN_WORD.finditer(text):
        run, offset = match.group(), match.start()
        if not HAN.search(run):
            yield offset, run
            continue
        for piece in re.split(f"({HAN.pattern}+)", run):
            if not piece:
                continue
            if HAN.match(piece):
                for word in rjieba.cut(piece):
                    yield offset, word
                    offset += len(word)
            else:
                yield offset, piece
                offset += len(piece)


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


@register.filter
def product_name(suggestion, language: str) -> str:
    """A product or sector suggestion (search.suggest) named in the page's language."""
    return suggestion.name(language)
