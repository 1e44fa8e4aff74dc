"""The public record pages: standard, regulation, compare."""

from __future__ import annotations

import datetime
import re

from django.db.models import Prefetch, Q, Value
from django.db.models.functions import Replace
from django.dispatch import Signal
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards import status
from standards.changelog import EVENT_ORDER
from standards.coverage import regulation_coverage
from standards.formalities import attach_formalities, formality_rows
from standards.identifiers import (
    CHINESE_TYPE_SUFFIXES,
    IdentifierError,
    edition_keys,
    parse_identifier,
)
from standards.models import (
    LIST_DEFERRED,
    SEARCH_COLUMNS,
    Adoption,
    Change,
    Citation,
    Jurisdiction,
    Replacement,
    Standard,
    TechnicalRegulation,
)
from standards.requirements import covering
from standards.search import engine
from standards.search.postgres import closest_identifiers
from standards.search.query import read_query
from standards.sources import evidence, official_records
from standards.status import lineage_keys, phrase_fields, status_on

RECENT_CHANGES = 5
# Sent with `request` and `record` before a record page renders: the accounts app reads
# the page's watch button then (standards does not import accounts).
record_shown = Signal()

# What the record pages read of the rows they list, and nothing more: a list row is a
# link with, for an edition or a cited standard, its status badge (standards.status). A
# column left out here but shown would be read again, one query per row: the tests in
# tests/standards/test_page_queries.py count them.
LINK_FIELDS = ("identifier", "slug")
SIMILAR_FIELDS = (*LINK_FIELDS, "title_en", "title_zh_hans", "jurisdiction")
EDITION_FIELDS = (*LINK_FIELDS, "key", *phrase_fields())
# An act named in a list: its reference or, on a Chinese page, its Chinese name
# (standards.titles.act_name), and its short name.
ACT_FIELDS = ("reference", "slug", "jurisdiction", "short_name", "title_zh_hans")


def _codes_and_sectors() -> list[Prefetch]:
    """A record's sectors and codes, as its page shows them (code, name, link)."""
    return [
        Prefetch("sectors", Sector.objects.only("slug", "name")),
        Prefetch("hs_codes", HsCode.objects.only("code", "description")),
    ]


# What a record page shows of the edition it amends (a link) and of its successor (the
# status phrase's, and a link).
AMENDED_FIELDS = LINK_FIELDS
SUCCESSOR_FIELDS = (*LINK_FIELDS, *status.SUCCESSOR_FIELDS)


def _standards():
    # The related rows without the columns not shown: fewer columns to compile and read.
    related = [
        f"{rel}__{f.name}"
        for rel, shown in (("amendment_of", AMENDED_FIELDS), ("superseded_by", SUCCESSOR_FIELDS))
        for f in Standard._meta.concrete_fields
        if f.name not in shown and not f.primary_key
    ]
    return (
        Standard.objects.public()
        .select_related("body", "amendment_of", "superseded_by")
        .defer(*SEARCH_COLUMNS, *related)
        .prefetch_related(
            Prefetch("ics_codes", IcsCode.objects.only("code", "title")),
            Prefetch("ccs_codes", CcsCode.objects.only("code", "name")),
            *_codes_and_sectors(),
        )
    )


def _find_standard(slug: str) -> Standard | HttpResponse:
    """The standard at `slug`; a redirect when `slug` is another spelling of one."""
    standard = _standards().filter(slug=slug).first()
    if standard is not None:
        return with_status(standard)
    other = _same_identifier(slug)
    if other:
        return redirect("standards:standard_detail", slug=other, permanent=True)
    raise StandardNotFound(slug)


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("+", "plus")).replace("plus", "")


def _same_identifier(typed: str) -> str:
    """The permalink of the standard `typed` spells another way, or "".

    "GB/T 6675.2-2014" is parsed; URL-like spellings ("gb6675-2-2014", "gb-6675.2-2014")
    are compared without punctuation, and GB, GB/T and GB/Z are tried for each other.
    """
    try:
        parsed = parse_identifier(typed)
    except IdentifierError:
        parsed = None
    published = Standard.objects.public()
    if parsed is not None:
        slug = published.filter(key__in=edition_keys(parsed)).values_list("slug", flat=True)
        if slug:
            return slug[0]
    compact = _compact(typed)
    if len(compact) < 4:
        return ""
    variants = {compact}
    chinese = re.match(r"^([a-z]{1,3}?)([tz]?)(\d.*)$", compact)
    if chinese:
        letters, _suffix, rest = chinese.groups()
        variants |= {letters + suffix.lower() + rest for suffix in CHINESE_TYPE_SUFFIXES}
    found = (
        published.alias(
            compact=Replace(Replace("slug", Value("-"), Value("")), Value("plus"), Value(""))
        )
        .filter(compact__in=variants)
        .values_list("slug", flat=True)[:2]
    )
    return found[0] if len(found) == 1 else ""


class StandardNotFound(Http404):
    def __init__(self, slug: str):
        super().__init__(_("No standard has this permalink."))
        self.slug = slug


def _not_found(request: HttpRequest, slug: str) -> HttpResponse:
    typed = slug.replace("-", " ")
    closest = closest_identifiers(read_query(typed), limit=8)
    if not closest:
        closest = list(Standard.objects.public().filter(slug__startswith=slug.split("-")[0])[:8])
    ctx = {"typed": typed, "closest": closest, "robots": "noindex"}
    return render(request, "standards/standard_not_found.html", ctx, status=404)


@require_safe
def standard_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = _find_standard(slug)
    except StandardNotFound:
        return _not_found(request, slug)
    if isinstance(found, HttpResponse):
        return found
    standard = found
    # The watch button's rows (accounts), read before the template, which then runs no query.
    record_shown.send(sender=Standard, request=request, record=standard)
    counterparts = _counterparts_by_jurisdiction(standard)
    similar = _similar_ids(standard) if not counterparts else []
    (editions, amendments, similar_titles) = _editions(standard, similar)
    replacements = _replacements(standard)
    # An edition that this one replaced (or that replaced it) is said so on its row.
    by_pk = {edition.pk: edition for edition in editions}
    for key, other in (("replaces", "old_id"), ("replaced_by", "new_id")):
        for link in list(replacements[key]):
            edition = by_pk.get(getattr(link, other))
            if edition is not None:
                edition.link = (key, link.extent)
                replacements[key].remove(link)
    ctx = {
        "standard": standard,
        "editions": editions,
        "replacements": replacements,
        "amendments": amendments,
        "counterparts": counterparts,
        "similar_titles": similar_titles,
        "citations": list(
            Citation.objects.public()
            .filter(standard=standard)
            .select_related("regulation")
            .only(
                "regulation",
                "kind",
                "restrictions",
                "date_cited",
                "oj_reference",
                "presumption_ends",
                *(f"regulation__{name}" for name in ACT_FIELDS),
            )
            .order_by("regulation__jurisdiction", "regulation__reference")
        ),
        "covering": _covering_regulations(standard),
        "official_links": official_records(standard),
        "evidence": evidence(standard),
        "changes": list(
            Change.objects.filter(standard=standard)
            .only("occurred_on", "kind")
            .order_by(*EVENT_ORDER)[:RECENT_CHANGES]
        ),
        "today": timezone.localdate(),
    }
    return render(request, "standards/standard_detail.html", ctx)


def _covering_regulations(standard: Standard) -> list[TechnicalRegulation]:
    """Acts in force for the standard's products (by HS code) that do not cite it."""
    codes = [hs.code for hs in standard.hs_codes.all()]
    if not codes:
        return []
    today = timezone.localdate()
    acts = (
        TechnicalRegulation.objects.public()
        .in_force(today)
        .exclude(citations__standard=standard)
        .filter(covering(codes, "regulations"))
        .only(*ACT_FIELDS)
        .order_by("jurisdiction", "reference")
    )
    if standard.jurisdiction != Jurisdiction.INT:
        acts = acts.filter(jurisdiction=standard.jurisdiction)
    return list(acts)


def _editions(standard: Standard, similar: list[int]):
    """Every edition of the document, oldest first, this one included; the amendments of
    this edition, by key; and the public standards among `similar` (ids from
    `_similar_ids`), in that order. One query for the three (whatever the record: none
    is left out when a list is empty), a row being in more than one if it is."""
    families = lineage_keys([standard.family_key])
    rows = list(
        Standard.objects.public()
        .filter(Q(family_key__in=families) | Q(amendment_of=standard) | Q(pk__in=similar))
        .select_related("superseded_by")
        .only(*EDITION_FIELDS, *SIMILAR_FIELDS, "family_key", "amendment_of")
        .order_by("key")
    )
    editions = sorted(
        (with_status(row) for row in rows if row.family_key in families),
        key=lambda s: (s.issued_date or datetime.date.min, s.key),
    )
    amendments = [row for row in rows if row.amendment_of_id == standard.pk]
    by_pk = {row.pk: row for row in rows}
    return editions, amendments, [by_pk[pk] for pk in similar if pk in by_pk]


def with_status(standard: Standard) -> Standard:
    """`standard` with its `current_status` today, as `Standard.objects.with_status`
    gives it, from the status engine's rule in Python (`status_on`) on the columns read:
    for the few rows of a page, building and compiling the rule's SQL CASE cost more
    than the rest of the query."""
    standard.current_status = status_on(standard, timezone.localdate())
    return standard


def _replacements(standard: Standard) -> dict[str, list[Replacement]]:
    links = (
        Replacement.objects.filter(Q(new=standard) | Q(old=standard))
        .select_related("new", "old")
        .only(
            "new",
            "old",
            "extent",
            *(f"{side}__{name}" for side in ("new", "old") for name in LINK_FIELDS),
        )
    )
    found: dict[str, list[Replacement]] = {"replaces": [], "replaced_by": []}
    for link in links:
        found["replaces" if link.new_id == standard.pk else "replaced_by"].append(link)
    return found


def _counterparts_by_jurisdiction(standard: Standard) -> list[tuple[str, list]]:
    """Counterparts grouped China, EU, international (the record's own side left out)."""
    groups: dict[str, list] = {}
    for counterpart in standard.counterparts(SIMILAR_FIELDS):
        groups.setdefault(counterpart.standard.jurisdiction, []).append(counterpart)
    order = [Jurisdiction.CN, Jurisdiction.EU, Jurisdiction.INT]
    return [(Jurisdiction(j).label, groups[j]) for j in order if j in groups]


def _similar_ids(standard: Standard) -> list[int]:
    """For a record with no counterpart recorded: the ids of standards of the other
    markets whose titles share its telling words (the search engine's "more like this"),
    best first, which the page offers as leads to check, never as counterparts (read
    with the editions: `_editions`). None without the engine."""
    current = engine.usable_reader()
    if current is None:
        return []
    markets = [j for j in Jurisdiction.values if j != standard.jurisdiction]
    return list(engine.similar_titles(current, standard.pk, markets))


@require_safe
def regulation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    regulation = (
        TechnicalRegulation.objects.public()
        .filter(slug=slug)
        .select_related("successor")
        .defer(*SEARCH_COLUMNS, *(f"successor__{name}" for name in LIST_DEFERRED))
        .prefetch_related(*_codes_and_sectors())
        .annotate(route_rows=formality_rows())
        .first()
    )
    if regulation is None:
        raise Http404(_("No regulation has this permalink."))
    attach_formalities([regulation])  # regulation.route_formalities, from route_rows
    record_shown.send(sender=TechnicalRegulation, request=request, record=regulation)
    citations = list(
        Citation.objects.public()
        .filter(regulation=regulation)
        .select_related("standard__superseded_by", "replaces")
        .only(
            "standard",
            "replaces",
            "restrictions",
            "date_cited",
            "oj_reference",
            "presumption_ends",
            "replaces__identifier",
            "standard__title",
            *(f"standard__{name}" for name in LINK_FIELDS),
            *phrase_fields("standard__"),
        )
        .order_by("standard__key")
    )
    ctx = {
        "regulation": regulation,
        "citations": citations,
        "coverage": regulation_coverage(regulation, held=len(citations)),
        "predecessors": list(
            # The successor's id too: the related manager reads it on every row.
            regulation.predecessors.public().only(*ACT_FIELDS, "successor")
        ),
        "official_links": official_records(regulation),
        "evidence": evidence(regulation),
        "today": timezone.localdate(),
    }
    return render(request, "standards/regulation_detail.html", ctx)


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    """Two standards side by side: /compare/?a=<slug>&b=<slug>."""
    slugs = [request.GET.get("a", "").strip(), request.GET.get("b", "").strip()]
    found = {s.slug: with_status(s) for s in _standards().filter(slug__in=[s for s in slugs if s])}
    problems = [
        _("“%(slug)s” is not a standard in the catalogue.") % {"slug": slug[:80]}
        for slug in slugs
        if slug and slug not in found
    ]
    pair = [found.get(slug) for slug in slugs]
    ctx = {"pair": pair, "problems": problems, "a": slugs[0], "b": slugs[1]}
    if all(pair):
        a, b = pair
        ctx["link"] = (
            Adoption.objects.filter(Q(standard=a, adopted=b) | Q(standard=b, adopted=a))
            .select_related("standard", "adopted")
            .first()
        )
        ctx["via"] = [c for c in a.counterparts() if c.standard.pk == b.pk and c.via]
        cites = Citation.objects.public().filter(standard__in=pair)
        cites = cites.select_related("regulation").order_by("regulation__reference")
        for standard in pair:
            standard.cited = [c for c in cites if c.standard_id == standard.pk]
        ctx["rows"] = _compare_rows(a, b)
    return render(request, "standards/compare.html", ctx)


def _compare_rows(a: Standard, b: Standard) -> list[tuple[str, str, str]]:
    def dates(s: Standard, name: str) -> str:
        value = getattr(s, name)
        return value.isoformat() if value else "—"

    def codes(s: Standard, relation: str) -> str:
        return ", ".join(c.code for c in getattr(s, relation).all()) or "—"

    rows = [
        (_("Body"), a.body.code, b.body.code),
        (_("Jurisdiction"), a.get_jurisdiction_display(), b.get_jurisdiction_display()),
        (_("Legal force"), a.get_legal_force_display(), b.get_legal_force_display()),
        (_("Status"), a.get_status_display(), b.get_status_display()),
        (_("Issued"), a.issued_text or "—", b.issued_text or "—"),
        (_("In force from"), dates(a, "implementation_date"), dates(b, "implementation_date")),
        (_("DAV: date of availability"), dates(a, "dav"), dates(b, "dav")),
        (_("Withdrawn"), dates(a, "withdrawn_date"), dates(b, "withdrawn_date")),
        (_("DOW"), dates(a, "dow"), dates(b, "dow")),
        (_("ICS"), codes(a, "ics_codes"), codes(b, "ics_codes")),
        (_("HS codes"), codes(a, "hs_codes"), codes(b, "hs_codes")),
    ]
    return rows
