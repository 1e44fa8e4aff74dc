"""Facet counts for a search result, in one SQL query whatever the number of facets.

The result set is computed once (a materialised CTE) and grouped by each facet; the
many-to-many facets (sector, ICS field, citing regulation) join their link tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import get_language

from sectors.models import IcsCode, Sector
from standards.models import (
    Body,
    Citation,
    Jurisdiction,
    LegalForce,
    Standard,
    Status,
    TechnicalRegulation,
)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facets:
    total: int = 0
    groups: dict[str, list[FacetValue]] = field(default_factory=dict)


FACET_ORDER = ["sector", "jurisdiction", "status", "legal_force", "document_type", "body",
               "ics", "regulation"]  # fmt: skip


def facet_counts(queryset, selected: dict[str, list[str]] | None = None) -> Facets:
    """Counts per facet value over `queryset` (a with_status() queryset of standards)."""
    selected = selected or {}
    inner = queryset.order_by().values(
        "id", "jurisdiction", "legal_force", "document_type", "body_id", "current_status"
    )  # Django aliases each column with its name: the CTE's columns are these.
    inner_sql, params = inner.query.sql_with_params()
    sectors = Standard.sectors.through._meta.db_table
    ics = Standard.ics_codes.through._meta.db_table
    sql = f"""
        WITH m AS MATERIALIZED ({inner_sql})
        SELECT 'jurisdiction', jurisdiction, count(*) FROM m GROUP BY 2
        UNION ALL SELECT 'status', current_status, count(*) FROM m GROUP BY 2
        UNION ALL SELECT 'legal_force', legal_force, count(*) FROM m GROUP BY 2
        UNION ALL SELECT 'document_type', document_type, count(*) FROM m GROUP BY 2
        UNION ALL SELECT 'body', b.code, count(*)
            FROM m JOIN {Body._meta.db_table} b ON b.id = m.body_id GROUP BY 2
        UNION ALL SELECT 'sector', s.slug, count(*)
            FROM m JOIN {sectors} t ON t.standard_id = m.id
            JOIN {Sector._meta.db_table} s ON s.id = t.sector_id GROUP BY 2
        UNION ALL SELECT 'ics', split_part(i.code, '.', 1), count(DISTINCT m.id)
            FROM m JOIN {ics} t ON t.standard_id = m.id
            JOIN {IcsCode._meta.db_table} i ON i.id = t.icscode_id GROUP BY 2
        UNION ALL SELECT 'regulation', r.slug, count(DISTINCT m.id)
            FROM m JOIN {Citation._meta.db_table} c ON c.standard_id = m.id
            JOIN {TechnicalRegulation._meta.db_table} r ON r.id = c.regulation_id
            WHERE r.published GROUP BY 2
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts: dict[str, dict[str, int]] = {name: {} for name in FACET_ORDER}
    for facet, value, count in rows:
        counts[facet][value or ""] = count
    facets = Facets(total=sum(counts["jurisdiction"].values()))
    labels = _labels(counts)
    for name in FACET_ORDER:
        values = [
            FacetValue(
                value, labels[name].get(value, value), count, value in selected.get(name, [])
            )
            for value, count in counts[name].items()
            if value
        ]
        if name in ("jurisdiction", "status", "legal_force"):
            order = list(labels[name])
            values.sort(key=lambda v: order.index(v.value) if v.value in order else 99)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        facets.groups[name] = values
    return facets


def _labels(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, str]]:
    language = get_language() or "en"
    labels = {
        "jurisdiction": dict(Jurisdiction.choices),
        "status": dict(Status.choices),
        "legal_force": dict(LegalForce.choices),
        "document_type": {},
    }
    # Small tables, read only for the values present (one query each).
    labels["sector"] = {s.slug: s.name for s in Sector.objects.filter(slug__in=counts["sector"])}
    labels["body"] = {
        code: f"{code} · {name}" if name != code else code
        for code, name in Body.objects.filter(code__in=counts["body"]).values_list("code", "name")
    }
    chinese = language.startswith("zh")
    labels["ics"] = {
        code: f"{code} {(chinese and title_zh) or title_en}"
        for code, title_en, title_zh in IcsCode.objects.filter(code__in=counts["ics"]).values_list(
            "code", "title_en", "title_zh_hans"
        )
    }
    labels["regulation"] = {
        slug: f"{reference} ({short})" if short else reference
        for slug, reference, short in TechnicalRegulation.objects.filter(
            slug__in=counts["regulation"]
        ).values_list("slug", "reference", "short_name")
    }
    return labels
