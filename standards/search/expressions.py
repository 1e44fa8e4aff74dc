"""The SQL pieces search is built from: the identifier, word and product conditions and
scores, the one "pk among ids" expression, and the order in which candidates are taken."""

from __future__ import annotations

from django.contrib.postgres.search import (
    SearchQuery,
)
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    Subquery,
    Value,
    When,
)

from standards.identifiers import key_variants
from standards.models import Standard
from standards.search.query import Query


def text_query(query: Query) -> SearchQuery | None:
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


def identifier_condition(query: Query) -> tuple[Q, Q]:
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


class PkIn(Func):
    """`pk` among the primary keys of a values() subquery, spelt as `pk_in` chooses."""

    output_field = BooleanField()
    SPELLINGS = {
        "array": "{pk} = ANY(ARRAY{ids})",
        "hashed": "({pk} IN {ids}) IS TRUE",
    }

    def __init__(self, ids, *, spelling: str, **extra):
        self.spelling = spelling
        super().__init__(F("pk"), Subquery(ids), **extra)

    def as_sql(self, compiler, connection, **extra):
        pk, pk_params = compiler.compile(self.source_expressions[0])
        ids, ids_params = compiler.compile(self.source_expressions[1])
        return self.SPELLINGS[self.spelling].format(pk=pk, ids=ids), (*pk_params, *ids_params)


def pk_in(ids, *, hashed: bool = False) -> Q:
    """Rows whose pk is among `ids` (a values() queryset of primary keys), in the spelling
    that lets PostgreSQL plan the search well; plain `pk IN (subquery)` plans badly in both
    cases below.

    Default, `pk = ANY(ARRAY(ids))`: PostgreSQL computes the array once and looks each key
    up in the primary key index, so the condition combines with others in an OR through a
    bitmap (search candidates, product links); `pk IN (subquery)` inside an OR is instead
    checked against every row of the table.

    `hashed=True`, `(pk IN (ids)) IS TRUE`: for a relation filter (a sector's standards)
    when no words and no other relation narrow the search. Plain `pk IN` becomes a join,
    and PostgreSQL then walks the newest-first index probing the link table once per row
    (20,000 probes for a sector). Wrapped, the subquery runs once into a hash table
    ("hashed SubPlan") that each row is checked against while the index is walked, until
    RESULT_LIMIT + 1 rows: a few milliseconds. Not otherwise: the planner guesses that half
    the rows pass, and walks the index instead of reading the word index or joining the
    other relation. (The hash table must fit in hash_mem, 8 MB by default: about 150,000
    standards in one sector.)"""
    return Q(PkIn(ids, spelling="hashed" if hashed else "array"))


def product_links(model, codes: list[str]) -> tuple[Q, Q, Q] | None:
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
        pk_in(through.objects.filter(condition).values(owner))
        for condition in (own, heading, chapter)
    )
    return own, heading, chapter


def product_score(links: tuple[Q, Q, Q] | None):
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


def with_product(queryset, model, query: Query):
    """Alias `product_score` (see product_score) and the condition of a product match."""
    links = product_links(model, query.product_codes)
    if links is None:
        return queryset.alias(product_score=Value(0.0)), None
    return queryset.alias(product_score=product_score(links)), links[0] | links[1] | links[2]


def candidates_order(sort: str = "relevance") -> list:
    """Newest first (by implementation date for that sort), then by number: the order of
    the "newest" and "implementation" sorts, and the one in which search candidates are
    taken. Indexes serve both (migration 0007)."""
    field = "implementation_date" if sort == "implementation" else "issued_date"
    return [F(field).desc(nulls_last=True), "key"]


def unindexed(order: list) -> list:
    """The same order, written so that no index serves it: `issued_date + 0` sorts as
    `issued_date` does, but the planner then reads the matches through the full-text index
    and sorts them instead of walking the newest-first index."""
    first, *rest = order
    date = first.expression
    shifted = ExpressionWrapper(date + Value(0), output_field=DateField())
    return [shifted.desc(nulls_last=True), *rest]
