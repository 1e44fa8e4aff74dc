"""Suggestions as the product finder's box is typed in: prefix queries on the product
vocabulary (ProductTerm names and synonyms in both languages, with the pinyin of the
Chinese ones) and on the sectors, in a small tantivy index held in memory.

The vocabulary is a few hundred rows: each process builds its index in milliseconds and
builds it again when the catalogue generation changed (every write through the admin or
a loading command starts one, see cesip.cache) or this process wrote product terms. It
needs no file and no follower, so a web node has it as soon as it starts.

What is typed matches the start of a name or of any later word of it ("dry" finds "hair
dryer"); in Chinese, any part of a name ("吹风" finds 电吹风); in pinyin, the start of any
syllable of a Chinese name ("chuifeng" finds 电吹风); with up to two typos once four
letters are typed ("hairdri" finds "hair dryer").
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import tantivy
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from pypinyin import lazy_pinyin

from cesip import cache as page_cache
from sectors.models import ProductTerm, Sector
from standards.search.query import normalise
from standards.segmentation import HAN

SHOWN = 8
MAX_TYPED = 60  # characters of the box read
MIN_TYPED = 2  # characters typed before anything is suggested (one, in Chinese)
FUZZY_FROM = 5  # letters typed before a typo is forgiven
FUZZY_TWO_FROM = 7  # and two
WORD_START = re.compile(r"(?:^|(?<=[\s/,()-]))\w", re.UNICODE)
# The start of a name (or of its pinyin) scores above the start of a later word, which
# scores above a forgiven typo.
WHOLE, PART, TYPO = 4.0, 2.0, 1.0


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "product" or "sector"
    name_en: str
    name_zh_hans: str
    matched: str  # the name or synonym that the typed text matched
    slug: str = ""  # sectors

    def name(self, language: str) -> str:
        if language.startswith("zh"):
            return self.name_zh_hans or self.name_en
        return self.name_en or self.name_zh_hans


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("entry", stored=True, indexed=True, fast=True)
    for name in ("whole", "part", "pinyin_whole", "pinyin_part"):
        builder.add_text_field(name, tokenizer_name="raw")
    return builder.build()


SCHEMA = _schema()


def _parts(name: str) -> list[str]:
    """The name from each later word start on; in Chinese, from every character on."""
    if HAN.search(name):
        return [name[i:] for i in range(1, len(name))]
    return [name[m.start() :] for m in WORD_START.finditer(name) if m.start()]


def _pinyin(name: str) -> list[str]:
    """The toneless pinyin of a Chinese name, joined, from each syllable on (the whole
    first)."""
    if not HAN.search(name):
        return []
    syllables = [s.lower() for s in lazy_pinyin(name) if s.strip()]
    return ["".join(syllables[i:]) for i in range(len(syllables))]


class _Vocabulary:
    def __init__(self, entries: list[tuple[Suggestion, str]]):
        self.entries = entries
        self.index = tantivy.Index(SCHEMA)  # in memory
        writer = self.index.writer(15_000_000, 1)
        for number, (_suggestion, name) in enumerate(entries):
            lower = normalise(name).lower()
            pinyin = _pinyin(lower)
            writer.add_document(
                tantivy.Document(
                    entry=number,
                    whole=lower,
                    part=_parts(lower),
                    pinyin_whole=pinyin[:1],
                    pinyin_part=pinyin[1:],
                )  # fmt: skip
            )
        writer.commit()
        self.index.reload()
        self.searcher = self.index.searcher()


def _entries() -> list[tuple[Suggestion, str]]:
    """(suggestion, one of its names) for every name of every product term and sector."""
    entries = []
    terms = ProductTerm.objects.rewrite(False).values_list(
        "name_en", "name_zh_hans", "synonyms"
    )  # fmt: skip
    for name_en, name_zh, synonyms in terms:
        names = [name_en or "", name_zh or "", *(synonyms or "").splitlines()]
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            entries.append(
                (Suggestion("product", name_en or "", name_zh or "", name), name)
            )  # fmt: skip
    sectors = Sector.objects.rewrite(False).values_list("slug", "name_en", "name_zh_hans")
    for slug, name_en, name_zh in sectors:
        for name in dict.fromkeys(n for n in (name_en, name_zh) if n):
            entries.append((Suggestion("sector", name_en or "", name_zh or "", name, slug), name))
    return entries


_lock = threading.Lock()
_built: tuple[tuple, _Vocabulary | None] = ((), None)
_writes = 0


def vocabulary() -> _Vocabulary:
    global _built
    generation = (page_cache.current_generation(), _writes)
    with _lock:
        if _built[0] != generation or _built[1] is None:
            _built = (generation, _Vocabulary(_entries()))
        return _built[1]


def forget_vocabulary() -> None:
    """Build the index afresh at the next suggestion."""
    global _built
    _built = ((), None)


@receiver(post_save, sender=ProductTerm, dispatch_uid="suggest_products_saved")
@receiver(post_delete, sender=ProductTerm, dispatch_uid="suggest_products_deleted")
@receiver(post_save, sender=Sector, dispatch_uid="suggest_sectors_saved")
@receiver(m2m_changed, sender=ProductTerm.hs_codes.through, dispatch_uid="suggest_codes")
def _written(**kwargs) -> None:
    global _writes
    _writes += 1


def _prefix(field: str, text: str) -> tantivy.Query:
    return tantivy.Query.regex_query(SCHEMA, field, re.escape(text) + ".*")


def suggest(typed: str, limit: int = SHOWN) -> list[Suggestion]:
    """The product terms and sectors whose names start as `typed` does (see the module's
    docstring), best first: a whole name before a later word, then shorter names; names
    within a typo or two only when too few start so."""
    text = normalise(typed)[:MAX_TYPED].lower().strip()
    if len(text) < MIN_TYPED and not HAN.search(text):
        return []
    make = tantivy.Query
    queries = [make.const_score_query(_prefix("whole", text), WHOLE),
               make.const_score_query(_prefix("part", text), PART)]  # fmt: skip
    compact = re.sub(r"[\s']+", "", text)
    latin = compact.isascii() and compact.isalpha()
    if latin:
        queries.append(make.const_score_query(_prefix("pinyin_whole", compact), WHOLE))
        queries.append(make.const_score_query(_prefix("pinyin_part", compact), PART))
    current = vocabulary()
    shown = _ranked(current, queries, limit, {})
    if latin and len(shown) < limit and len(compact) >= FUZZY_FROM:
        distance = 1 if len(compact) < FUZZY_TWO_FROM else 2
        fuzzy = make.fuzzy_term_query(SCHEMA, "whole", text, distance=distance, prefix=True)
        shown = _ranked(current, [make.const_score_query(fuzzy, TYPO)], limit, shown)
    return list(shown.values())


def _ranked(current: _Vocabulary, queries: list, limit: int, shown: dict) -> dict:
    """`shown` (suggestions by product or sector) with the best hits of any of `queries`
    added, up to `limit`."""
    query = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])
    ranked = []
    for score, address in current.searcher.search(query, limit=200).hits:
        suggestion, name = current.entries[current.searcher.doc(address)["entry"][0]]
        ranked.append((-score, len(name), suggestion.kind != "product", name, suggestion))
    ranked.sort(key=lambda row: row[:4])
    shown = dict(shown)
    for *_order, suggestion in ranked:
        if len(shown) == limit:
            break
        shown.setdefault((suggestion.kind, suggestion.name_en, suggestion.name_zh_hans), suggestion)
    return shown


def chinese_for_pinyin(compact: str) -> str:
    """The shortest Chinese product or sector name whose whole toneless pinyin is
    `compact` ("wanju" → 玩具), or ""."""
    current = vocabulary()
    query = tantivy.Query.term_query(SCHEMA, "pinyin_whole", compact.lower())
    names = [
        current.entries[current.searcher.doc(address)["entry"][0]][1]
        for _score, address in current.searcher.search(query, limit=50).hits
    ]
    return min(names, key=lambda name: (len(name), name), default="")
