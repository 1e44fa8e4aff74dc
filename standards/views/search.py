from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Page, Paginator
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from cesip.web import page_number
from sectors.models import Sector
from standards.coverage import search_coverage
from standards.filters import SORTS, StandardFilterSet
from standards.identifiers import edition_keys
from standards.models import Jurisdiction, Standard, TechnicalRegulation
from standards.search import engine
from standards.search.bounds import MAX_QUERY_LENGTH, MAX_QUERY_TERMS, bound_query
from standards.search.expressions import text_query
from standards.search.facets import (
    FACET_ORDER,
    Facets,
    facet_counts,
    facet_groups,
    facet_labels,
)
from standards.search.postgres import (
    cannot_run,
    closest_identifiers,
    fallback_standards,
    search_regulations,
    suggest_spelling,
)
from standards.search.query import Query, highlight_terms, read_query
from standards.search.relax import relaxations, with_synonyms
from standards.search.suggest import suggest
from standards.status import phrase_fields

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
# What a result row shows (besides its status badge, status.phrase_fields): the page
# reads only these columns of its twenty rows.
ROW_FIELDS = [
    "slug", "identifier", "key", "jurisdiction", "legal_force", "title_en", "title_zh_hans",
    "title_en_source", "title_zh_hans_source", "issued_date", "issued_precision",
    "implementation_date", "body__code", "body__name_en", "body__name_zh_hans",
]  # fmt: skip
REGULATIONS_SHOWN = 5
FILTER_PARAMETERS = [
    "sector", "jurisdiction", "status", "legal_force", "document_type", "body", "ics",
    "regulation", "issued_after", "issued_before", "implemented_after", "implemented_before",
]  # fmt: skip
# Every link of the page repeats its address (pages, log-in, languages, watch buttons):
# the address is bounded, each value and the whole (see `bounded_parameters`).
MAX_VALUE_LENGTH = 100
MAX_VALUES = 50  # per parameter
MAX_ADDRESS_LENGTH = 4000  # of the encoded query string; a Chinese q takes up to 1,800


_public_standards: dict[tuple, QuerySet] = {}


def public_standards() -> QuerySet:
    """The public standards with the status engine's `current_status`, as a fresh clone.
    The status expression is resolved once per day and language (resolving it is about a
    third of a selective search's time); each call clones that queryset, never evaluated
    itself."""
    key = (timezone.localdate(), get_language())
    if key not in _public_standards:
        for old in [k for k in _public_standards if k[0] != key[0]]:
            del _public_standards[old]  # yesterday's
        _public_standards[key] = Standard.objects.public().with_status(key[0])
    return _public_standards[key].all()


@require_safe
def search_view(request: HttpRequest) -> HttpResponse:
    bounded, shortened = bounded_parameters(request.GET)
    if shortened:
        # The same search, shortened, at its own (bounded) address.
        messages.info(
            request,
            _(
                "Your search was shortened: at most %(terms)s words and %(limit)s "
                "characters are searched."
            )
            % {"terms": MAX_QUERY_TERMS, "limit": MAX_QUERY_LENGTH},
        )
        url = f"{request.path}?{bounded.urlencode()}"
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    data = request.GET.copy()
    data.setdefault("sort", "relevance")
    filterset, problems = StandardFilterSet(
        data, queryset=Standard.objects.public(), request=request
    ).cleaned()
    ctx = {
        "filterset": filterset,
        "form": filterset.form,
        "problems": problems,
        "sorts": SORTS,
        "hide_header_search": True,
        "query_length": MAX_QUERY_LENGTH,
        "query_terms": MAX_QUERY_TERMS,
        "has_filters": any(request.GET.getlist(name) for name in FILTER_PARAMETERS),
    }
    try:
        # In a savepoint: a search PostgreSQL refuses leaves the connection usable.
        with transaction.atomic():
            response = _search(request, ctx, filterset)
    except DatabaseError as error:
        if not cannot_run(error):
            raise
        query = filterset.query if filterset.query.text else read_query(data.get("q", ""))
        logger.warning("Search %r could not run: %s", query.text, error)
        ctx.update(query=query, searched=True, search_failed=True, terms=[])
        response = None
    return response or _render_search(request, ctx)


def bounded_parameters(params: QueryDict) -> tuple[QueryDict, bool]:
    """The search's parameters within bounds, and whether any had to be cut: q as
    `bound_query` leaves it, every other value at most MAX_VALUE_LENGTH characters, at
    most MAX_VALUES values per parameter, and MAX_ADDRESS_LENGTH characters in all (the
    values beyond are dropped)."""
    bounded, shortened, length = QueryDict(mutable=True), False, 0
    for name, values in params.lists():
        key = name[:MAX_VALUE_LENGTH]
        shortened = shortened or key != name or len(values) > MAX_VALUES
        for value in values[:MAX_VALUES]:
            if name == "q":
                text, cut = bound_query(value)
                value = text if cut else value
            else:
                cut, value = len(value) > MAX_VALUE_LENGTH, value[:MAX_VALUE_LENGTH]
            length += len(urlencode({key: value})) + 1
            if length > MAX_ADDRESS_LENGTH:
                return bounded, True
            bounded.appendlist(key, value)
            shortened = shortened or cut
    return bounded, shortened


def _search(request: HttpRequest, ctx: dict, filterset: StandardFilterSet) -> HttpResponse | None:
    """Run the search into `ctx`; or a redirect, to the one record it names."""
    query = filterset.read_q()
    has_filters = ctx["has_filters"]
    ctx.update(
        query=query,
        searched=bool(query or query.products or has_filters),
        terms=highlight_terms(query),
        # Typed, but only signs ("----", "<->"): nothing is left to search for.
        nothing_to_search=bool(query.text) and not (query or query.products),
    )
    if not ctx["searched"]:
        ctx["sectors"] = Sector.objects.all()
        return None

    # Typed an identifier with its year, and it exists: go straight to the record.
    exact = query.only_identifier
    if exact and exact.year and not request.htmx and not has_filters and "page" not in request.GET:
        hits = list(public_standards().filter(key__in=edition_keys(exact))[:2])
        if len(hits) == 1:
            return redirect("standards:standard_detail", slug=hits[0].slug)

    selected = {name: request.GET.getlist(name) for name in FACET_ORDER}
    answer = _results(request, ctx, filterset, query, selected)
    searched = query
    acts = None  # the regulations for the query as typed, once read
    if not ctx["facets"].total and query.text and not request.GET.get("page"):
        # Nothing at all found (no standard, no act): the search is loosened.
        acts = _acts(query)
        if not acts:
            relaxed = _relaxed(request, ctx, filterset, query, selected)
            if relaxed:
                answer, searched = relaxed
    ctx["coverage"] = _coverage(request, query, answer)
    if searched or searched.products:
        if ctx["page"].number == 1 and query.text:
            ctx["matching_sectors"] = _matching_sectors(query.text)
        if ctx["page"].number == 1:
            ctx["regulations"] = acts or _regulations(query, searched, ctx)
        if not ctx["facets"].total:
            _no_results(ctx, filterset, query, answer)
    ctx["query_string"] = _query_string(request)
    return None


def _results(request, ctx: dict, filterset, query: Query, selected) -> IndexAnswer | None:
    """The search's facets, page and rows into `ctx`; the engine's answer, if it gave it."""
    found = search_index(request, filterset, query, selected)
    if found is None:
        # PostgreSQL: one query lists the result (its first search.RESULT_LIMIT rows, in
        # order) and counts its facets; the page then reads only its own rows.
        facets = facet_counts(filterset.qs, selected)
        paginator = Paginator(facets.ids, PAGE_SIZE)
        number, page_note = page_number(request.GET.get("page"), paginator.num_pages)
        page = paginator.page(number)
        rows = _page_rows(page.object_list, facets.by_product)
    else:
        facets, page, page_note, rows = found.facets, found.page, found.page_note, found.rows
    _explain(rows, query)
    ctx.update(facets=facets, page=page, rows=rows, page_note=page_note)
    ctx["facet_groups"] = [
        (name, filterset.filters[name].label, facets.groups[name])
        for name in FACET_ORDER
        if facets.groups[name]
    ]
    return found


def _relaxed(request, ctx: dict, filterset, query: Query, selected):
    """The first loosened search (search.relax) that finds standards, its results in
    `ctx` and said there (`relaxed`): (its answer, its query); None when none finds any
    (`ctx` then holds the search as typed)."""
    typed = dict(ctx)
    for relaxation in relaxations(query):
        data = filterset.data.copy()
        if relaxation.step == "browse":
            data.pop("q", None)
            data["document_type"] = ",".join(relaxation.document_types)
        else:
            data["q"] = relaxation.text
        loosened, _problems = StandardFilterSet(
            data, queryset=Standard.objects.public(), request=request
        ).cleaned()
        relaxed_query = loosened.read_q()
        answer = _results(request, ctx, loosened, relaxed_query, selected)
        if ctx["facets"].total:
            ctx.update(relaxed=relaxation, terms=highlight_terms(relaxed_query))
            if relaxation.step == "browse":
                ctx["browse_url"] = "?" + urlencode({"document_type": data["document_type"]})
            return answer, relaxed_query
    ctx.clear()
    ctx.update(typed)
    return None


def _acts(query: Query) -> list[TechnicalRegulation]:
    if not (query or query.products):
        return []
    public = TechnicalRegulation.objects.public()
    return list(search_regulations(public, query)[:REGULATIONS_SHOWN])


def _regulations(query: Query, searched: Query, ctx: dict) -> list[TechnicalRegulation]:
    """The regulations for the query as searched (loosened, when it was), else as typed,
    else with its synonyms (3C → 强制性产品认证 names the CCC rules)."""
    public = TechnicalRegulation.objects.public()
    tried = [searched] if searched is query else [searched, query]
    synonyms = with_synonyms(query.text)
    if synonyms:
        tried.append(read_query(synonyms.text))
    for candidate in tried:
        if candidate or candidate.products:
            found = list(search_regulations(public, candidate)[:REGULATIONS_SHOWN])
            if found:
                if candidate is not searched and not ctx["facets"].total:
                    ctx["terms"] = highlight_terms(candidate)
                return found
    return []


class PageIds(Sequence):
    """The result as the paginator sees it: `total` rows, of which the engine listed the
    one page asked for."""

    def __init__(self, total: int, offset: int, ids: list[int]):
        self.total, self.offset, self.ids = total, offset, ids

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if isinstance(index, slice) and (index.start or 0) == self.offset:
            return self.ids
        raise IndexError("only the page the engine listed can be read")


@dataclass
class IndexAnswer:
    facets: Facets
    page: Page
    page_note: str
    rows: list[Standard]
    current: engine.Reader
    filters: engine.Filters
    printed: str  # the words as PostgreSQL read them (a tsquery)


def search_index(request, filterset, query: Query, selected) -> IndexAnswer | None:
    """The search through the index: every match counted, every facet over all of them,
    the page's rows; None when the index cannot answer (search.engine.usable)."""
    current = engine.usable_reader()
    if current is None:
        return None
    data = filterset.form.cleaned_data
    filters = engine.Filters(
        sector=[sector.slug for sector in data.get("sector") or []],
        jurisdiction=list(data.get("jurisdiction") or []),
        status=list(data.get("status") or []),
        legal_force=list(data.get("legal_force") or []),
        document_type=filterset.document_types(data.get("document_type")),
        body=[body.code for body in data.get("body") or []],
        ics=(data.get("ics") or "").strip(),
        regulation=data["regulation"].slug if data.get("regulation") else "",
        issued=(data.get("issued_after"), data.get("issued_before")),
        implemented=(data.get("implemented_after"), data.get("implemented_before")),
    )
    tsquery = text_query(query)
    printed = engine.printed_tsquery(tsquery) if tsquery is not None else ""
    words = engine.translate(printed) if printed else None
    index_query, ranked = engine.search_query(query, filters, words=words)
    sort = data.get("sort") or "relevance"
    raw = request.GET.get("page")
    asked = int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10**6 else 1
    counting = engine.in_background(engine.facet_counts, current, index_query)
    total, ids = engine.page_ids(current, index_query, ranked=ranked, sort=sort,
                                 offset=(asked - 1) * PAGE_SIZE, size=PAGE_SIZE)  # fmt: skip
    number, page_note = page_number(raw, max(1, math.ceil(total / PAGE_SIZE)))
    offset = (number - 1) * PAGE_SIZE
    if number != asked:  # beyond the last page, or not a page number: the page shown
        total, ids = engine.page_ids(current, index_query, ranked=ranked, sort=sort,
                                     offset=offset, size=PAGE_SIZE)  # fmt: skip
    counts = counting.result()
    counts["ics"] = counts.pop("ics_group", {})
    facets = Facets(total=total, limit=total, ids=ids)
    facets.groups = facet_groups(counts, facet_labels(counts), selected)
    page = Paginator(PageIds(total, offset, ids), PAGE_SIZE).page(number)
    rows = _page_rows(ids, set())
    facets.by_product = {row.pk for row in rows if _linked_to_product(row, query)}
    for row in rows:
        row.matched_by_product = row.pk in facets.by_product
    return IndexAnswer(facets, page, page_note, rows, current, filters, printed)


def _linked_to_product(row: Standard, query: Query) -> bool:
    """Whether a row is linked to a product of the query: its own code or one below, its
    heading or its chapter (as expressions.product_links)."""
    codes = query.product_codes
    for code in row.hs_code_list:
        if any(code.startswith(c) or code in (c[:4], c[:2]) for c in codes):
            return True
    return False


def _page_rows(ids: list[int], by_product: set[int]) -> list[Standard]:
    """The standards of one page, in the order of `ids`; their status is the status
    engine's in Python (status.status_on, on the row's own columns), which is cheaper for
    twenty rows than building its SQL expression."""
    codes = Standard.hs_codes.through.objects.filter(standard_id=OuterRef("pk"))
    found = (
        Standard.objects.public()
        .filter(pk__in=ids)
        .select_related("body", "superseded_by")
        .only(*ROW_FIELDS, *phrase_fields())
        # The HS codes, for the product reasons, in the same query.
        .annotate(hs_code_list=ArraySubquery(codes.values("hscode__code")))
    )
    by_pk = {standard.pk: standard for standard in found}
    rows = [by_pk[pk] for pk in ids if pk in by_pk]
    for row in rows:
        row.matched_by_product = row.pk in by_product
    return rows


def _coverage(request: HttpRequest, query: Query, answer: IndexAnswer | None):
    """What the catalogue holds in the jurisdictions searched (all unless filtered), and
    the publishers' catalogues to search for the same words."""
    wanted = request.GET.getlist("jurisdiction")
    jurisdictions = list(dict.fromkeys(j for j in wanted if j in Jurisdiction.values))
    if answer is not None:
        held = engine.held(answer.current, jurisdictions)
    else:
        public = Standard.objects.public()
        if jurisdictions:
            public = public.filter(jurisdiction__in=jurisdictions)
        held = public.count()
    return search_coverage(held=held, jurisdictions=jurisdictions, q=query.text)


def _matching_sectors(text: str) -> list[Sector]:
    """Sectors whose name, in either language, is in the query or contains it."""
    text = text.strip().casefold()
    if not text:
        return []
    return [
        sector
        for sector in Sector.objects.all()
        if any(
            name and (name.casefold() in text or text in name.casefold())
            for name in (sector.name_en, sector.name_zh_hans)
        )
    ]


def _explain(rows: list[Standard], query: Query) -> None:
    """Say why a row matched through a product word (its title may not name it)."""
    for row in rows:
        row.reasons = []
        if not getattr(row, "matched_by_product", False):
            continue
        codes = row.hs_code_list
        for product in query.products:
            linked = [
                code
                for code in codes
                if any(p.startswith(code) or code.startswith(p) for p in product.hs_codes)
            ]
            if linked:
                row.reasons.append((product, linked))


def _no_results(
    ctx: dict, filterset: StandardFilterSet, query: Query, answer: IndexAnswer | None
) -> None:
    """Nothing matched: titles with words close to those typed (fuzzy terms on the
    index; trigrams on PostgreSQL, and for Chinese), the closest standard numbers, and a
    spelling to try."""
    similar = []
    if answer is not None:
        ids = engine.similar_ids(answer.current, answer.filters, answer.printed)
        found = {s.pk: s for s in Standard.objects.public().filter(pk__in=ids)}
        similar = [found[pk] for pk in ids if pk in found]
    if not similar:
        data = filterset.data.copy()
        data.pop("q", None)
        others = StandardFilterSet(data, queryset=public_standards()).qs.order_by()
        similar = list(fallback_standards(others, query).order_by("-rank", "key")[:10])
    ctx["similar"] = similar
    ctx["closest"] = closest_identifiers(query)
    ctx["spelling"] = suggest_spelling(query, [s.title_en or "" for s in similar])
    # The products and sectors the words may name, to go on from (the product finder).
    ctx["suggested_products"] = [s for s in suggest(query.text) if s.kind == "product"][:5]


def _query_string(request: HttpRequest) -> str:
    """The current search without its page, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _render_search(request: HttpRequest, ctx: dict) -> HttpResponse:
    template = "standards/search.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, ctx)
