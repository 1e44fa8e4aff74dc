"""One language per page: record text in the reader's language, and anything else marked.

A page in one language shows the other only as a record's original words (a title, a
name, the source's own status label), each in an element carrying its `lang`, so that
readers, screen readers and search engines know what they are reading. The fields of a
record translated with modeltranslation fall back to the other language when empty:
these filters say so instead of passing the other language off as the page's.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from cesip.web import is_chinese
from sectors.models import TranslationSource
from standards.titles import act_heading as heading_of
from standards.titles import act_name, act_reference_is_english, source_label

register = template.Library()

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _suffixes() -> tuple[str, str]:
    """The reader's field suffix and the other one."""
    return ("zh_hans", "en") if is_chinese() else ("en", "zh_hans")


def _resolve(suffix: str) -> str:
    """ "own" and "other" (the reader's language and the other one) as field suffixes."""
    own, other = _suffixes()
    return {"own": own, "other": other}.get(suffix, suffix)


def lang_attr(suffix: str) -> str:
    return "zh-Hans" if suffix == "zh_hans" else "en"


def in_lang(text: str, suffix: str) -> SafeString:
    """`text` in an element marked with the language of `suffix` ("en", "zh_hans")."""
    return format_html('<span lang="{}">{}</span>', lang_attr(suffix), text)


@register.filter
def localised(record, field: str) -> SafeString:
    """`record.<field>` in the reader's language; when that is empty, the other
    language's text marked with its `lang` (never passed off as the page's language)."""
    own, other = _suffixes()
    text = getattr(record, f"{field}_{own}", "") or ""
    if text:
        return conditional_escape(text)
    text = getattr(record, f"{field}_{other}", "") or ""
    return in_lang(text, other) if text else mark_safe("")


@register.filter
def other_language(record, field: str) -> SafeString:
    """`record.<field>` in the other language, marked with its `lang` ("" when empty)."""
    _own, other = _suffixes()
    text = getattr(record, f"{field}_{other}", "") or ""
    return in_lang(text, other) if text else mark_safe("")


@register.filter
def has_own(record, field: str) -> bool:
    """Whether `record.<field>` is written in the reader's language."""
    own, _other = _suffixes()
    return bool(getattr(record, f"{field}_{own}", ""))


@register.filter
def title_source(record, suffix: str) -> str:
    """Where `record`'s title in the language of `suffix` comes from, in the reader's
    language: official, from the identical adoption, curator translation, awaiting."""
    suffix = _resolve(suffix)
    return source_label(
        getattr(record, f"title_{suffix}", "") or "", getattr(record, f"title_{suffix}_source", "")
    )


@register.filter
def title_source_note(record, suffix: str) -> str:
    """The title's source where a list should say it: anything but official."""
    suffix = _resolve(suffix)
    if getattr(record, f"title_{suffix}_source", "") == TranslationSource.OFFICIAL:
        return ""
    return title_source(record, suffix)


@register.filter
def marked(text: str | None) -> SafeString:
    """Free text kept in the language it was written in (a source's status label, a
    name typed once): marked with `lang` when it is not in the page's language. Text of
    codes and abbreviations alone ("CCC", "CE", "OJ L 123") is in neither."""
    text = text or ""
    if HAN.search(text):
        language = "zh_hans"
    elif act_reference_is_english(text):
        language = "en"
    else:
        return conditional_escape(text)
    if (language == "zh_hans") == is_chinese():
        return conditional_escape(text)
    return in_lang(text, language)


@register.filter
def act_reference(regulation) -> SafeString:
    """An act's reference as published; on a Chinese page, one written in English words
    ("Directive 2009/48/EC", "AQSIQ Order No. 117") is marked as English."""
    reference = getattr(regulation, "reference", "") or ""
    if is_chinese() and act_reference_is_english(reference):
        # A Chinese act goes by its official Chinese name on a Chinese page.
        named = act_name(regulation) if hasattr(regulation, "jurisdiction") else reference
        if named != reference:
            return conditional_escape(named)
        return in_lang(reference, "en")
    return conditional_escape(reference)


@register.filter
def code_of(entry) -> SafeString:
    """A calendar or change entry's code (a standard's identifier, an act's reference),
    marked as English when it is an act's reference in English words on a Chinese page."""
    code = getattr(entry, "code", "") or ""
    if not getattr(entry, "is_standard", True) and is_chinese() and act_reference_is_english(code):
        return in_lang(code, "en")
    return conditional_escape(code)


HAN_RUN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
    r"(?:[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e0-9]*"
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e])?"
)
# Two or more English words in a row (codes, numbers and single words are not terms).
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:[ ,]+[A-Za-z][A-Za-z'’\-]*)+")
TAG = re.compile(r"(<[^>]*>)")


@register.filter(needs_autoescape=True)
def mark_terms(text, autoescape: bool = True) -> SafeString:
    """Text in the page's language with the other language's terms in it marked: the
    Chinese term in brackets of an English sentence (“registration (注册)”), the English
    name quoted in a Chinese one. Only text is touched, never tags or attributes."""
    text = conditional_escape(text or "") if autoescape else str(text or "")
    pattern, lang = (ENGLISH_RUN, "en") if is_chinese() else (HAN_RUN, "zh-Hans")
    parts = TAG.split(str(text))
    for index in range(0, len(parts), 2):  # the even parts are text, the odd ones tags
        parts[index] = pattern.sub(
            lambda match: f'<span lang="{lang}">{match.group()}</span>', parts[index]
        )
    return mark_safe("".join(parts))


@register.filter
def entry_title(entry) -> SafeString:
    """What a calendar or change entry calls its record, in the reader's language: a
    standard's title, an act's short name (or its title)."""
    record = getattr(entry, "record", None)
    if record is None:
        return mark_safe("")
    if getattr(entry, "is_standard", True):
        return localised(record, "title")
    return localised(record, "short_name") or localised(record, "title")


@register.filter
def act_heading(regulation) -> str:
    """An act's name for the page's <title> (plain text), see standards.titles."""
    return heading_of(regulation)
