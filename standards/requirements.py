"""The requirement sheet: what applies to a product (HS codes) in a destination market.

Regulations of the destination whose HS codes cover the product's; the standards those
regulations make compulsory or cite, and the destination's mandatory standards linked
to the product's HS codes; for each standard, the counterpart the exporter may already
meet at home (an adoption in either direction, or a shared international standard); for
each act, its route (authority, modules, third-party body, marking) and the formalities
it requires, grouped by kind for the sheet (standards.formalities).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from sectors.models import HsCode
from standards.formalities import FormalityGroup, attach_formalities, formality_rows
from standards.models import (
    Adoption,
    Citation,
    CitationKind,
    Jurisdiction,
    LegalForce,
    Standard,
    Status,
    TechnicalRegulation,
)
from standards.status import phrase_fields, status_on

# What still applies, or will: a superseded edition in its transition, and an edition whose
# status no source confirmed (not assumed gone), included.
LIVE = (Status.CURRENT, Status.UNCONFIRMED, Status.TRANSITION, Status.UPCOMING)


def covers(record_codes: list[str], product_codes: list[str]) -> bool:
    """An HS code of the record is the product's code, a code above it, or below it."""
    return any(r.startswith(p) or p.startswith(r) for r in record_codes for p in product_codes)


def covering(product_codes: list[str], related: str) -> Exists:
    """`covers` in SQL, for a filter: the record has an HS code that is one of
    `product_codes`, above one (a prefix of it) or below one. `related` names the records
    from HsCode ("regulations", "standards"). The rows are then chosen by the database,
    not read with all their codes to be sorted out here."""
    return Exists(HsCode.objects.filter(covering_codes(product_codes), **{related: OuterRef("pk")}))


def covering_codes(product_codes: list[str]) -> Q:
    """`covers` for HsCode rows: one of `product_codes`, above one or below one (each
    condition an index range on the code)."""
    above = {code[:n] for code in product_codes for n in range(1, len(code) + 1)}
    condition = Q(code__in=above)
    for code in product_codes:
        condition |= Q(code__startswith=code)
    return condition


def for_product(product_codes: list[str]):
    """The ids of the standards with an HS code that covers the product (`covers`), read
    from the link table: the database starts from the few codes that cover it and their
    links, not from the whole catalogue joined to its codes."""
    links = Standard.hs_codes.through.objects.filter(
        hscode__in=HsCode.objects.filter(covering_codes(product_codes))
    )
    return links.values("standard_id")


# What the sheet shows of an act (and its coverage line: standards.coverage): its name in
# either language (standards.titles.act_name), route, authority, marking and date.
SHEET_ACT_FIELDS = (
    "reference", "slug", "short_name", "short_name_en", "short_name_zh_hans", "title_zh_hans",
    "jurisdiction", "kind", "conformity_route", "marking", "applies_from",
    "competent_authority_en", "competent_authority_zh_hans", "conformity_modules",
    "third_party", "route_source_url",
)  # fmt: skip
# What it shows of a standard: the link, the title and where it comes from, the badge;
# the legal force makes it mandatory, the key orders the rows.
SHEET_STANDARD_FIELDS = (
    "identifier", "slug", "key", "legal_force", "title", "title_en_source",
    "title_zh_hans_source", *phrase_fields(),
)  # fmt: skip
# A counterpart is a link; the jurisdiction says whether it is from home.
COUNTERPART_FIELDS = ("identifier", "slug", "jurisdiction")


@dataclass(frozen=True)
class HomeMatch:
    standard: Standard
    degree: str
    via: Standard | None = None


@dataclass
class SheetStandard:
    standard: Standard
    citations: list[Citation] = field(default_factory=list)
    home: list[HomeMatch] = field(default_factory=list)

    @property
    def mandatory(self) -> bool:
        return self.standard.legal_force == LegalForce.MANDATORY or any(
            c.kind in (CitationKind.COMPULSORY, CitationKind.CCC_TESTING) for c in self.citations
        )

    @property
    def harmonised(self) -> bool:
        return any(c.kind == CitationKind.HARMONISED for c in self.citations)


@dataclass
class RequirementSheet:
    market: str
    codes: list[str]
    regulations: list[TechnicalRegulation]
    mandatory: list[SheetStandard]
    harmonised: list[SheetStandard]
    other: list[SheetStandard]
    # Public standards cited under these acts, for any product: what CESIP holds of
    # their lists (standards.coverage).
    cited_held: int = 0
    # The formalities the acts require, one group per kind (each act also carries its
    # own as `route_formalities`).
    formalities: list[FormalityGroup] = field(default_factory=list)
    # What the product's scope (standards.products.Scope) left out although its HS codes
    # brought it in.
    left_out_acts: list[TechnicalRegulation] = field(default_factory=list)
    left_out_standards: list[Standard] = field(default_factory=list)

    @property
    def home(self) -> str:
        return Jurisdiction.EU if self.market == Jurisdiction.CN else Jurisdiction.CN

    @property
    def empty(self) -> bool:
        return not (self.regulations or self.mandatory or self.harmonised or self.other)


def requirement_sheet(
    codes: list[str], market: str, today: datetime.date | None = None, *, scope=None
):
    """Six queries whatever the number of codes, regulations and standards, reading
    the columns the sheet shows. `scope` (a standards.products.Scope) adds the acts and
    standards the product's terms include and drops those they exclude."""
    today = today or timezone.localdate()
    acts, linked = Q(covering(codes, "regulations")), Q(pk__in=for_product(codes))
    if scope is not None:
        acts |= scope.act_condition("reference")
        linked |= scope.standard_condition("key")
    regulations, left_out_acts = [], []
    for regulation in (
        TechnicalRegulation.objects.public()
        .filter(jurisdiction=market)
        .in_force(today)
        .filter(acts)
        .only(*SHEET_ACT_FIELDS)
        .annotate(route_rows=formality_rows())
        .order_by("kind", "reference")
    ):
        dropped = scope is not None and scope.excludes_act(regulation.reference)
        (left_out_acts if dropped else regulations).append(regulation)
    standards = (
        Standard.objects.public()
        .filter(jurisdiction=market)
        # Only standards for this product (an act cites many for other products): those
        # cited by the acts and those linked by their codes alike have a code covering it.
        .filter(linked)
        .select_related("superseded_by")
        .only(*SHEET_STANDARD_FIELDS)
        .order_by("key")
    )
    rows: dict[int, SheetStandard] = {}
    left_out_standards = []
    for standard in standards:
        if scope is not None and scope.excludes_standard(standard.key):
            left_out_standards.append(standard)
            continue
        # What applies, or will: the status engine's rule in Python on the few rows for
        # the product (its SQL CASE costs more to build than these rows to sort out).
        standard.current_status = status_on(standard, today)
        if standard.current_status in LIVE:
            rows[standard.pk] = SheetStandard(standard)
    # Public citations only: "N more, for other products" links to the act's page, which
    # lists no unpublished standard.
    cited = list(
        Citation.objects.public()
        .filter(regulation__in=regulations)
        .values_list("regulation_id", "standard_id")
    )
    shown = {regulation.pk: 0 for regulation in regulations}
    for regulation_id, standard_id in cited:
        if standard_id in rows:
            shown[regulation_id] += 1
    for citation in Citation.objects.filter(
        regulation__in=regulations, standard__in=list(rows)
    ).only("regulation", "standard", "kind", "presumption_ends"):
        citation.regulation = next(r for r in regulations if r.pk == citation.regulation_id)
        rows[citation.standard_id].citations.append(citation)
    counts = Counter(regulation_id for regulation_id, _standard in cited)
    for regulation in regulations:
        regulation.cited_elsewhere = counts[regulation.pk] - shown[regulation.pk]
    home = Jurisdiction.EU if market == Jurisdiction.CN else Jurisdiction.CN
    for standard_id, found in home_counterparts(list(rows), home).items():
        rows[standard_id].home = found
    entries = sorted(rows.values(), key=lambda e: e.standard.key)
    return RequirementSheet(
        market=market,
        codes=codes,
        regulations=regulations,
        mandatory=[e for e in entries if e.mandatory],
        harmonised=[e for e in entries if not e.mandatory and e.harmonised],
        other=[e for e in entries if not e.mandatory and not e.harmonised],
        cited_held=len({standard_id for _regulation, standard_id in cited}),
        formalities=attach_formalities(regulations),
        left_out_acts=left_out_acts,
        left_out_standards=left_out_standards,
    )


def home_counterparts(ids: list[int], home: str) -> dict[int, list[HomeMatch]]:
    """For each standard, its counterparts in `home` or international.

    A direct adoption in either direction gives its degree; a `home` standard adopting the
    same international standard is matched "via" it. Two queries for any number of ids.
    """
    found: dict[int, list[HomeMatch]] = defaultdict(list)
    if not ids:
        return found
    wanted = (home, Jurisdiction.INT)
    both = [
        *(f"{side}__{name}" for side in ("standard", "adopted") for name in COUNTERPART_FIELDS),
        "standard",
        "adopted",
        "degree",
    ]
    direct = (
        Adoption.objects.filter(Q(standard__in=ids) | Q(adopted__in=ids))
        .select_related("standard", "adopted")
        .only(*both)
    )
    international: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for adoption in direct:
        if adoption.standard_id in ids and adoption.adopted.jurisdiction in wanted:
            found[adoption.standard_id].append(HomeMatch(adoption.adopted, adoption.degree))
        if adoption.adopted_id in ids and adoption.standard.jurisdiction in wanted:
            found[adoption.adopted_id].append(HomeMatch(adoption.standard, adoption.degree))
        if adoption.standard_id in ids and adoption.adopted.jurisdiction == Jurisdiction.INT:
            international[adoption.adopted_id].append((adoption.standard_id, adoption.degree))
    if international:
        shared = (
            Adoption.objects.filter(
                adopted__in=list(international),
                standard__jurisdiction=home,
                standard__published=True,
            )
            .select_related("standard", "adopted")
            .only(*both)
        )
        for adoption in shared:
            for standard_id, _degree in international[adoption.adopted_id]:
                found[standard_id].append(
                    HomeMatch(adoption.standard, adoption.degree, via=adoption.adopted)
                )
    return found
