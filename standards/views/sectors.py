"""Sector pages and the product finder."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cesip.web import is_chinese, join_list
from sectors.models import HsCode, ProductTerm, Sector
from standards.changelog import EVENT_ORDER
from standards.coverage import sector_coverage, sheet_coverage
from standards.models import (
    Change,
    Citation,
    Jurisdiction,
    LegalForce,
    ProductScope,
    Standard,
    TechnicalRegulation,
)
from standards.products import Finding, broad_products, scope_for
from standards.products import find as find_product
from standards.requirements import LIVE, requirement_sheet
from standards.search.query import normalise
from standards.views.sheet_exports import sheet_response

CHART_MONTHS = 24
SECTOR_STANDARDS_SHOWN = 15
LATEST_CHANGES = 8
MARKETS = {"cn": Jurisdiction.CN, "eu": Jurisdiction.EU}


@require_safe
def sector_detail(request: HttpRequest, slug: str) -> HttpResponse:
    sector = get_object_or_404(Sector, slug=slug)
    today = timezone.localdate()
    regulations = list(
        TechnicalRegulation.objects.public()
        .filter(sectors=sector)
        .in_force(today)
        .order_by("jurisdiction", "kind", "reference")
    )
    standards = Standard.objects.public().filter(sectors=sector).with_status(today)
    counts = {
        row["jurisdiction"]: row["n"]
        for row in standards.order_by().values("jurisdiction").annotate(n=Count("pk"))
    }
    key_standards = list(
        standards.filter(current_status__in=LIVE)
        .exclude(jurisdiction=Jurisdiction.INT)
        .select_related("body", "superseded_by")
        .order_by(
            # Mandatory first, then the newest.
            ExpressionWrapper(Q(legal_force=LegalForce.MANDATORY), BooleanField()).desc(),
            "-issued_date",
            "key",
        )[:SECTOR_STANDARDS_SHOWN]
    )
    ctx = {
        "sector": sector,
        "today": today,
        "sources": [line.strip() for line in sector.market_access_sources.splitlines() if line],
        "regulations_cn": [r for r in regulations if r.jurisdiction == Jurisdiction.CN],
        "regulations_eu": [r for r in regulations if r.jurisdiction == Jurisdiction.EU],
        "counts": [(Jurisdiction(j).label, j, counts.get(j, 0)) for j in Jurisdiction.values],
        "key_standards": key_standards,
        "coverage": _sector_coverage(regulations, sum(counts.values())),
        "chart": coming_into_force(sector, today),
        "changes": list(
            Change.objects.filter(sectors=sector)
            .select_related("standard", "regulation")
            .order_by(*EVENT_ORDER)[:LATEST_CHANGES]
        ),
    }
    return render(request, "sectors/sector_detail.html", ctx)


def _sector_coverage(regulations: list[TechnicalRegulation], standards: int):
    """What CESIP holds for the sector, with the official lists of its acts that cite
    standards (one query)."""
    citing = set(
        Citation.objects.public()
        .filter(regulation__in=regulations)
        .values_list("regulation_id", flat=True)
        .distinct()
    )
    return sector_coverage(
        standards=standards,
        acts=len(regulations),
        citing=[regulation for regulation in regulations if regulation.pk in citing],
    )


def _month_start(day: datetime.date, months_ahead: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return datetime.date(index // 12, index % 12 + 1, 1)


def coming_into_force(sector: Sector, today: datetime.date) -> dict:
    """Per month of the next 24: standards coming into force and act dates, with the bars
    of a server-drawn SVG chart (two queries)."""
    start, end = _month_start(today, 0), _month_start(today, CHART_MONTHS)
    months = [_month_start(today, i) for i in range(CHART_MONTHS)]
    standards = (
        Standard.objects.public()
        .filter(
            sectors=sector,
            implementation_date__gte=max(today, start),
            implementation_date__lt=end,
        )
        .only("identifier", "slug", "implementation_date")
        .order_by("implementation_date", "key")
    )
    acts = []
    for regulation in (
        TechnicalRegulation.objects.public()
        .filter(sectors=sector)
        .filter(
            Q(applies_from__gte=today, applies_from__lt=end)
            | Q(transition_ends__gte=today, transition_ends__lt=end)
            | Q(repealed_date__gte=today, repealed_date__lt=end)
        )
    ):
        for name, label in (
            ("applies_from", _("applies from")),
            ("transition_ends", _("transition ends")),
            ("repealed_date", _("repealed")),
        ):
            day = getattr(regulation, name)
            if day and today <= day < end:
                acts.append((day, regulation, label))
    acts.sort(key=lambda item: (item[0], item[1].reference))
    standards = list(standards)
    per_month = {month: 0 for month in months}
    for standard in standards:
        per_month[standard.implementation_date.replace(day=1)] += 1
    acts_per_month = {month: 0 for month in months}
    for day, _regulation, _label in acts:
        acts_per_month[day.replace(day=1)] += 1
    peak = max([*per_month.values(), *acts_per_month.values(), 1])
    width, height, gap = 24, 120, 6
    bars = []
    for i, month in enumerate(months):
        n, a = per_month[month], acts_per_month[month]
        h = round(n / peak * height)
        ha = round(a / peak * height)
        bars.append(
            {
                "month": month,
                "x": i * (width + gap) + 30,
                "standards": n,
                "acts": a,
                "y": height - h + 10,
                "h": h,
                "ya": height - ha + 10,
                "ha": ha,
            }
        )
    return {
        "bars": bars,
        "width": CHART_MONTHS * (width + gap) + 40,
        "height": height + 50,
        "baseline": height + 10,
        "peak": peak,
        "standards": standards,
        "acts": acts,
        "total": len(standards) + len(acts),
    }


HS_CODE = re.compile(r"^\d{2}(?:\.?\d{2}){0,4}$")


def default_market() -> str:
    """The destination when none is chosen: the other market of the reader's language
    (a Chinese exporter reads /zh-hans/ and ships to the EU; a European one, to China)."""
    return "eu" if is_chinese() else "cn"


@require_safe
def product_finder(request: HttpRequest) -> HttpResponse:
    """/products/?q=hair+dryer&market=eu or ?hs=851631&market=cn → a requirement sheet.

    The product is read by standards.products.find: a broad product ("toys") gets its own
    sheet and the narrower products to choose from; a query that names none gets the
    closest products and sectors; the chosen products' scope (curated decisions) adds
    acts and standards to the sheet or leaves them out."""
    text = normalise(request.GET.get("q", ""))[:200]
    hs_text = request.GET.get("hs", "").strip()
    market_value = request.GET.get("market", "").strip().lower() or default_market()
    problems, codes = [], []
    if not hs_text and HS_CODE.match(text.replace(" ", "")):
        hs_text, text = text, ""
    if hs_text:
        code = hs_text.replace(".", "").replace(" ", "")
        if not HS_CODE.match(code) or not HsCode.objects.filter(code=code).exists():
            problems.append(
                _("“%(code)s” is not an HS 2022 code (2, 4 or 6 digits, e.g. 8516 or 851631).")
                % {"code": hs_text[:20]}
            )
        else:
            codes = [code]
    finding = find_product(text) if text else Finding()
    products = finding.products
    codes = sorted({*codes, *(c for p in products for c in p.hs_codes)})
    market = MARKETS.get(market_value)
    if not market:
        problems.append(_("Choose China or the European Union as the destination market."))
    chosen = [product.pk for product in products]
    scope, decisions = scope_for(chosen)
    headings = list(
        HsCode.objects.filter(code__in=codes)
        .only("code", "description_en", "description_zh_hans")
        .order_by("code")
    )
    for heading in headings:  # 851631 → 8516.31, as tariffs print it
        heading.dotted = ".".join(
            filter(None, (heading.code[:4], heading.code[4:6], heading.code[6:]))
        )
    ctx = {
        "text": text,
        "hs": hs_text,
        "market": market_value if market else "",
        "problems": problems,
        "products": products,
        "finding": finding,
        "ambiguous": _ambiguous(products),
        "narrower": _narrower(chosen),
        "codes": codes,
        "headings": headings,
        "product_label": _product_label(products, headings),
        "asked": bool(text or hs_text),
        # A query that names nothing and comes close to nothing: the broad products.
        "broad": broad_products() if text and not products and not finding.candidates else [],
    }
    # Nothing named nor close: every sector is a way on.
    ctx["sectors"] = finding.sectors or list(Sector.objects.all()) if ctx["broad"] else []
    if codes and market:
        ctx["sheet"] = requirement_sheet(codes, market, scope=scope)
        ctx["coverage"] = sheet_coverage(
            ctx["sheet"].regulations, held=ctx["sheet"].cited_held, market=market
        )
        ctx["market_label"] = Jurisdiction(market).label
        ctx["home_label"] = Jurisdiction(ctx["sheet"].home).label
        ctx["scoped"] = _scope_notes(ctx["sheet"], decisions)
    if (download := sheet_response(request, ctx)) is not None:  # ?format=pdf|xlsx|csv
        return download
    return render(request, "sectors/product_finder.html", ctx)


def _narrower(chosen: list[int]) -> list[ProductTerm]:
    """The narrower products of the chosen ones, to choose from (one query; none without
    products)."""
    if not chosen:
        return []
    return list(
        ProductTerm.objects.filter(parent_id__in=chosen)
        .exclude(pk__in=chosen)
        .only("name_en", "name_zh_hans")
        .order_by("name_en")
    )


def _ambiguous(products: list) -> list:
    """Products named by the same words ("童车": a ride-on toy, a children's bicycle, a
    stroller): the sheet covers them all, and each can be chosen alone."""
    if len(products) < 2:
        return []
    words = [product.matched.lower() for product in products]
    return [p for p, w in zip(products, words, strict=True) if words.count(w) > 1]


def _product_label(products: list, headings: list[HsCode]) -> str:
    """What the sheet is for, in the page's language: the products' names, or the HS
    heading's own words when only a code was given."""
    if products:
        return join_list(product.name(get_language()) for product in products)
    chinese = is_chinese()
    return join_list(
        (code.description_zh_hans if chinese and code.description_zh_hans else code.description_en)
        for code in headings
    )


@dataclass
class ScopeNote:
    """One scoping decision as the sheet shows it, with what it changed there."""

    decision: ProductScope
    records: list = field(default_factory=list)  # the acts or standards added or left out

    @property
    def is_act(self) -> bool:
        return self.decision.record == ProductScope.Record.ACT

    @property
    def left_out(self) -> bool:
        return self.decision.effect == ProductScope.Effect.EXCLUDE


def _scope_notes(sheet, decisions: list[ProductScope]) -> list[ScopeNote]:
    """What the product's scope changed on this sheet, one note per decision (its reason
    and source): the acts and standards left out, and those added that are on it."""
    exclude, include = ProductScope.Effect.EXCLUDE, ProductScope.Effect.INCLUDE
    acts = [d for d in decisions if d.record == ProductScope.Record.ACT]
    standards = [d for d in decisions if d.record == ProductScope.Record.STANDARD]
    changed = [
        *((_decision_for(r.reference, acts, exclude), r) for r in sheet.left_out_acts),
        *((_decision_for(s.key, standards, exclude), s) for s in sheet.left_out_standards),
        *((_decision_for(r.reference, acts, include), r) for r in sheet.regulations),
        *(
            (_decision_for(e.standard.key, standards, include), e.standard)
            for e in (*sheet.mandatory, *sheet.harmonised, *sheet.other)
        ),
    ]
    notes: dict[int, ScopeNote] = {}
    for decision, record in changed:
        if decision is not None:
            notes.setdefault(decision.pk, ScopeNote(decision)).records.append(record)
    return list(notes.values())


def _decision_for(value: str, decisions: list[ProductScope], effect: str) -> ProductScope | None:
    return next(
        (
            d
            for d in decisions
            if d.effect == effect and (value == d.key or value.startswith(f"{d.key}:"))
        ),
        None,
    )
