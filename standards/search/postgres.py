"""The PostgreSQL full-text path of search: candidates, ranking and fall-backs.

What `query.read_query` read (standard numbers, bare document numbers, English and
Chinese words, product words) becomes one SQL query each in `search_standards` and
`search_regulations`:

- an identifier matches on the normalised key: the exact edition first, then every
  edition of the document, then its parts ("EN 71" finds EN 71-1, EN 71-2 …);
- words match the stored search column (Standard.search_vector): English
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
the full-text index and a sort (see `words_walk_index`).

When nothing matches, `fallback_standards` tries trigram similarity on the titles (typos,
fragments) and `closest_identifiers` offers the nearest standard numbers.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.contrib.postgres.search import (
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import DatabaseError
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest

from standards import search  # search.RESULT_LIMIT, read at each call (tests lower it)
from standards.models import Citation, LegalForce, Standard, Status, TechnicalRegulation
from standards.search.expressions import (
    candidates_order,
    identifier_condition,
    pk_in,
    product_links,
    product_score,
    text_query,
    unindexed,
    with_product,
)
from standards.search.planner import words_walk_index
from standards.search.query import WORD, Query

TRIGRAM_THRESHOLD = 0.45
# SQLSTATE classes of a query PostgreSQL refuses for what it says, not for the state of
# the server: data exceptions (22), syntax (42), limits of its parser (54), and the
# internal error its text-search parser raises ("tsquery stack too small", XX000).
REFUSED_QUERY_CLASSES = {"22", "42", "54"}


def cannot_run(error: DatabaseError) -> bool:
    """Whether PostgreSQL refused a search itself (a query bounds.simple_terms let
    through), rather than failing to answer (a lost connection, a shutdown): the page
    then says so instead of answering 500."""
    cause = error.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None) or ""
    return code[:2] in REFUSED_QUERY_CLASSES or code == "XX000"


def search_standards(queryset, query: Query, *, order: list | None = None):
    """`queryset` narrowed to what `query` matches, annotated with `rank` (higher first)
    and `matched_by_product`. Expects a queryset annotated by with_status() and already
    filtered: each way of matching contributes at most RESULT_LIMIT + 1 of its rows, the
    first in `order` (default candidates_order())."""
    order = order or candidates_order()
    exact, family = identifier_condition(query)
    tsquery = text_query(query)
    links = product_links(Standard, query.product_codes)
    ways = [exact, family]
    rank = Case(When(exact, then=Value(100.0)), When(family, then=Value(50.0)), default=0.0)
    words = None
    if tsquery is not None:
        words = Q(search_vector=tsquery)
        ways.append(words)
        rank = rank + SearchRank(F("search_vector"), tsquery) * 10
    if links is not None:
        ways.append(links[0] | links[1] | links[2])
    start = query.title_start
    if start and words is not None:
        begins = Q(title_en__istartswith=start) | Q(title_zh_hans__startswith=start)
        rank = rank + Case(When(begins, then=Value(search.TITLE_START_SCORE)), default=0.0)
    if words is not None:
        cited = Exists(Citation.objects.filter(standard=OuterRef("pk"), regulation__published=True))
        rank = rank + Case(
            When(legal_force=LegalForce.MANDATORY, then=Value(search.MANDATORY_SCORE)),
            default=0.0,
        )
        rank = rank + Case(When(cited, then=Value(search.CITED_SCORE)), default=0.0)
        general = ~Q(family_key__regex=search.HAS_PART) | Q(family_key__regex=search.FIRST_PART)
        rank = rank + Case(When(general, then=Value(search.GENERAL_PART_SCORE)), default=0.0)
    # Among equals, what is in force now comes first.
    rank = rank + Case(
        When(current_status=Status.CURRENT, then=Value(1.0)),
        When(current_status=Status.UNCONFIRMED, then=Value(0.9)),
        When(current_status=Status.UPCOMING, then=Value(0.8)),
        When(current_status=Status.TRANSITION, then=Value(0.6)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    candidates = Q(pk__in=[])
    for way in ways:
        if way == Q(pk__in=[]):
            continue
        matching = queryset.filter(way)
        way_order = order
        if way is words and not words_walk_index(tsquery):
            way_order = unindexed(order)
        first = matching.order_by(*way_order).values("pk")[: search.RESULT_LIMIT + 1]
        candidates |= pk_in(first)
    return (
        queryset.filter(candidates)
        .alias(product_score=product_score(links))
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
    tsquery = text_query(query)
    if tsquery is not None:
        queryset = queryset.alias(text_rank=SearchRank(F("search_vector"), tsquery))
        condition |= Q(search_vector=tsquery)
        rank = rank + F("text_rank") * 10
    queryset, by_product = with_product(queryset, TechnicalRegulation, query)
    if by_product is not None:
        condition |= by_product
        rank = rank + F("product_score")
    return (
        queryset.filter(condition)
        .annotate(rank=rank, matched_by_product=Q(product_score__gt=0))
        .order_by("-rank", "reference")
    )
