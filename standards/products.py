"""The product finder's reading of what was typed: the products it names (by a name or a
synonym in either language, in any case and number, or by the pinyin of a Chinese
name), the narrower products of a broad one, the closest products and sectors when it
names none, and the scope the chosen products give their requirement sheet.

Names are matched by standards.search.query.find_products (the search box reads product
words the same way); the closest products come from the words they share with the query,
trigram similarity (pg_trgm) and pinyin (pypinyin).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Q
from pypinyin import lazy_pinyin

from sectors.models import ProductTerm, Sector
from standards.models import ProductScope
from standards.search.query import (
    ProductMatch,
    VocabularyTerm,
    find_products,
    product_text,
    read_query,
    vocabulary,
)
from standards.segmentation import HAN, chinese_words

CLOSEST_SHOWN = 8
SECTORS_SHOWN = 4
TRIGRAM_THRESHOLD = 0.3
MIN_PINYIN = 4  # letters of pinyin before a part of a name is looked for
# Words too common to point to a product on their own.
STOP_WORDS = frozenset(
    "and for the with from into other part kind type product item article set use "
    "used new made china chinese europe european export import".split()
)


class Scope(NamedTuple):
    """What the chosen products add to their sheet or leave out of it: act references
    (a rule number without edition covers every edition) and standard family keys."""

    include_acts: frozenset[str] = frozenset()
    exclude_acts: frozenset[str] = frozenset()
    include_standards: frozenset[str] = frozenset()
    exclude_standards: frozenset[str] = frozenset()

    def excludes_act(self, reference: str) -> bool:
        return _in_families(reference, self.exclude_acts)

    def excludes_standard(self, key: str) -> bool:
        return _in_families(key, self.exclude_standards)

    def act_condition(self, field_name: str = "reference") -> Q:
        """The acts to include, as a filter on `field_name`."""
        return _families_condition(field_name, self.include_acts)

    def standard_condition(self, field_name: str = "key") -> Q:
        """The standards to include (every edition of each family)."""
        return _families_condition(field_name, self.include_standards)


def _in_families(value: str, families: Iterable[str]) -> bool:
    """`value` is one of `families` or an edition of one ("GB6675.12:2014" of
    "GB6675.12", "CNCA-C22-01:2020" of "CNCA-C22-01")."""
    return any(value == family or value.startswith(f"{family}:") for family in families)


def _families_condition(field_name: str, families: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for family in sorted(families):
        condition |= Q(**{field_name: family}) | Q(**{f"{field_name}__startswith": f"{family}:"})
    return condition


def scope_for(chosen: list[int]) -> tuple[Scope, list[ProductScope]]:
    """The scope of the chosen products (ProductTerm pks) and the decisions that make it,
    from their decisions and their broader products' (one query; none without
    products). Pass the scope to standards.requirements.requirement_sheet(scope=...)."""
    if not chosen:
        return Scope(), []
    parents = {term.pk: term.parent for term in vocabulary()}
    chain: set[int] = set()
    for pk in chosen:
        while pk is not None and pk not in chain:
            chain.add(pk)
            pk = parents.get(pk)
    decisions = ProductScope.objects.filter(term_id__in=chain).select_related("term")
    return product_scope(list(decisions), chosen)


def product_scope(decisions: list[ProductScope], chosen: list[int]) -> tuple[Scope, list]:
    """The scope of the chosen products (pks), from their decisions and their broader
    products' (`decisions` holds both; a product's own decision overrides its broader
    product's on the same record). An act or standard is left out only when every chosen
    product leaves it out; what any of them adds is added. Returns the scope and the
    decisions that make it."""
    parents = {term.pk: term.parent for term in vocabulary()}
    by_term: dict[int, list[ProductScope]] = {}
    for decision in decisions:
        by_term.setdefault(decision.term_id, []).append(decision)
    effective: list[dict[tuple[str, str], ProductScope]] = []
    for pk in chosen:
        chain, seen = [], set()
        while pk is not None and pk not in seen:  # the product, then its broader ones
            chain.append(pk)
            seen.add(pk)
            pk = parents.get(pk)
        own: dict[tuple[str, str], ProductScope] = {}
        for term_pk in reversed(chain):  # the broadest first: the nearer overrides it
            for decision in by_term.get(term_pk, []):
                own[(decision.record, decision.key)] = decision
        effective.append(own)
    if not effective:
        return Scope(), []

    def keys(record: str, effect: str, own: dict) -> set[str]:
        return {k for (r, k), d in own.items() if r == record and d.effect == effect}

    include, exclude = ProductScope.Effect.INCLUDE, ProductScope.Effect.EXCLUDE
    act, standard = ProductScope.Record.ACT, ProductScope.Record.STANDARD
    scope = Scope(
        include_acts=frozenset().union(*(keys(act, include, own) for own in effective)),
        exclude_acts=frozenset.intersection(
            *(frozenset(keys(act, exclude, own)) for own in effective)
        ),
        include_standards=frozenset().union(*(keys(standard, include, own) for own in effective)),
        exclude_standards=frozenset.intersection(
            *(frozenset(keys(standard, exclude, own)) for own in effective)
        ),
    )

    def applied(record: str, key: str, effect: str) -> bool:
        if record == act:
            return key in (scope.include_acts if effect == include else scope.exclude_acts)
        return key in (scope.include_standards if effect == include else scope.exclude_standards)

    used = {
        decision.pk: decision
        for own in effective
        for (record, key), decision in own.items()
        if applied(record, key, decision.effect)
    }
    return scope, list(used.values())


# -- reading what was typed ---------------------------------------------------------------


@dataclass
class Candidate:
    pk: int
    name_en: str
    name_zh_hans: str
    hs_codes: list[str]
    why: str  # "words", "pinyin" or "similar"

    def name(self, chinese: bool) -> str:
        return self.name_zh_hans if chinese else self.name_en


@dataclass
class Finding:
    products: list[ProductMatch] = field(default_factory=list)
    read_as: str = ""  # the Chinese name pinyin was read as ("wanju" → 玩具)
    candidates: list[Candidate] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)


def find(text: str) -> Finding:
    """The products `text` names; if none, the product whose Chinese name it spells in
    pinyin; if none, the closest products and the sectors that match."""
    finding = Finding(products=find_products(read_query(text)).products)
    if finding.products:
        return finding
    spelled = _pinyin_key(text)
    if len(spelled) >= MIN_PINYIN:
        for term in vocabulary():
            for han, key in _pinyin_names(term):
                if key == spelled:
                    finding.products.append(_match(term, text))
                    finding.read_as = finding.read_as or han
                    break
    if finding.products:
        return finding
    finding.candidates = closest_products(text)
    finding.sectors = matching_sectors(text, [c.pk for c in finding.candidates])
    return finding


def _match(term: VocabularyTerm, matched: str) -> ProductMatch:
    return ProductMatch(
        term.name_en, term.name_zh_hans, matched, list(term.hs_codes), term.pk, term.parent
    )


def closest_products(text: str, limit: int = CLOSEST_SHOWN) -> list[Candidate]:
    """The products nearest to `text`: those whose names share its words (English words
    in the singular, Chinese words as segmented), those whose Chinese name's pinyin holds
    what was typed, and those most similar by trigrams (a typo, a word run together);
    broad products first among equals, then the shorter names."""
    terms = {term.pk: term for term in vocabulary()}
    scores: dict[int, tuple[float, str]] = {}

    def score(pk: int, value: float, why: str) -> None:
        if value > scores.get(pk, (0.0, ""))[0]:
            scores[pk] = (value, why)

    read = product_text(text)
    words = [w for w in re.findall(r"[a-z][a-z0-9]+", read) if w not in STOP_WORDS]
    han = "".join(HAN.findall(read))
    pieces = [p for group in chinese_words(han) for p in group if len(p) >= 2] if han else []
    wanted = len(words) + (len(chinese_words(han)) if han else 0)
    for term in terms.values():
        best = 0
        for _name, prepared in term.names:
            padded = f" {prepared} "
            shared = sum(1 for w in words if f" {w} " in padded)
            shared += 1 if any(p in prepared for p in pieces) else 0
            best = max(best, shared)
        if best:
            score(term.pk, 0.5 + 0.5 * best / max(wanted, 1), "words")
    spelled = _pinyin_key(text)
    if len(spelled) >= MIN_PINYIN:
        for term in terms.values():
            if any(spelled in key for _han, key in _pinyin_names(term)):
                score(term.pk, 0.8, "pinyin")
    for pk, similarity in _trigram_neighbours(text, limit):
        if pk in terms:
            score(pk, similarity, "similar")
    broad = {term.parent for term in terms.values() if term.parent}
    ranked = sorted(
        scores.items(),
        key=lambda item: (
            -item[1][0],
            item[0] not in broad,
            len(terms[item[0]].name_en),
            terms[item[0]].name_en,
        ),
    )
    return [
        Candidate(pk, terms[pk].name_en, terms[pk].name_zh_hans, list(terms[pk].hs_codes), why)
        for pk, (_value, why) in ranked[:limit]
    ]


TRIGRAM_SQL = """
SELECT term.id, GREATEST(
    similarity(%(q)s, term.name_en), similarity(%(q)s, term.name_zh_hans),
    COALESCE(MAX(similarity(%(q)s, synonym.name)), 0)
) AS score
FROM sectors_productterm term
LEFT JOIN LATERAL unnest(string_to_array(term.synonyms, E'\\n')) AS synonym(name) ON true
GROUP BY term.id
HAVING GREATEST(
    similarity(%(q)s, term.name_en), similarity(%(q)s, term.name_zh_hans),
    COALESCE(MAX(similarity(%(q)s, synonym.name)), 0)
) >= %(threshold)s
ORDER BY score DESC, term.id
LIMIT %(limit)s
"""


def _trigram_neighbours(text: str, limit: int) -> list[tuple[int, float]]:
    """The product terms with a name or synonym most similar to `text` by trigrams
    (pg_trgm's similarity, on each name and each synonym alone), best first: one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            TRIGRAM_SQL, {"q": text[:100], "threshold": TRIGRAM_THRESHOLD, "limit": limit}
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


def matching_sectors(text: str, candidates: list[int]) -> list[Sector]:
    """Sectors whose name shares a word with `text` (or is similar to it), then the
    sectors of the closest products, most products first: two queries."""
    read = product_text(text)
    sectors = list(Sector.objects.all())
    named = []
    for sector in sectors:
        names = [product_text(sector.name_en or ""), product_text(sector.name_zh_hans or "")]
        words = set(" ".join(names).split())
        if any(w in words for w in read.split() if len(w) >= 3 and w not in STOP_WORDS) or any(
            name and HAN.search(name) and (name in read or read in name) for name in names
        ):
            named.append(sector)
    counts: dict[int, int] = {}
    if candidates:
        through = ProductTerm.sectors.through.objects.filter(productterm_id__in=candidates)
        for sector_id in through.values_list("sector_id", flat=True):
            counts[sector_id] = counts.get(sector_id, 0) + 1
    by_count = sorted(
        (s for s in sectors if s.pk in counts and s not in named),
        key=lambda s: (-counts[s.pk], s.ordering, s.slug),
    )
    return (named + by_count)[:SECTORS_SHOWN]


def broad_products() -> list[Candidate]:
    """The products that have narrower ones, for a way on when nothing is found."""
    terms = vocabulary()
    broad = {term.parent for term in terms if term.parent}
    return sorted(
        (
            Candidate(t.pk, t.name_en, t.name_zh_hans, list(t.hs_codes), "broad")
            for t in terms
            if t.pk in broad and t.parent is None
        ),
        key=lambda c: c.name_en,
    )


# -- pinyin ------------------------------------------------------------------------------


def _pinyin_names(term: VocabularyTerm) -> list[tuple[str, str]]:
    """The term's Chinese names with their pinyin run together, tones dropped
    (电吹风 → "dianchuifeng")."""
    return [(name, _pinyin(name)) for name, _prepared in term.names if HAN.search(name)]


@functools.lru_cache(maxsize=4096)
def _pinyin(name: str) -> str:
    """A name's pinyin, once per process (the vocabulary is a few hundred names)."""
    return _letters("".join(lazy_pinyin(name)))


def _pinyin_key(text: str) -> str:
    """Latin letters only, lower case: "Chui Feng Ji" → "chuifengji" (and nothing for a
    query with Chinese characters or digits in it)."""
    if HAN.search(text) or re.search(r"\d", text):
        return ""
    return _letters(text)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())
