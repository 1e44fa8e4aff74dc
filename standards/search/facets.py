"""The rows of a search result and their facet counts, in one SQL query whatever the
number of facets.

The result set is computed once (a materialised CTE): the query returns the primary keys
of its rows in order (the page then reads only its own twenty) and groups the rows by
each facet; the many-to-many facets (sector, ICS field, citing regulation) join their
link tables, and every facet reads its labels in the same query. At most `limit` rows
are listed and counted, the first in the result's order. When more match,
`Facets.capped` says so and the page shows "1,000+" (counting 40,000 matches would cost
more than the whole page).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Window
from django.db.models.functions import RowNumber

from cesip import cache as page_cache
from cesip.web import is_chinese
from sectors.models import IcsCode, Sector
from standards import search  # search.RESULT_LIMIT, read at each call (tests lower it)
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
    total: int = 0  # rows counted: all matches, or `limit` when capped
    capped: bool = False  # more than `limit` rows match
    limit: int = 0
    ids: list[int] = field(default_factory=list)  # the rows counted, in order
    by_product: set[int] = field(default_factory=set)  # those matched through a product
    groups: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def more_than(self) -> str:
        """The limit as the page prints it: "1,000"."""
        return f"{self.limit:,}"


FACET_ORDER = ["sector", "jurisdiction", "status", "legal_force", "document_type", "body",
               "ics", "regulation"]  # fmt: skip


def facet_counts(
    queryset, selected: dict[str, list[str]] | None = None, *, limit: int | None = None
) -> Facets:
    """The first `limit` rows of `queryset` (an ordered with_status() queryset of
    standards, maybe annotated with `matched_by_product`), their counts per facet value,
    and whether more rows match."""
    selected = selected or {}
    limit = limit or search.RESULT_LIMIT
    order = queryset.query.order_by or ["pk"]
    fields = ["id", "jurisdiction", "legal_force", "document_type", "body_id", "current_status"]
    if "matched_by_product" in queryset.query.annotations:
        fields.append("matched_by_product")
    by_product = "matched_by_product" if "matched_by_product" in fields else "false"
    # Django aliases each column with its name: the CTE's columns are these.
    inner = queryset.annotate(position=Window(RowNumber(), order_by=list(order)))
    inner_sql, params = inner.values(*fields, "position")[: limit + 1].query.sql_with_params()
    sectors = Standard.sectors.through._meta.db_table
    ics = Standard.ics_codes.through._meta.db_table
    ics_codes = IcsCode._meta.db_table
    sql = f"""
        WITH r AS MATERIALIZED ({inner_sql}),
        m AS MATERIALIZED (SELECT * FROM r WHERE position <= {int(limit)})
        SELECT 'total', '', (SELECT count(*) FROM r), NULL, NULL,
            (SELECT string_agg(id::text, ',' ORDER BY position) FROM m)
        UNION ALL SELECT 'by_product', '', 0, NULL, NULL, string_agg(id::text, ',')
            FROM m WHERE {by_product}
        UNION ALL SELECT 'jurisdiction', jurisdiction, count(*), NULL, NULL, NULL
            FROM m GROUP BY 2
        UNION ALL SELECT 'status', current_status, count(*), NULL, NULL, NULL FROM m GROUP BY 2
        UNION ALL SELECT 'legal_force', legal_force, count(*), NULL, NULL, NULL
            FROM m GROUP BY 2
        UNION ALL SELECT 'document_type', document_type, count(*), NULL, NULL, NULL
            FROM m GROUP BY 2
        UNION ALL SELECT 'body', b.code, count(*), b.name_en, b.name_zh_hans, NULL
            FROM m JOIN {Body._meta.db_table} b ON b.id = m.body_id GROUP BY 2, 4, 5
        UNION ALL SELECT 'sector', s.slug, count(*), s.name_en, s.name_zh_hans, NULL
            FROM m JOIN {sectors} t ON t.standard_id = m.id
            JOIN {Sector._meta.db_table} s ON s.id = t.sector_id GROUP BY 2, 4, 5
        UNION ALL SELECT 'ics', split_part(i.code, '.', 1), count(DISTINCT m.id),
                g.title_en, g.title_zh_hans, NULL
            FROM m JOIN {ics} t ON t.standard_id = m.id
            JOIN {ics_codes} i ON i.id = t.icscode_id
            LEFT JOIN {ics_codes} g ON g.code = split_part(i.code, '.', 1) GROUP BY 2, 4, 5
        UNION ALL SELECT 'regulation', r.slug, count(DISTINCT m.id),
                r.short_name_en, r.short_name_zh_hans, r.reference
            FROM m JOIN {Citation._meta.db_table} c ON c.standard_id = m.id
            JOIN {TechnicalRegulation._meta.db_table} r ON r.id = c.regulation_id
            WHERE r.published GROUP BY 2, 4, 5, 6
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts: dict[str, dict[str, int]] = {name: {} for name in FACET_ORDER}
    names: dict[str, dict[str, str]] = {name: {} for name in FACET_ORDER}
    chinese = is_chinese()
    facets = Facets(limit=limit)
    for facet, value, count, label_en, label_zh, extra in rows:
        if facet == "total":
            facets.ids = [int(pk) for pk in (extra or "").split(",") if pk]
            facets.total, facets.capped = len(facets.ids), count > limit
            continue
        if facet == "by_product":
            facets.by_product = {int(pk) for pk in (extra or "").split(",") if pk}
            continue
        value = value or ""
        counts[facet][value] = count
        if facet in ("body", "sector", "ics", "regulation"):
            names[facet][value] = _label(facet, value, label_en, label_zh, extra, chinese)
    facets.groups = facet_groups(counts, names, selected)
    return facets


def _label(facet: str, value: str, label_en, label_zh, extra, chinese: bool) -> str:
    name = (chinese and label_zh) or label_en or label_zh or ""
    if facet == "body":
        return f"{value} · {name}" if name and name != value else value
    if facet == "ics":
        return f"{value} {name}" if name else value
    if facet == "regulation":
        return f"{extra} ({name})" if name else extra
    return name or value


def facet_groups(
    counts: dict[str, dict[str, int]],
    names: dict[str, dict[str, str]],
    selected: dict[str, list[str]],
) -> dict[str, list[FacetValue]]:
    """The facets as the page lists them: fixed choices (jurisdiction, status, legal
    force) in their own order, the others by count; `names` labels the values read from
    the database (bodies, sectors, ICS groups, acts)."""
    labels = _choice_labels()
    groups = {}
    for name in FACET_ORDER:
        known = {**labels[name], **names.get(name, {})}
        values = [
            FacetValue(value, known.get(value, value), count, value in selected.get(name, []))
            for value, count in counts.get(name, {}).items()
            if value
        ]
        if name in ("jurisdiction", "status", "legal_force"):
            order = list(labels[name])
            values.sort(key=lambda v: order.index(v.value) if v.value in order else 99)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        groups[name] = values
    return groups


LABELS_SQL = """
    SELECT 'body', code, name_en, name_zh_hans, NULL FROM {body}
    UNION ALL SELECT 'sector', slug, name_en, name_zh_hans, NULL FROM {sector}
    UNION ALL SELECT 'ics', code, title_en, title_zh_hans, NULL FROM {ics} WHERE code !~ '[.]'
    UNION ALL SELECT 'regulation', slug, short_name_en, short_name_zh_hans, reference
        FROM {regulation} WHERE published
"""
# (catalogue generation, language) → facet → value → label: the labels of every body,
# sector, ICS group and published act, read once per generation (a few hundred rows;
# every write through the admin or a loading command starts a new one, cesip.cache).
_labels: dict[tuple[str, bool], dict[str, dict[str, str]]] = {}


def facet_labels(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, str]]:
    """The labels of the bodies, sectors, ICS groups and acts among `counts`' values, in
    the page's language (no query while the catalogue generation holds)."""
    chinese = is_chinese()
    key = (page_cache.current_generation(), chinese)
    if key not in _labels:
        sql = LABELS_SQL.format(
            body=Body._meta.db_table,
            sector=Sector._meta.db_table,
            ics=IcsCode._meta.db_table,
            regulation=TechnicalRegulation._meta.db_table,
        )
        every: dict[str, dict[str, str]] = {name: {} for name in FACET_ORDER}
        with connection.cursor() as cursor:
            cursor.execute(sql)
            for facet, value, label_en, label_zh, extra in cursor.fetchall():
                every[facet][value] = _label(facet, value, label_en, label_zh, extra, chinese)
        for old in [k for k in _labels if k[0] != key[0]]:  # only this generation's
            del _labels[old]
        _labels[key] = every
    every = _labels[key]
    names: dict[str, dict[str, str]] = {name: {} for name in FACET_ORDER}
    for facet in ("body", "sector", "ics", "regulation"):
        for value in counts.get(facet, {}):
            # An act no longer published (the index not yet told): its slug.
            names[facet][value] = every[facet].get(value, value)
    return names


def forget_labels() -> None:
    _labels.clear()


def _choice_labels() -> dict[str, dict[str, str]]:
    return {
        "jurisdiction": dict(Jurisdiction.choices),
        "status": dict(Status.choices),
        "legal_force": dict(LegalForce.choices),
        "document_type": {},
        "body": {},
        "sector": {},
        "ics": {},
        "regulation": {},
    }
