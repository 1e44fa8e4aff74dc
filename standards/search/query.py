"""What was typed into the search box, read: standard numbers in any spelling, bare
document numbers, English words and phrases, Chinese words, and the product words of the
catalogue's vocabulary (ProductTerm)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from cesip import cache as page_cache
from cesip.web import is_chinese
from sectors.models import ProductTerm
from standards.identifiers import Identifier, IdentifierError, parse_identifier
from standards.search.bounds import (
    MAX_QUERY_LENGTH,  # noqa: F401 (part of this module's interface)
    MAX_QUERY_TERMS,
    bound_query,
    simple_terms,
)
from standards.segmentation import HAN, chinese_words

MAX_IDENTIFIER_WORDS = 4
BARE_NUMBER = re.compile(r"^\d{2,}(?:[.\-]\d+)*$")
WORD = re.compile(r"[\w'-]+")
# Chinese function words: in nearly every title, they find nothing on their own and are
# left out of a query (the words around them are searched).
CHINESE_STOP_WORDS = frozenset(
    "的 和 与 及 或 之 其 对 在 于 为 以 等 中 了 是 由 从 及其 以及 或者 并 并且 有关 关于 用 "
    "用于 一 个 各 该 此".split()
)


@dataclass
class ProductMatch:
    """A product term found in the query, with the HS codes it points to."""

    name_en: str
    name_zh_hans: str
    matched: str  # the words of the query that named it
    hs_codes: list[str] = field(default_factory=list)
    pk: int = 0
    parent: int | None = None  # the broader product's pk

    def name(self, language: str) -> str:
        return self.name_zh_hans if is_chinese(language) else self.name_en


@dataclass
class Query:
    text: str = ""
    shortened: bool = False
    identifiers: list[Identifier] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    english: str = ""  # for websearch_to_tsquery: words, "quoted phrases", -not
    chinese: list[list[str]] = field(default_factory=list)
    products: list[ProductMatch] = field(default_factory=list)
    stop_words: list[str] = field(default_factory=list)  # Chinese words left out

    def __bool__(self) -> bool:
        return bool(self.identifiers or self.numbers or self.english or self.chinese)

    @property
    def words(self) -> list[str]:
        """Every word to highlight, English and Chinese."""
        english = [w.lower() for w in WORD.findall(self.english) if not w.startswith("-")]
        return english + [piece for pieces in self.chinese for piece in pieces]

    @property
    def title_start(self) -> str:
        """The words typed, as a title beginning with them would be written (lower case;
        Chinese words joined): "" when the query names a standard number."""
        if self.identifiers or self.numbers:
            return ""
        english = " ".join(w for w in self.english.replace('"', " ").split() if w[:1] != "-")
        chinese = "".join(pieces[0] for pieces in self.chinese)
        return (english or chinese).lower() if not (english and chinese) else ""

    @property
    def product_codes(self) -> list[str]:
        return sorted({code for product in self.products for code in product.hs_codes})

    @property
    def only_identifier(self) -> Identifier | None:
        """The one identifier typed, when nothing else was."""
        if len(self.identifiers) == 1 and not (self.numbers or self.english or self.chinese):
            return self.identifiers[0]
        return None


def normalise(text: str) -> str:
    """Full-width forms to ASCII (ＧＢ／Ｔ → GB/T), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def read_query(text: str) -> Query:
    """The query read, after `bound_query` (length and terms) and `simple_terms` (the
    free words without operators): every engine is given the same bounded query."""
    query = Query(*bound_query(text))
    tokens = query.text.split(" ") if query.text else []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        found = _identifier_at(tokens, i)
        if found:
            parsed, i = found
            if parsed.key not in {p.key for p in query.identifiers}:
                query.identifiers.append(parsed)
            continue
        token = tokens[i]
        if BARE_NUMBER.match(token) and not re.fullmatch(r"(19|20)\d\d", token):
            query.numbers.append(token)
        else:
            rest.append(token)
        i += 1
    latin, han = [], []
    for token in rest:
        # Split "玩具safety" into its scripts; Chinese goes to segmentation.
        for piece in re.split(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)", token):
            if not piece:
                continue
            (han if HAN.match(piece) else latin).append(piece)
    query.english = _websearch_text(" ".join(latin))
    chinese = chinese_words("".join(han)) if han else []
    query.stop_words = [w[0] for w in chinese if w[0] in CHINESE_STOP_WORDS]
    chinese = [w for w in chinese if w[0] not in CHINESE_STOP_WORDS]
    if len(chinese) > MAX_QUERY_TERMS:
        chinese, query.shortened = chinese[:MAX_QUERY_TERMS], True
    query.chinese = chinese
    return query


def _identifier_at(tokens: list[str], start: int) -> tuple[Identifier, int] | None:
    """The longest run of tokens from `start` that reads as a standard number."""
    if not tokens[start][:1].isalpha() or HAN.match(tokens[start]):
        return None
    for end in range(min(len(tokens), start + MAX_IDENTIFIER_WORDS), start, -1):
        candidate = " ".join(tokens[start:end])
        if not any(ch.isdigit() for ch in candidate):
            continue
        try:
            return parse_identifier(candidate), end
        except IdentifierError:
            continue
    return None


def _websearch_text(text: str) -> str:
    """The free words in websearch_to_tsquery's syntax: words, "quoted phrases", and a
    minus before what must be absent (see bounds.simple_terms)."""
    written = []
    for term in simple_terms(text):
        words = " ".join(term.words)
        if len(term.words) > 1:
            words = f'"{words}"'
        written.append(f"-{words}" if term.negated else words)
    return " ".join(written)


@dataclass
class VocabularyTerm:
    """A product term as search matches it: its names normalised once."""

    name_en: str
    name_zh_hans: str
    names: list[tuple[str, str]]  # (as written, as product_text reads it)
    hs_codes: list[str]
    pk: int = 0
    parent: int | None = None


_product_rows: tuple[tuple, list[VocabularyTerm]] = ((), [])  # ((generation, writes), terms)
_product_writes = 0  # product terms written by this process (signals below)


def vocabulary() -> list[VocabularyTerm]:
    """The product terms with their HS codes, read again only when the catalogue
    generation changed (every write through the admin or a loading command starts a new
    one, see cesip.cache) or this process wrote product terms; not on every search."""
    global _product_rows
    generation = (page_cache.current_generation(), _product_writes)
    if _product_rows[0] != generation:
        # rewrite(False): both names as stored, without modeltranslation's per-row
        # fallbacks.
        rows = ProductTerm.objects.rewrite(False).values_list(
            "pk", "name_en", "name_zh_hans", "synonyms", "parent_id", "hs_codes__code"
        )
        terms: dict[int, VocabularyTerm] = {}
        for pk, name_en, name_zh, synonyms, parent, code in rows:
            if pk not in terms:
                names = [name_en or "", name_zh or "", *(synonyms or "").splitlines()]
                prepared = [(n, product_text(n)) for n in dict.fromkeys(names) if n.strip()]
                terms[pk] = VocabularyTerm(
                    name_en or "", name_zh or "", [p for p in prepared if p[1]], [], pk, parent
                )
            if code:
                terms[pk].hs_codes.append(code)
        _product_rows = (generation, [term for term in terms.values() if term.hs_codes])
    return _product_rows[1]


def forget_products() -> None:
    """Read the product terms afresh at the next search."""
    global _product_rows
    _product_rows = ((), [])


@receiver(post_save, sender=ProductTerm, dispatch_uid="search_products_saved")
@receiver(post_delete, sender=ProductTerm, dispatch_uid="search_products_deleted")
@receiver(m2m_changed, sender=ProductTerm.hs_codes.through, dispatch_uid="search_products_codes")
def _products_written(**kwargs) -> None:
    global _product_writes
    _product_writes += 1


LATIN_WORD = re.compile(r"[a-z][a-z0-9]*")
NEGATED = re.compile(r"(?:^|\s)-\S+")
# Plural endings read as the singular: "batteries" → "battery", "boxes" → "box",
# "glasses" → "glass", "toys" → "toy"; not "dress", "bus", "analysis".
KEEP_FINAL_S = ("ss", "us", "is")


def singular(word: str) -> str:
    """An English word without its plural ending (a rule, not a dictionary: both the
    vocabulary and the query are read through it, so they meet whatever it does)."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(KEEP_FINAL_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def product_text(text: str) -> str:
    """Text as product names are compared: full-width forms and case folded, an
    apostrophe's "s" and hyphens between words dropped ("Children's ride-on toys" →
    "children ride on toy"), each English word in the singular."""
    text = normalise(text).lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text).replace("'", "")
    text = re.sub("(?<=\\w)[-\u2010\u2011](?=\\w)", " ", text)
    text = LATIN_WORD.sub(lambda m: singular(m.group()), text)
    return " ".join(text.split())


def find_products(query: Query) -> Query:
    """Fill `query.products` with the product terms named in the query, in any case and
    number ("Hair Dryers", "toys"), by a name or a synonym in either language. A name
    inside a longer one that is also named gives way to it ("toy" in "plush toy"), and a
    broader product to a narrower one named with it ("plush toy 玩具"). Words after a
    minus ("-toys") name nothing."""
    haystack = f" {product_text(NEGATED.sub(' ', query.text))} "
    found: list[tuple[int, int, VocabularyTerm, str]] = []
    for term in vocabulary():
        best = None
        for name, prepared in term.names:
            start = _name_at(haystack, prepared)
            if start >= 0 and (best is None or len(prepared) > best[1] - best[0]):
                best = (start, start + len(prepared), term, name)
        if best:
            found.append(best)
    named = {term.pk for _start, _end, term, _name in found}
    broader = {term.parent for _start, _end, term, _name in found if term.parent in named}
    query.products = [
        ProductMatch(
            term.name_en, term.name_zh_hans, name, list(term.hs_codes), term.pk, term.parent
        )
        for start, end, term, name in found
        if term.pk not in broader
        and not any(s <= start and end <= e and e - s > end - start for s, e, _t, _n in found)
    ]
    return query


def _name_at(haystack: str, name: str) -> int:
    """Where `name` (read by product_text) is in the query, or -1: anywhere for Chinese,
    as whole words otherwise."""
    if name not in haystack:  # most names: no regular expression to compile
        return -1
    if HAN.search(name):
        return haystack.index(name)
    found = re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", haystack)
    return found.start() if found else -1


def highlight_terms(query: Query) -> list[str]:
    """Words to mark in titles: the English words (and their stems) and Chinese words."""
    terms = set()
    for word in query.words:
        if HAN.search(word):
            terms.add(word)
            continue
        if len(word) < 2:
            continue
        terms.add(word)
        for ending in ("ies", "es", "s", "ing", "ed"):
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                terms.add(word[: -len(ending)])
    return sorted(terms, key=len, reverse=True)
