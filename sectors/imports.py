"""Curated sector content: product terms and market-access notes (layouts in
data/demo/README.md). All rows are checked first; a file with any error writes nothing;
loading the same file again changes nothing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from sectors.models import HsCode, ProductTerm, Sector
from standards.eu_imports import _columns, _refuse_if, _require, _split
from standards.imports import ImportReport, RowError, read_table

PRODUCT_TERM_LAYOUT = {
    name: ()
    for name in ("name_en", "name_zh_hans", "synonyms", "hs_codes", "sectors", "source_url")
}
MARKET_ACCESS_LAYOUT = {
    name: () for name in ("sector", "direction", "text_en", "text_zh_hans", "sources")
}
DIRECTIONS = {"eu-to-cn": "market_access_eu_to_cn", "cn-to-eu": "market_access_cn_to_eu"}


def import_product_terms(path: Path) -> ImportReport:
    """Product terms keyed by their English name; synonyms one per line once stored."""
    header, rows = read_table(Path(path))
    columns = _columns(header, PRODUCT_TERM_LAYOUT)
    _require(columns, ("name_en", "name_zh_hans", "hs_codes"))
    hs = {code.code: code for code in HsCode.objects.all()}
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    records, errors, seen = [], [], {}
    for number, raw in enumerate(rows, start=1):
        row = {column: raw.get(name, "").strip() for column, name in columns.items()}
        row_errors = []
        for column in ("name_en", "name_zh_hans"):
            if not row[column]:
                row_errors.append((column, _("This column cannot be empty.")))
        key = row["name_en"].lower()
        if key in seen:
            row_errors.append(("name_en", _("The same term as row %(row)s.") % {"row": seen[key]}))
        seen.setdefault(key, number)
        for column, known in (("hs_codes", hs), ("sectors", sectors)):
            unknown = [code for code in _split(row.get(column, "")) if code not in known]
            if unknown:
                row_errors.append(
                    (column, _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
                )
        if not _split(row["hs_codes"]):
            row_errors.append(("hs_codes", _("A product term needs at least one HS code.")))
        errors += [RowError(number, column, message) for column, message in row_errors]
        records.append(row)
    _refuse_if(errors)

    report = ImportReport(rows=len(records))
    existing = {term.name_en.lower(): term for term in ProductTerm.objects.all()}
    with transaction.atomic():
        for row in records:
            term = existing.get(row["name_en"].lower()) or ProductTerm()
            values = {
                "name_en": row["name_en"],
                "name_zh_hans": row["name_zh_hans"],
                "synonyms": "\n".join(_split(row.get("synonyms", ""))),
                "source_url": row.get("source_url", ""),
            }
            wanted_hs = {hs[code].pk for code in _split(row["hs_codes"])}
            wanted_sectors = {sectors[slug].pk for slug in _split(row.get("sectors", ""))}
            if term.pk and (
                all(getattr(term, name) == value for name, value in values.items())
                and set(term.hs_codes.values_list("pk", flat=True)) == wanted_hs
                and set(term.sectors.values_list("pk", flat=True)) == wanted_sectors
            ):
                report.unchanged += 1
                continue
            report.created += term.pk is None
            report.updated += term.pk is not None
            for name, value in values.items():
                setattr(term, name, value)
            term.name = values["name_en"]
            term.save()
            term.hs_codes.set(wanted_hs)
            term.sectors.set(wanted_sectors)
    return report


def import_market_access(path: Path) -> ImportReport:
    """Market-access notes, one row per sector and direction, in both languages."""
    header, rows = read_table(Path(path))
    columns = _columns(header, MARKET_ACCESS_LAYOUT)
    _require(columns, tuple(MARKET_ACCESS_LAYOUT))
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    records, errors, seen = [], [], {}
    for number, raw in enumerate(rows, start=1):
        row = {column: raw.get(name, "").strip() for column, name in columns.items()}
        row_errors = []
        if row["sector"] not in sectors:
            row_errors.append(
                ("sector", _("Unknown sector “%(value)s”.") % {"value": row["sector"]})
            )
        if row["direction"] not in DIRECTIONS:
            row_errors.append(("direction", _("The direction must be eu-to-cn or cn-to-eu.")))
        pair = (row["sector"], row["direction"])
        if pair in seen:
            row_errors.append(
                ("direction", _("The same note as row %(row)s.") % {"row": seen[pair]})
            )
        seen.setdefault(pair, number)
        for column in ("text_en", "text_zh_hans", "sources"):
            if not row[column]:
                row_errors.append((column, _("This column cannot be empty.")))
        errors += [RowError(number, column, message) for column, message in row_errors]
        records.append(row)
    _refuse_if(errors)

    report = ImportReport(rows=len(records))
    sources: dict[str, list[str]] = defaultdict(list)
    with transaction.atomic():
        touched = {}
        for row in records:
            sector = touched.setdefault(row["sector"], sectors[row["sector"]])
            field_name = DIRECTIONS[row["direction"]]
            setattr(sector, f"{field_name}_en", row["text_en"])
            setattr(sector, f"{field_name}_zh_hans", row["text_zh_hans"])
            for url in _split(row["sources"]):
                if url not in sources[row["sector"]]:
                    sources[row["sector"]].append(url)
        for slug, sector in touched.items():
            sector.market_access_sources = "\n".join(sources[slug])
            stored = Sector.objects.get(pk=sector.pk)
            fields = [
                f"{name}_{language}"
                for name in DIRECTIONS.values()
                for language in ("en", "zh_hans")
            ] + ["market_access_sources"]
            if all(getattr(stored, name) == getattr(sector, name) for name in fields):
                report.unchanged += 1
                continue
            sector.save(update_fields=fields)
            report.updated += 1
    return report
