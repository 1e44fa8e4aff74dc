"""The public record pages: standard, regulation, compare."""

from __future__ import annotations

import datetime
import re

from django.db.models import Prefetch, Q, Value
from django.db.models.functions import Replace
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from sectors.models import Sector
from standards.changelog import EVENT_ORDER
from standards.coverage import regulation_coverage
from standards.identifiers import (
    CHINESE_TYPE_SUFFIXES,
    IdentifierError,
    edition_keys,
    parse_identifier,
)
from standards.models import (
    Adoption,
    Change,
    Citation,
    Jurisdiction,
    Replacement,
    Standard,
    TechnicalRegulation,
)
from standards.requirements import covers
from standards.search.postgres import closest_identifiers
from standards.search.query import read_query
from standards.sources import evidence, official_records
from standards.status import lineage_keys

RECENT_CHANGES = 5


def _standards():
    return (
        Standard.objects.public()
        .with_status()
        .select_related("body", "amendment_of", "superseded_by")
        .prefetch_related(
            "ics_codes", "ccs_codes", "hs_codes", Prefetch("sectors", Sector.objects.all())
        )
    )


def _find_standard(slug: str) -> Standard | HttpResponse:
    """The standard at `slug`; a redirect when `slug` is another spelling of one."""
    standard = _standards().filter(slug=slug).first()
    if standard is not None:
        return standard
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
    editions, replacements = _editions(standard), _replacements(standard)
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
        "amendments": list(Standard.objects.public().filter(amendment_of=standard).with_status()),
        "counterparts": _counterparts_by_jurisdiction(standard),
        "citations": list(
            Citation.objects.public()
            .filter(standard=standard)
            .select_related("regulation", "replaces")
            .order_by("regulation__jurisdiction", "regulation__reference")
        ),
        "covering": _covering_regulations(standard),
        "official_links": official_records(standard),
        "evidence": evidence(standard),
        "changes": list(
            Change.objects.filter(standard=standard).order_by(*EVENT_ORDER)[:RECENT_CHANGES]
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
        .prefetch_related("hs_codes")
        .order_by("jurisdiction", "reference")
    )
    if standard.jurisdiction != Jurisdiction.INT:
        acts = acts.filter(jurisdiction=standard.jurisdiction)
    return [a for a in acts if covers([hs.code for hs in a.hs_codes.all()], codes)]


def _editions(standard: Standard) -> list[Standard]:
    """Every edition of the document, oldest first, this one included."""
    return sorted(
        Standard.objects.public()
        .filter(family_key__in=lineage_keys([standard.family_key]))
        .with_status()
        .select_related("superseded_by"),
        key=lambda s: (s.issued_date or datetime.date.min, s.key),
    )


def _replacements(standard: Standard) -> dict[str, list[Replacement]]:
    links = Replacement.objects.filter(Q(new=standard) | Q(old=standard)).select_related(
        "new", "old"
    )
    found: dict[str, list[Replacement]] = {"replaces": [], "replaced_by": []}
    for link in links:
        found["replaces" if link.new_id == standard.pk else "replaced_by"].append(link)
    return found


def _counterparts_by_jurisdiction(standard: Standard) -> list[tuple[str, list]]:
    """Counterparts grouped China, EU, international (the record's own side left out)."""
    groups: dict[str, list] = {}
    for counterpart in standard.counterparts():
        groups.setdefault(counterpart.standard.jurisdiction, []).append(counterpart)
    order = [Jurisdiction.CN, Jurisdiction.EU, Jurisdiction.INT]
    return [(Jurisdiction(j).label, groups[j]) for j in order if j in groups]


@require_safe
def regulation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    regulation = (
        TechnicalRegulation.objects.public()
        .filter(slug=slug)
        .select_related("successor")
        .prefetch_related("sectors", "hs_codes")
        .first()
    )
    if regulation is None:
        raise Http404(_("No regulation has this permalink."))
    citations = list(
        Citation.objects.public()
        .filter(regulation=regulation)
        .select_related("standard__body", "standard__superseded_by", "replaces")
        .order_by("standard__key")
    )
    ctx = {
        "regulation": regulation,
        "citations": citations,
        "coverage": regulation_coverage(regulation, held=len(citations)),
        "predecessors": list(regulation.predecessors.public()),
        "official_links": official_records(regulation),
        "evidence": evidence(regulation),
        "today": timezone.localdate(),
    }
    return render(request, "standards/regulation_detail.html", ctx)


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    """Two standards side by side: /compare/?a=<slug>&b=<slug>."""
    slugs = [request.GET.get("a", "").strip(), request.GET.get("b", "").strip()]
    found = {s.slug: s for s in _standards().filter(slug__in=[s for s in slugs if s])}
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
