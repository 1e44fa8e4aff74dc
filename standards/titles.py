"""Titles taken from identical adoptions, and what a page says about a title's source.

A standard and the one it adopts identically (IDT, ISO/IEC Guide 21-1) are the same
text, so each one's official title is the other's official title in that language: a
GB that adopts IEC 60335-1 IDT gives the IEC record its Chinese title, and the IEC (or
the EN that adopts it IDT too) gives the GB its English title. Identity is transitive,
so an EN and a GB that both adopt one ISO standard IDT share titles through it. A
modified (MOD) or not equivalent (NEQ) adoption is a different text: never used.

`fill_adopted_titles` fills only a missing title, from a published record whose title
in that language is official, and marks it "adoption"; `manage.py fill_adopted_titles`
runs it (load_demo does at the end of the load).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from cesip.web import is_chinese
from sectors.models import TranslationSource
from standards import changes
from standards.models import (
    Adoption,
    ChangeVia,
    Degree,
    Jurisdiction,
    Standard,
    TechnicalRegulation,
)

LANGUAGES = ("en", "zh_hans")

# Whose title to take when several identical standards have one, best first: the body
# that wrote the text in that language (ISO/IEC in English, SAC in Chinese), then the
# others. An EN's English title ends with "(ISO 13485:2016)", the ISO's does not.
PREFERRED_SOURCE = {
    "en": [Jurisdiction.INT, Jurisdiction.EU, Jurisdiction.CN],
    "zh_hans": [Jurisdiction.CN, Jurisdiction.INT, Jurisdiction.EU],
}

# What a reader is told about where a title comes from (record pages, search results).
SOURCE_LABELS = {
    TranslationSource.OFFICIAL: pgettext_lazy("title source", "official"),
    TranslationSource.ADOPTION: pgettext_lazy("title source", "from the identical adoption"),
    TranslationSource.CURATOR: pgettext_lazy("title source", "curator translation"),
    TranslationSource.MACHINE: pgettext_lazy("title source", "machine translation"),
}
AWAITING_LABEL = pgettext_lazy("title source", "awaiting translation")


def source_label(text: str, source: str) -> str:
    """The label of a title (or scope) from its `source`; "awaiting translation" when
    there is no text."""
    if not text:
        return str(AWAITING_LABEL)
    return str(SOURCE_LABELS.get(source, SOURCE_LABELS[TranslationSource.OFFICIAL]))


ENGLISH_WORD = re.compile(r"[A-Za-z]?[a-z]{2,}")


def act_reference_is_english(reference: str) -> bool:
    """Whether an act's reference is written in English words ("Directive 2009/48/EC",
    "AQSIQ Order No. 117"), not a code alone ("CNCA-C07-01:2017")."""
    return bool(ENGLISH_WORD.search(reference or ""))


def act_name(regulation: TechnicalRegulation, language: str | None = None) -> str:
    """How a sentence in `language` (default: the active one) names an act.

    In English, its reference. In Chinese, a Chinese rule whose reference is an English
    rendering by its official Chinese title in book-title marks,
    《中华人民共和国固体废物污染环境防治法》; a rule known by its code (CNCA-C07-01:2024)
    and an EU act by that reference, the identifier readers search for.
    """
    if not is_chinese(language) or regulation.jurisdiction != Jurisdiction.CN:
        return regulation.reference
    name = regulation.title_zh_hans or regulation.short_name_zh_hans
    if not name or not act_reference_is_english(regulation.reference):
        return regulation.reference
    return f"《{name}》"


def act_heading(regulation: TechnicalRegulation, language: str | None = None) -> str:
    """An act's name for a page title (no markup possible there): its reference and
    short name; on a Chinese page, a Chinese rule whose reference is an English
    rendering by its Chinese title alone."""
    if is_chinese(language) and regulation.jurisdiction == Jurisdiction.CN:
        if act_reference_is_english(regulation.reference) and regulation.title_zh_hans:
            return regulation.title_zh_hans
    short = regulation.short_name_zh_hans if is_chinese(language) else regulation.short_name_en
    return " ".join(filter(None, [regulation.reference, short or regulation.short_name]))


@dataclass
class FilledTitle:
    standard: Standard
    language: str
    taken_from: Standard


@dataclass
class FillReport:
    filled: list[FilledTitle] = field(default_factory=list)

    def count(self, language: str) -> int:
        return sum(1 for item in self.filled if item.language == language)


def identical_groups(adoptions: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """For each standard in an IDT adoption, every standard identical to it (itself
    included): the connected parts of the graph of IDT links."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in adoptions:
        neighbours[a].add(b)
        neighbours[b].add(a)
    group_of: dict[int, set[int]] = {}
    for start in neighbours:
        if start in group_of:
            continue
        group, todo = {start}, [start]
        while todo:
            for other in neighbours[todo.pop()] - group:
                group.add(other)
                todo.append(other)
        for member in group:
            group_of[member] = group
    return group_of


def _title(standard: Standard, language: str) -> str:
    return getattr(standard, f"title_{language}") or ""


def _ranked_sources(
    standard: Standard, language: str, group: set[int], by_pk: dict[int, Standard], direct: set
) -> list[Standard]:
    """The identical standards whose official title in `language` could be taken,
    best first: direct adoptions before shared ones, then by PREFERRED_SOURCE."""
    order = PREFERRED_SOURCE[language]
    found = [
        by_pk[pk]
        for pk in group - {standard.pk}
        if pk in by_pk
        and by_pk[pk].published
        and _title(by_pk[pk], language)
        and getattr(by_pk[pk], f"title_{language}_source") == TranslationSource.OFFICIAL
    ]
    return sorted(
        found,
        key=lambda s: (
            (min(s.pk, standard.pk), max(s.pk, standard.pk)) not in direct,
            order.index(s.jurisdiction) if s.jurisdiction in order else len(order),
            s.key,
        ),
    )


@transaction.atomic
def fill_adopted_titles(
    standards: Iterable[Standard] | None = None, *, record: bool = True, actor=None
) -> FillReport:
    """Fill each missing English or Chinese title of `standards` (default: all) from an
    identical adoption, marked "adoption". With `record`, the changes are written to the
    change log like any other edit (see standards.changes)."""
    pairs = list(
        Adoption.objects.filter(degree=Degree.IDT).values_list("standard_id", "adopted_id")
    )
    direct = {(min(a, b), max(a, b)) for a, b in pairs}
    group_of = identical_groups(pairs)
    wanted = set(group_of)
    if standards is not None:
        wanted &= {s.pk for s in standards}
    missing = Q()
    for language in LANGUAGES:
        missing |= Q(**{f"title_{language}": ""}) | Q(**{f"title_{language}__isnull": True})
    targets = list(Standard.objects.filter(missing, pk__in=wanted))
    related = set().union(*(group_of[s.pk] for s in targets)) if targets else set()
    by_pk = {s.pk: s for s in Standard.objects.filter(pk__in=related)}
    report = FillReport()
    before = changes.snapshot(Standard, [s.pk for s in targets]) if record else {}
    written = []
    for standard in targets:
        fields = []
        for language in LANGUAGES:
            if _title(standard, language):
                continue
            ranked = _ranked_sources(standard, language, group_of[standard.pk], by_pk, direct)
            if not ranked:
                continue
            setattr(standard, f"title_{language}", _title(ranked[0], language))
            setattr(standard, f"title_{language}_source", TranslationSource.ADOPTION)
            fields += [f"title_{language}", f"title_{language}_source"]
            report.filled.append(FilledTitle(standard, language, ranked[0]))
        if fields:
            standard.save(update_fields=[*fields, "updated_at"])
            written.append(standard.pk)
    if record and written:
        changes.record_changes(Standard, before, written, actor=actor, via=ChangeVia.SYSTEM)
    return report
