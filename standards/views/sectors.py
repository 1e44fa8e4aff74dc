"""Sector pages and the product finder."""

from __future__ import annotations

import datetime
import re

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from sectors.models import HsCode, Sector
from standards.changelog import EVENT_ORDER
from standards.coverage import sector_coverage, sheet_coverage
from standards.models import (
    Change,
    Citation,
    Jurisdiction,
    LegalForce,
    Standard,
    TechnicalRegulation,
)
from standards.requirements import LIVE, requirement_sheet
from standards.search.query import find_products, normalise, read_query

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


@require_safe
def product_finder(request: HttpRequest) -> HttpResponse:
    """/products/?q=hair+dryer&market=eu or ?hs=851631&market=cn → a requirement sheet."""
    text = normalise(request.GET.get("q", ""))[:200]
    hs_text = request.GET.get("hs", "").strip()
    market_value = request.GET.get("market", "").strip().lower()
    problems, products, codes = [], [], []
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
    if text:
        products = find_products(read_query(text)).products
        codes = sorted({*codes, *(c for p in products for c in p.hs_codes)})
        if not products and not hs_text:
            problems.append(
                _("No product is called “%(text)s” here. Try another word or an HS code.")
                % {"text": text}
            )
    market = MARKETS.get(market_value)
    if market_value and not market:
        problems.append(_("Choose China or the European Union as the destination market."))
    ctx = {
        "text": text,
        "hs": hs_text,
        "market": market_value if market else "",
        "problems": problems,
        "products": products,
        "codes": codes,
        "headings": list(
            HsCode.objects.filter(code__in=codes).only("code", "description").order_by("code")
        ),
        "asked": bool(text or hs_text),
    }
    if codes and market:
        ctx["sheet"] = requirement_sheet(codes, market)
        ctx["coverage"] = sheet_coverage(
            ctx["sheet"].regulations, held=ctx["sheet"].cited_held, market=market
        )
        ctx["market_label"] = Jurisdiction(market).label
        ctx["home_label"] = Jurisdiction(ctx["sheet"].home).label
    return render(request, "sectors/product_finder.html", ctx)
