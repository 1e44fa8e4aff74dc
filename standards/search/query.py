"""What was typed into the search box, read: standard numbers in any spelling, bare
document numbers, English words and phrases, Chinese words, and the product words of the
catalogue's vocabulary (ProductTerm)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

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


@dataclass
class ProductMatch:
    """A product term found in the query, with the HS codes it points to."""

    name_en: str
    name_zh_hans: str
    matched: str  # the words of the query that named it
    hs_codes: list[str] = field(default_factory=list)

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

    def __bool__(self) -> bool:
        return bool(self.identifiers or self.numbers or self.english or self.chinese)

    @property
    def words(self) -> list[str]:
        """Every word to highlight, English and Chinese."""
        english = [w.lower() for w in WORD.findall(self.english) if not w.startswith("-")]
        return english + [piece for pieces in self.chinese for piece in pieces]

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


def find_products(query: Query) -> Query:
    """Fill `query.products` with the product terms named in the query (one SQL query)."""
    haystack = f" {query.text.lower()} "
    terms: dict[int, ProductMatch] = {}
    # rewrite(False): both names as stored, without modeltranslation's per-row fallbacks
    # (a few hundred rows on every search).
    rows = ProductTerm.objects.rewrite(False).values_list(
        "pk", "name_en", "name_zh_hans", "synonyms", "hs_codes__code"
    )
    for pk, name_en, name_zh, synonyms, code in rows:
        if pk not in terms:
            names = [name_en or "", name_zh or "", *(synonyms or "").splitlines()]
            matched = next((n for n in names if n.strip() and _names(haystack, n)), "")
            terms[pk] = ProductMatch(name_en or "", name_zh or "", matched)
        if code and terms[pk].matched:
            terms[pk].hs_codes.append(code)
    query.products = [term for term in terms.values() if term.matched and term.hs_codes]
    return query


def _names(haystack: str, name: str) -> bool:
    name = normalise(name).lower()
    if name not in haystack:  # most names: no regular expression to compile
        return False
    if HAN.search(name):
        return True
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", haystack) is not None


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
