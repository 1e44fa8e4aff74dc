"""When a search finds nothing: the same search loosened one step at a time, in a fixed
order, each step said on the page (the search view tries them until one finds rows).

1. identifier equivalents: the same number under the other European and international
   prefixes (EN ⇄ EN IEC ⇄ EN ISO ⇄ IEC ⇄ ISO: "EN 14971" finds EN ISO 14971), and a
   prefix alone ("GB/T", "QB/T", "EN") browses that document type;
2. synonyms: the words exporters use for the catalogue's own (3C → 强制性产品认证,
   充电宝 → 移动电源), curated in data/search_synonyms.csv with the reason for each;
3. most words: the rarest word that blocks every match dropped, again while two or more
   words are left;
4. spelling: each English word no title holds replaced by the closest word of the titles
   most like the query ("safty of toys" → "safety of toys"), and pinyin read as the
   Chinese product or sector name it spells ("wanju" → 玩具).

What none of them finds is left to the page: the products and sectors the words may name
(standards.search.suggest), the closest standard numbers and titles.

Every step rewrites the query's text and searches it again, so the engine and the
PostgreSQL path loosen alike; the counts that choose the rarest word are PostgreSQL's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from cesip import cache as page_cache
from standards.models import Standard
from standards.search import engine
from standards.search.expressions import text_query
from standards.search.postgres import fallback_standards, suggest_spelling
from standards.search.query import Query, normalise, read_query
from standards.segmentation import HAN

SYNONYMS_FILE = Path(settings.BASE_DIR) / "data" / "search_synonyms.csv"
RAREST_COUNT_LIMIT = 10_000  # matches counted per word to find the rarest
# The European and international prefixes that publish one number as the same document
# (the compact form of a key's document type, as printed).
EQUIVALENT_PREFIXES = {
    "EN": "EN", "ENIEC": "EN IEC", "ENISO": "EN ISO", "ENISOIEC": "EN ISO/IEC",
    "IEC": "IEC", "ISO": "ISO", "ISOIEC": "ISO/IEC",
}  # fmt: skip
PREFIX_ONLY = re.compile(r"^[A-Za-z]{1,5}(?:\s?/\s?[TZtz])?$|^(?:EN|en) (?:ISO|IEC|iso|iec)$")


@dataclass
class Relaxation:
    step: str  # "equivalents", "browse", "synonyms", "most_words", "spelling", "pinyin"
    text: str  # the query searched instead ("" when browsing)
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (typed, searched)

    @property
    def groups(self) -> list[tuple[str, list[str]]]:
        """`replaced` by what was typed: (typed, [what was searched instead…])."""
        grouped: dict[str, list[str]] = {}
        for typed, searched in self.replaced:
            grouped.setdefault(typed, []).append(searched)
        return list(grouped.items())

    dropped: list[str] = field(default_factory=list)  # most_words: the words left out
    document_types: list[str] = field(default_factory=list)  # browse


def relaxations(query: Query) -> Iterator[Relaxation]:
    """The loosened searches to try, in order (see the module's docstring)."""
    browse = document_types_for(query.text)
    if browse:
        yield Relaxation("browse", "", document_types=browse)
        return
    equivalents = identifier_equivalents(query)
    if equivalents:
        yield equivalents
    synonyms = with_synonyms(query.text)
    if synonyms:
        yield synonyms
        query = read_query(synonyms.text)
    words = _words(query)
    counts = {word: _matches(word) for word in words} if len(words) > 1 else {}
    if 0 in counts.values() or len(words) == 1:
        # A word that no standard holds is likely misspelt: corrected before dropped.
        yield from spelling(query)
        yield from most_words(query, counts)
    else:
        yield from most_words(query, counts)
        yield from spelling(query)


# -- 1. identifiers ----------------------------------------------------------------------


def identifier_equivalents(query: Query) -> Relaxation | None:
    """The query with each European or international identifier that matched nothing
    replaced by the same number under the prefixes that exist in the catalogue."""
    replaced, parts = [], []
    for parsed in query.identifiers:
        own = _compact(parsed.document_type)
        if own not in EQUIVALENT_PREFIXES:
            parts.append(str(parsed))
            continue
        rest = parsed.family_key[len(own) :]
        wanted = {prefix + rest: prefix for prefix in EQUIVALENT_PREFIXES if prefix != own}
        found = set(
            Standard.objects.public()
            .filter(family_key__in=wanted)
            .values_list("family_key", flat=True)
            .distinct()
        )
        spelled = [_respelled(parsed, wanted[key]) for key in sorted(found, key=len)]
        if spelled:
            replaced += [(str(parsed), alternative) for alternative in spelled]
            parts += spelled
        else:
            parts.append(str(parsed))
    if not replaced:
        return None
    return Relaxation("equivalents", _joined(parts, query), replaced=replaced)


def _compact(document_type: str) -> str:
    return re.sub(r"[^A-Z]", "", document_type.upper())


def _respelled(parsed, compact_prefix: str) -> str:
    part = f"{parsed.part_separator}{parsed.part}" if parsed.part else ""
    year = f":{parsed.year}" if parsed.year else ""
    return f"{EQUIVALENT_PREFIXES[compact_prefix]} {parsed.number}{part}{year}"


def _joined(identifiers: list[str], query: Query) -> str:
    """Identifiers followed by the rest of the query, as text to read again."""
    words = [*identifiers, *query.numbers, query.english]
    words += [pieces[0] for pieces in query.chinese]
    return " ".join(w for w in words if w)


_types: tuple[str, list[str]] = ("", [])


def document_types_for(text: str) -> list[str]:
    """The document types a query that is only a prefix names ("GB" → GB, GB/T, GB/Z;
    "QB/T" → QB/T; "EN" → EN, EN IEC, EN ISO), among those the catalogue holds."""
    typed = re.sub(r"\s*/\s*", "/", normalise(text)).upper()
    if not typed or not PREFIX_ONLY.match(typed):
        return []
    held = _held_types()
    return [t for t in held if t == typed or t.startswith((typed + "/", typed + " "))]


def _held_types() -> list[str]:
    global _types
    generation = page_cache.current_generation()
    if _types[0] != generation:
        held = (
            Standard.objects.public().order_by().values_list("document_type", flat=True).distinct()
        )
        _types = (generation, sorted(t for t in held if t))
    return _types[1]


def forget_types() -> None:
    global _types
    _types = ("", [])


# -- 2. synonyms -------------------------------------------------------------------------


_synonyms: list[tuple[str, str]] | None = None


def synonyms() -> list[tuple[str, str]]:
    """(typed, searched) pairs of data/search_synonyms.csv, longest typed first."""
    global _synonyms
    if _synonyms is None:
        with SYNONYMS_FILE.open(encoding="utf-8") as source:
            rows = [(r["typed"].strip(), r["searched"].strip()) for r in csv.DictReader(source)]
        _synonyms = sorted(((t, s) for t, s in rows if t and s), key=lambda r: -len(r[0]))
    return _synonyms


def with_synonyms(text: str) -> Relaxation | None:
    """`text` with each curated synonym replaced by the words the catalogue uses: a
    Latin synonym as a whole word, any case; a Chinese one wherever it is written."""
    replaced, result = [], normalise(text)
    for typed, searched in synonyms():
        if HAN.search(typed):
            pattern = re.escape(typed)
        else:
            pattern = rf"(?<![\w]){re.escape(typed)}(?![\w])"
        found = re.search(pattern, result, flags=re.IGNORECASE)
        if found:
            result = re.sub(pattern, f" {searched} ", result, flags=re.IGNORECASE)
            replaced.append((found.group(), searched))
    if not replaced:
        return None
    return Relaxation("synonyms", normalise(result), replaced=replaced)


# -- 3. most words -----------------------------------------------------------------------


def _words(query: Query) -> list[str]:
    """The query's words that can be dropped one by one: English terms (a quoted phrase
    counts as one) and Chinese words."""
    english = re.findall(r'-?"[^"]*"|\S+', query.english)
    return [*english, *(pieces[0] for pieces in query.chinese)]


def _matches(word: str) -> int:
    """How many public standards hold `word` (up to RAREST_COUNT_LIMIT): counted by the
    index when it can answer, else by PostgreSQL (the same number either way)."""
    tsquery = text_query(read_query(word))
    if tsquery is None:
        return RAREST_COUNT_LIMIT
    current = engine.usable_reader()
    if current is not None:
        words = engine.translate(engine.printed_tsquery(tsquery))
        if words is not None:
            return min(engine.count(current, words), RAREST_COUNT_LIMIT)
    found = Standard.objects.public().filter(search_vector=tsquery).values("pk")
    return found[:RAREST_COUNT_LIMIT].count()


def most_words(query: Query, counts: dict[str, int]) -> Iterator[Relaxation]:
    """The query without its rarest word, then without the next rarest, while at least
    one word is left (`counts`: the matches of each word alone)."""
    words = _words(query)
    if len(words) < 2:
        return
    dropped: list[str] = []
    kept = list(words)
    for word in sorted(words, key=lambda w: (counts[w], words.index(w)))[:-1]:
        dropped.append(word)
        kept.remove(word)
        identifiers = [str(p) for p in query.identifiers]
        text = " ".join([*identifiers, *query.numbers, *kept])
        yield Relaxation("most_words", text, dropped=list(dropped))


# -- 4. spelling and pinyin ---------------------------------------------------------------


def spelling(query: Query) -> Iterator[Relaxation]:
    """A product name within a typo of what was typed first (exporters type products:
    "hairdrier" is a hair dryer, not a barrier), then the words of the closest titles,
    then pinyin."""
    product = product_spelling(query.text)
    if product:
        yield Relaxation("spelling", product, replaced=[(query.text, product)])
    corrected = spelled_query(query)
    if corrected and corrected != product:
        yield Relaxation("spelling", corrected, replaced=[(query.text, corrected)])
    chinese = pinyin_query(query.text)
    if chinese:
        yield Relaxation("pinyin", chinese, replaced=[(query.text, chinese)])


def spelled_query(query: Query) -> str:
    """The English words of the query corrected from the titles most like it ("" when
    none needs it)."""
    if not query.english:
        return ""
    current = engine.usable_reader()
    tsquery = text_query(query)
    if current is not None and tsquery is not None:
        # The titles of the index's fuzzy matches (engine.similar_ids), not a trigram scan.
        ids = engine.similar_ids(current, engine.Filters(), engine.printed_tsquery(tsquery))
        titles = list(Standard.objects.filter(pk__in=ids).values_list("title_en", flat=True))
    else:
        similar = fallback_standards(Standard.objects.public(), query).order_by("-rank", "key")
        titles = list(similar.values_list("title_en", flat=True)[:10])
    corrected = suggest_spelling(query, [t or "" for t in titles])
    return corrected.replace('"', "") if corrected else ""


def product_spelling(text: str) -> str:
    """The product name of the vocabulary within a typo or two of `text` ("hairdrier" →
    "hair dryer"), in the script typed, or ""."""
    from standards.search.suggest import suggest

    typed = normalise(text).lower()
    for suggestion in suggest(typed, limit=1):
        if suggestion.kind != "product" or HAN.search(suggestion.matched) != HAN.search(typed):
            return ""  # a sector, or pinyin (pinyin_query reads it)
        name = suggestion.name_zh_hans if HAN.search(typed) else suggestion.name_en
        return name if name and name.lower() != typed else ""
    return ""


def pinyin_query(text: str) -> str:
    """Pinyin typed for a product or sector name ("wanju", "chui feng ji") → the name."""
    from standards.search.suggest import chinese_for_pinyin

    compact = re.sub(r"[\s']+", "", normalise(text)).lower()
    if not compact.isascii() or not compact.isalpha() or len(compact) < 4:
        return ""
    return chinese_for_pinyin(compact)
