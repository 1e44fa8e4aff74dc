"""One search box for standards and regulations, in English or Chinese.

`read_query` splits what was typed into standard numbers (any spelling), bare document
numbers, English words and phrases, and Chinese words. `search_standards` and
`search_regulations` turn that into one SQL query each:

- an identifier matches on the normalised key: the exact edition first, then every
  edition of the document, then its parts ("EN 71" finds EN 71-1, EN 71-2 …);
- words match the stored search column (standards.models._search_vector): English
  stemmed with the `english` configuration, Chinese segmented with rjieba into the
  `simple` one; titles weigh more than scopes;
- product words ("hair dryer", "电吹风") are looked up in ProductTerm and match the
  records linked to the product's HS codes, even when the title says "appliances for
  skin or hair care";
- current standards rank above withdrawn ones.

Ranking reads every candidate row, so the candidates are bounded: each way of matching
(identifier, words, product) contributes at most RESULT_LIMIT + 1 rows, the newest first
(see `candidates_order`). Below RESULT_LIMIT matches this is every match and the ranking
is exact; above it, the page says "1,000+" and ranks the most recent matches of each kind.
Common words take their newest matches by walking a newest-first index; rarer ones from
the full-text index and a sort (see `_words_walk_index`).

When nothing matches, `fallback_standards` tries trigram similarity on the titles (typos,
fragments) and `closest_identifiers` offers the nearest standard numbers.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.db.models.sql import Query as SQLQuery

from cesip.web import is_chinese
from sectors.models import ProductTerm
from standards.identifiers import Identifier, IdentifierError, key_variants, parse_identifier
from standards.models import Standard, Status, TechnicalRegulation
from standards.segmentation import HAN, chinese_words

MAX_QUERY_LENGTH = 200
MAX_IDENTIFIER_WORDS = 4
QUOTES = re.compile(r"[\"“”「」『』]")
BARE_NUMBER = re.compile(r"^\d{2,}(?:[.\-]\d+)*$")
WORD = re.compile(r"[\w'-]+")
TRIGRAM_THRESHOLD = 0.45
RESULT_LIMIT = 1000  # rows ranked, counted and listed per search; beyond it, "1,000+"


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
    text = normalise(text)
    query = Query(text=text[:MAX_QUERY_LENGTH], shortened=len(text) > MAX_QUERY_LENGTH)
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
    query.chinese = chinese_words("".join(han)) if han else []
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
    """Text safe for websearch_to_tsquery: words, balanced quotes, leading minus."""
    text = QUOTES.sub('"', text)
    if text.count('"') % 2:
        text = text.replace('"', " ")
    kept = re.sub(r"[^\w\s\"'\-]", " ", text)
    return " ".join(kept.split())


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


# ----------------------------------------------------------------------------------------
# Conditions and ranking
# ----------------------------------------------------------------------------------------


def _text_query(query: Query) -> SearchQuery | None:
    parts = []
    if query.english:
        parts.append(SearchQuery(query.english, config="english", search_type="websearch"))
    for pieces in query.chinese:
        # The word itself, or all of its shorter words ("电动玩具" or "电动" and "玩具").
        text = pieces[0] if len(pieces) == 1 else f"{pieces[0]} | ({' & '.join(pieces[1:])})"
        parts.append(SearchQuery(text, config="simple", search_type="raw"))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined &= part
    return combined


def _identifier_condition(query: Query) -> tuple[Q, Q]:
    """(this document, its parts or a number inside the key) conditions.

    With a year, "this document" is the edition typed; without one, every edition.
    """
    exact, family = Q(pk__in=[]), Q(pk__in=[])
    for parsed in query.identifiers:
        for key, family_key in key_variants(parsed):
            exact |= Q(key=key) if parsed.year else Q(family_key=family_key)
            family |= Q(family_key=family_key)
            family |= Q(key__startswith=family_key + "-") | Q(key__startswith=family_key + ".")
    for number in query.numbers:
        family |= Q(key__contains=number.upper())
    return exact, family


class _OneOf(Func):
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        pk, pk_params = compiler.compile(self.source_expressions[0])
        ids, ids_params = compiler.compile(self.source_expressions[1])
        return f"{pk} = ANY(ARRAY{ids})", (*pk_params, *ids_params)


def one_of(ids) -> Q:
    """`pk = ANY(ARRAY(ids))` for a values() queryset of primary keys.

    PostgreSQL computes the array once and looks each key up in the primary key index,
    so the condition combines with others in an OR through a bitmap; `pk IN (subquery)`
    inside an OR is instead checked against every row of the table."""
    return Q(_OneOf(F("pk"), Subquery(ids)))


def _product_links(model, codes: list[str]) -> tuple[Q, Q, Q] | None:
    """Records linked to the product's own HS codes (or codes below them), to their
    heading, or to their chapter: three conditions, closest first."""
    if not codes:
        return None
    own = Q(hscode__code__in=codes)
    for code in codes:
        own |= Q(hscode__code__startswith=code)
    heading = Q(hscode__code__in={code[:4] for code in codes if len(code) > 4})
    chapter = Q(hscode__code__in={code[:2] for code in codes})
    through = model.hs_codes.through
    owner = "standard_id" if model is Standard else "technicalregulation_id"
    own, heading, chapter = (
        one_of(through.objects.filter(condition).values(owner))
        for condition in (own, heading, chapter)
    )
    return own, heading, chapter


def _product_score(links: tuple[Q, Q, Q] | None):
    """6 for the product's own code, 3 its heading, 1 its chapter."""
    if links is None:
        return Value(0.0)
    own, heading, chapter = links
    return Case(
        When(own, then=Value(6.0)),
        When(heading, then=Value(3.0)),
        When(chapter, then=Value(1.0)),
        default=Value(0.0),
    )


def _with_product(queryset, model, query: Query):
    """Alias `product_score` (see _product_score) and the condition of a product match."""
    links = _product_links(model, query.product_codes)
    if links is None:
        return queryset.alias(product_score=Value(0.0)), None
    return queryset.alias(product_score=_product_score(links)), links[0] | links[1] | links[2]


def candidates_order(sort: str = "relevance") -> list:
    """Newest first (by implementation date for that sort), then by number: the order of
    the "newest" and "implementation" sorts, and the one in which search candidates are
    taken. Indexes serve both (migration 0007)."""
    field = "implementation_date" if sort == "implementation" else "issued_date"
    return [F(field).desc(nulls_last=True), "key"]


def _unindexed(order: list) -> list:
    """The same order, written so that no index serves it: `issued_date + 0` sorts as
    `issued_date` does, but the planner then reads the matches through the full-text index
    and sorts them instead of walking the newest-first index."""
    first, *rest = order
    date = first.expression
    shifted = ExpressionWrapper(date + Value(0), output_field=DateField())
    return [shifted.desc(nulls_last=True), *rest]


@dataclass
class _WordStatistics:
    """PostgreSQL's statistics on the search column: its estimate of the table's rows and
    the share of rows holding each of the (up to 1,000) commonest lexemes; any other
    lexeme is in fewer than `floor` of the rows."""

    rows: float
    shares: dict[str, float]
    floor: float


# The printed tsquery, and (when the statistics kept in memory are older than
# STATISTICS_TTL) the table's estimated rows and pg_stats' commonest lexemes with their
# shares, whose array ends with the lowest and highest share and the share of nulls.
PRINTED_TSQUERY_SQL = "SELECT ({tsquery})::text"
WORD_STATISTICS_SQL = """
SELECT ({tsquery})::text, c.reltuples, st.most_common_elems::text::text[],
       st.most_common_elem_freqs
FROM pg_class c
LEFT JOIN pg_stats st ON st.schemaname = c.relnamespace::regnamespace::text
 AND st.tablename = c.relname AND st.attname = 'search_vector'
WHERE c.oid = %s::regclass
"""
STATISTICS_TTL = 60  # seconds; ANALYZE (autovacuum) refreshes them far less often
_statistics: tuple[float, _WordStatistics | None] = (-math.inf, None)  # (read at, figures)


def _printed_and_statistics(tsquery: SearchQuery) -> tuple[str, _WordStatistics | None]:
    """The tsquery as PostgreSQL prints it, and the statistics (None without any: a table
    never analysed); one query either way, so a search page's query count stays fixed."""
    global _statistics
    sql_query = SQLQuery(Standard)
    sql, params = sql_query.get_compiler(connection=connection).compile(
        tsquery.resolve_expression(sql_query)
    )
    read_at, stats = _statistics
    fresh = time.monotonic() - read_at < STATISTICS_TTL
    with connection.cursor() as cursor:
        if fresh:
            cursor.execute(PRINTED_TSQUERY_SQL.format(tsquery=sql), params)
            return cursor.fetchone()[0] or "", stats
        cursor.execute(WORD_STATISTICS_SQL.format(tsquery=sql), [*params, Standard._meta.db_table])
        printed, rows, lexemes, shares = cursor.fetchone()
    stats = None
    if lexemes and rows and rows > 0:
        stats = _WordStatistics(
            float(rows), dict(zip(lexemes, shares, strict=False)), float(shares[len(lexemes)])
        )
    _statistics = (time.monotonic(), stats)
    return printed or "", stats


TSQUERY_TOKEN = re.compile(r"\s*('(?:[^']|'')*'(?::[*A-D]+)?|<->|<\d+>|[!&|()])")


def _share_at_most(tsquery_text: str, stats: _WordStatistics) -> float:
    """An upper bound on the share of rows a tsquery (as PostgreSQL prints it) matches:
    a lexeme's share from the statistics, the least of the parts it requires (& and
    phrases), the sum of the alternatives (|); 1 when it cannot tell (prefixes, NOT)."""
    tokens = TSQUERY_TOKEN.findall(tsquery_text)
    if "".join(tokens).replace(" ", "") != tsquery_text.replace(" ", ""):
        return 1.0
    position = 0

    def peek() -> str:
        return tokens[position] if position < len(tokens) else ""

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def alternatives() -> float:
        share = required()
        while peek() == "|":
            take()
            share = min(1.0, share + required())
        return share

    def required() -> float:
        share = phrase()
        while peek() == "&":
            take()
            share = min(share, phrase())
        return share

    def phrase() -> float:
        share = single()
        while peek() == "<->" or peek().startswith("<"):
            take()
            share = min(share, single())
        return share

    def single() -> float:
        token = take() if peek() else ""
        if token == "!":
            single()
            return 1.0
        if token == "(":
            share = alternatives()
            if take() != ")":
                raise ValueError(tsquery_text)
            return share
        if not token.startswith("'"):
            raise ValueError(tsquery_text)
        word, _quote, flags = token[1:].rpartition("'")
        if "*" in flags:
            return 1.0
        return stats.shares.get(word.replace("''", "'"), stats.floor)

    if not tokens:
        return 0.0  # only stop words: matches nothing
    try:
        share = alternatives()
    except (ValueError, IndexError):
        return 1.0
    return share if position == len(tokens) else 1.0


def _words_walk_index(tsquery: SearchQuery) -> bool:
    """Whether the newest RESULT_LIMIT + 1 matches of the words are best found by walking
    the newest-first index and checking each row, or by reading every match from the
    full-text index and sorting them (the same rows either way).

    The walk reads about rows × RESULT_LIMIT / matches rows, the sort reads the matches:
    the walk wins above √(RESULT_LIMIT × rows) matches ("safety", "安全"), the sort below
    ("电器" on 200,000 standards: 47 → 15 ms). PostgreSQL itself walks the index for both,
    as it underrates the cost of checking a row. The matches are bounded from its
    statistics (`_share_at_most`); without statistics the index is walked.
    """
    printed, stats = _printed_and_statistics(tsquery)
    if stats is None:
        return True
    matches = _share_at_most(printed, stats) * stats.rows
    return matches >= math.sqrt((RESULT_LIMIT + 1) * stats.rows)


def search_standards(queryset, query: Query, *, order: list | None = None):
    """`queryset` narrowed to what `query` matches, annotated with `rank` (higher first)
    and `matched_by_product`. Expects a queryset annotated by with_status() and already
    filtered: each way of matching contributes at most RESULT_LIMIT + 1 of its rows, the
    first in `order` (default candidates_order())."""
    order = order or candidates_order()
    exact, family = _identifier_condition(query)
    tsquery = _text_query(query)
    links = _product_links(Standard, query.product_codes)
    ways = [exact, family]
    rank = Case(When(exact, then=Value(100.0)), When(family, then=Value(50.0)), default=0.0)
    words = None
    if tsquery is not None:
        words = Q(search_vector=tsquery)
        ways.append(words)
        rank = rank + SearchRank(F("search_vector"), tsquery) * 10
    if links is not None:
        ways.append(links[0] | links[1] | links[2])
    # Among equals, what is in force now comes first.
    rank = rank + Case(
        When(current_status=Status.CURRENT, then=Value(1.0)),
        When(current_status=Status.UPCOMING, then=Value(0.8)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    candidates = Q(pk__in=[])
    for way in ways:
        if way == Q(pk__in=[]):
            continue
        matching = queryset.filter(way)
        way_order = order
        if way is words and not _words_walk_index(tsquery):
            way_order = _unindexed(order)
        first = matching.order_by(*way_order).values("pk")[: RESULT_LIMIT + 1]
        candidates |= one_of(first)
    return (
        queryset.filter(candidates)
        .alias(product_score=_product_score(links))
        .annotate(rank=rank + F("product_score"), matched_by_product=Q(product_score__gt=0))
    )


def fallback_standards(queryset, query: Query):
    """Trigram word similarity on both titles, for typos and fragments."""
    words = " ".join(WORD.findall(query.english.replace('"', " ")))
    han = "".join(pieces[0] for pieces in query.chinese)
    if not words and not han:
        return queryset.none().annotate(rank=Value(0.0), matched_by_product=Value(False))
    similarity = []
    if words:
        similarity.append(TrigramWordSimilarity(Value(words), "title_en"))
    if han:
        similarity.append(TrigramWordSimilarity(Value(han), "title_zh_hans"))
    score = similarity[0] if len(similarity) == 1 else Greatest(*similarity)
    condition = Q()
    if words:
        condition |= Q(title_en__trigram_word_similar=words)
    if han:
        condition |= Q(title_zh_hans__trigram_word_similar=han)
    return (
        queryset.filter(condition)
        .annotate(rank=score, matched_by_product=Value(False))
        .filter(rank__gte=TRIGRAM_THRESHOLD)
    )


def closest_identifiers(query: Query, limit: int = 5) -> list[Standard]:
    """The standard numbers nearest to an identifier or number that matched nothing.

    An identifier is compared with the keys that share its letters and first three digits
    (a range of the key index: "GBT200…" for GB/T 20001.1), a bare number with the keys
    holding its trigrams; comparing it with every key would take longer than the page."""
    from django.contrib.postgres.search import TrigramSimilarity

    typed = [p.key for p in query.identifiers] + [n.upper() for n in query.numbers]
    if not typed:
        return []
    near = re.match(r"[A-Z/]+\d{1,3}", typed[0])
    condition = Q(key__startswith=near.group()) if near else Q(key__trigram_similar=typed[0])
    return list(
        Standard.objects.public()
        .filter(condition)
        .annotate(similarity=TrigramSimilarity("key", typed[0]))
        .filter(similarity__gt=0.3)
        .order_by("-similarity", "key")[:limit]
    )


def suggest_spelling(query: Query, titles: list[str]) -> str:
    """The query with each English word that no title contains replaced by the closest
    word of those titles (from a fallback search), or "" when nothing changes."""
    vocabulary = {w.lower() for title in titles for w in WORD.findall(title) if len(w) > 2}
    changed, words = False, []
    for word in query.english.split():
        lower = word.lower().strip('"')
        if not lower or lower in vocabulary or not lower.isalpha():
            words.append(word)
            continue
        best = max(vocabulary, key=lambda v: SequenceMatcher(None, lower, v).ratio(), default="")
        if best and SequenceMatcher(None, lower, best).ratio() >= 0.75:
            words.append(best)
            changed = True
        else:
            words.append(word)
    return " ".join(words) if changed else ""


def search_regulations(queryset, query: Query):
    """Regulations for the same query: reference, titles and the product's HS codes."""
    condition = Q(pk__in=[])
    rank = Value(0.0)
    for text in [query.text]:
        if len(text) >= 3:
            condition |= Q(reference__icontains=text)
    for parsed in query.identifiers:
        condition |= Q(reference__icontains=str(parsed))
    for number in query.numbers:
        condition |= Q(reference__icontains=number)
    tsquery = _text_query(query)
    if tsquery is not None:
        queryset = queryset.alias(text_rank=SearchRank(F("search_vector"), tsquery))
        condition |= Q(search_vector=tsquery)
        rank = rank + F("text_rank") * 10
    queryset, by_product = _with_product(queryset, TechnicalRegulation, query)
    if by_product is not None:
        condition |= by_product
        rank = rank + F("product_score")
    return (
        queryset.filter(condition)
        .annotate(rank=rank, matched_by_product=Q(product_score__gt=0))
        .order_by("-rank", "reference")
    )


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
