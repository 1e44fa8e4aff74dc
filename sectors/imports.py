"""Curated sector content: product terms and market-access notes (layouts in
data/demo/README.md). All rows are checked first; a file with any error writes nothing;
loading the same file again changes nothing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cesip.sources import source_problem
from cesip.tabular import (
    ImportReport,
    check_rows,
    differs,
    match_columns,
    pick,
    read_table,
    split,
    unknown_codes,
)
from sectors.models import HsCode, ProductTerm, Sector

PRODUCT_TERM_LAYOUT = {
    name: ()
    for name in (
        "name_en", "name_zh_hans", "synonyms", "hs_codes", "sectors", "source_url", "parent",
    )
}  # fmt: skip
MARKET_ACCESS_LAYOUT = {
    name: () for name in ("sector", "direction", "text_en", "text_zh_hans", "sources")
}
DIRECTIONS = {"eu-to-cn": "market_access_eu_to_cn", "cn-to-eu": "market_access_cn_to_eu"}


def import_product_terms(path: Path) -> ImportReport:
    """Product terms keyed by their English name; synonyms one per line once stored. A
    term renamed in the file (its old name now among its synonyms) is the same term.
    `parent` names the broader product by its English name, in the file or stored; a file
    without the column leaves the hierarchy as it is."""
    header, rows = read_table(Path(path))
    columns = match_columns(header, PRODUCT_TERM_LAYOUT, ("name_en", "name_zh_hans", "hs_codes"))
    hs = {code.code: code for code in HsCode.objects.all()}
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    existing = {term.name_en.lower(): term for term in ProductTerm.objects.select_related("parent")}
    stored = {
        name: term.parent.name_en.lower() if term.parent else "" for name, term in existing.items()
    }
    in_file = {row.get(columns["name_en"], "").strip().lower() for row in rows}
    parents = {
        row.get(columns["name_en"], "").strip().lower(): row.get(columns["parent"], "").strip()
        for row in rows
        if "parent" in columns
    }

    def read(row):
        errors = [
            (column, _("This column cannot be empty."))
            for column in ("name_en", "name_zh_hans")
            if not row[column]
        ]
        errors += unknown_codes("hs_codes", split(row.get("hs_codes", "")), hs)
        errors += unknown_codes("sectors", split(row.get("sectors", "")), sectors)
        if not split(row["hs_codes"]):
            errors.append(("hs_codes", _("A product term needs at least one HS code.")))
        problem = source_problem(row.get("source_url", ""))
        if problem:
            errors.append(("source_url", problem))
        parent = row.get("parent", "").lower()
        if parent and parent not in in_file and parent not in existing:
            errors.append(("parent", _("Unknown product “%(value)s”.") % {"value": row["parent"]}))
        elif parent and _loops(row["name_en"].lower(), {**stored, **parents}):
            errors.append(("parent", _("This would make the product narrower than itself.")))
        return row, errors

    records = check_rows(
        [pick(row, columns) for row in rows],
        read,
        key=lambda row, record: row["name_en"].lower(),
        column="name_en",
        same_as=_("The same term as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    with transaction.atomic():
        saved: dict[str, ProductTerm] = {}
        for row in records:
            term = existing.get(row["name_en"].lower()) or _renamed(row, existing, in_file)
            term = term or ProductTerm()
            term.name_en = row["name_en"]
            term.name_zh_hans = row["name_zh_hans"]
            term.synonyms = "\n".join(split(row.get("synonyms", "")))
            term.source_url = row.get("source_url", "")
            term.name = row["name_en"]
            m2m = {
                "hs_codes": [hs[code] for code in split(row["hs_codes"])],
                "sectors": [sectors[slug] for slug in split(row.get("sectors", ""))],
            }
            saved[row["name_en"].lower()] = term
            if not differs(term, m2m):
                report.unchanged += 1
                continue
            report.created += term.pk is None
            report.updated += term.pk is not None
            term.save()
            for name, values in m2m.items():
                getattr(term, name).set(values)
        # The hierarchy once every term of the file has a row.
        if "parent" in columns:
            for name, parent in parents.items():
                term = saved[name]
                broader = saved.get(parent.lower()) or existing.get(parent.lower())
                parent_id = broader.pk if broader else None
                if term.parent_id != parent_id:
                    ProductTerm.objects.filter(pk=term.pk).update(parent_id=parent_id)
                    report.updated += 1
    return report


def _loops(name: str, parents: dict[str, str]) -> bool:
    """Whether following `name`'s broader products (in the file, else as stored) comes
    back to it."""
    seen, current = {name}, parents.get(name, "").lower()
    while current:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current, "").lower()
    return False


def _renamed(row, existing: dict[str, ProductTerm], in_file: set[str]) -> ProductTerm | None:
    """A stored term whose name is now a synonym of this row (and no row's name): the
    same product under a better name ("teddy bear" → "plush toy")."""
    for synonym in split(row.get("synonyms", "")):
        term = existing.get(synonym.lower())
        if term is not None and synonym.lower() not in in_file:
            existing.pop(synonym.lower())
            return term
    return None


def import_market_access(path: Path) -> ImportReport:
    """Market-access notes, one row per sector and direction, in both languages."""
    header, rows = read_table(Path(path))
    columns = match_columns(header, MARKET_ACCESS_LAYOUT, tuple(MARKET_ACCESS_LAYOUT))
    sectors = {sector.slug: sector for sector in Sector.objects.all()}

    def read(row):
        errors = []
        if row["sector"] not in sectors:
            errors.append(("sector", _("Unknown sector “%(value)s”.") % {"value": row["sector"]}))
        if row["direction"] not in DIRECTIONS:
            errors.append(("direction", _("The direction must be eu-to-cn or cn-to-eu.")))
        for column in ("text_en", "text_zh_hans", "sources"):
            if not row[column]:
                errors.append((column, _("This column cannot be empty.")))
        errors += [
            ("sources", problem)
            for problem in map(source_problem, split(row["sources"]))
            if problem
        ]
        return row, errors

    records = check_rows(
        [pick(row, columns) for row in rows],
        read,
        key=lambda row, record: (row["sector"], row["direction"]),
        column="direction",
        same_as=_("The same note as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    sources: dict[str, list[str]] = defaultdict(list)
    with transaction.atomic():
        touched = {}
        for row in records:
            sector = touched.setdefault(row["sector"], sectors[row["sector"]])
            field_name = DIRECTIONS[row["direction"]]
            setattr(sector, f"{field_name}_en", row["text_en"])
            setattr(sector, f"{field_name}_zh_hans", row["text_zh_hans"])
            for url in split(row["sources"]):
                if url not in sources[row["sector"]]:
                    sources[row["sector"]].append(url)
        for slug, sector in touched.items():
            sector.market_access_sources = "\n".join(sources[slug])
            if not differs(sector):
                report.unchanged += 1
                continue
            fields = [
                f"{name}_{language}"
                for name in DIRECTIONS.values()
                for language in ("en", "zh_hans")
            ] + ["market_access_sources"]
            sector.save(update_fields=fields)
            report.updated += 1
    return report
