"""Curated lists of regulations (EU acts, Chinese rules) and of the standards Chinese
rules name; the layouts are in data/demo/README.md.

Same contract as the other importers: all rows validated first, errors by row and
column, all or nothing, idempotent, every change through standards.changes.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sectors.models import HsCode, Sector
from standards import changes
from standards.eu_imports import _columns, _refuse_if, _require, _split
from standards.identifiers import IdentifierError, describe_identifier_error, parse_identifier
from standards.imports import ImportReport, RowError, _date, read_table
from standards.models import (
    ChangeVia,
    Citation,
    CitationKind,
    ConformityRoute,
    Jurisdiction,
    RegulationKind,
    Standard,
    TechnicalRegulation,
    TranslationSource,
)

TEXT_FIELDS = [
    "short_name_en", "short_name_zh_hans", "title_en", "title_zh_hans", "scope_en",
    "scope_zh_hans", "authority_en", "authority_zh_hans", "conformity_notes_en",
    "conformity_notes_zh_hans", "marking", "source_url",
]  # fmt: skip
DATE_FIELDS = ["adopted_date", "in_force_date", "applies_from", "transition_ends", "repealed_date"]
REGULATION_LAYOUT = {
    name: ()
    for name in [
        "reference", "jurisdiction", "kind", *TEXT_FIELDS, *DATE_FIELDS,
        "conformity_route", "sectors", "hs_codes", "successor",
    ]
}  # fmt: skip
REGULATION_REQUIRED = ("reference", "jurisdiction", "kind", "short_name_en", "title_en")


def _same(stored, value) -> bool:
    """Empty text may be stored as NULL or "": neither differs from an empty cell."""
    return (stored or None) == (value or None)


def regulation_slug(reference: str) -> str:
    """'Directive 2009/48/EC' → 'directive-2009-48-ec'; 'CNCA-C07-01:2017' → 'cnca-c07-01-2017'."""
    return slugify(reference.replace("/", "-").replace(":", "-").replace(".", "-"))


def import_regulations(path: Path, *, actor=None, dry_run: bool = False) -> ImportReport:
    header, rows = read_table(Path(path))
    columns = _columns(header, REGULATION_LAYOUT)
    _require(columns, REGULATION_REQUIRED)
    known_sectors = dict(Sector.objects.values_list("slug", "pk"))
    known_hs = dict(HsCode.objects.values_list("code", "pk"))
    references = {row.get(columns["reference"], "").strip() for row in rows}
    references |= set(TechnicalRegulation.objects.values_list("reference", flat=True))
    records, errors, seen = [], [], {}
    for number, raw in enumerate(rows, start=1):
        row = {column: raw.get(name, "").strip() for column, name in columns.items()}
        row_errors = []
        if not row["reference"]:
            row_errors.append(("reference", _("The reference is empty.")))
        elif row["reference"] in seen:
            row_errors.append(
                (
                    "reference",
                    _("The same regulation as row %(row)s.") % {"row": seen[row["reference"]]},
                )
            )
        seen.setdefault(row["reference"], number)
        for column, choices in (
            ("jurisdiction", Jurisdiction),
            ("kind", RegulationKind),
            ("conformity_route", ConformityRoute),
        ):
            if row.get(column) and row[column] not in choices.values:
                row_errors.append(
                    (column, _("Unknown value “%(value)s”.") % {"value": row[column]})
                )
        for column in ("short_name_en", "title_en"):
            if not row.get(column):
                row_errors.append((column, _("This column cannot be empty.")))
        dates = {}
        for column in DATE_FIELDS:
            try:
                dates[column] = _date(row.get(column, ""))
            except ValueError as exc:
                row_errors.append((column, str(exc)))
        for column, known in (("sectors", known_sectors), ("hs_codes", known_hs)):
            unknown = [code for code in _split(row.get(column, "")) if code not in known]
            if unknown:
                row_errors.append(
                    (column, _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
                )
        successor = row.get("successor", "")
        if successor and successor not in references:
            row_errors.append(
                (
                    "successor",
                    _("“%(value)s” is not in this file or the catalogue.") % {"value": successor},
                )
            )
        errors += [RowError(number, column, message) for column, message in row_errors]
        records.append((row, dates))
    _refuse_if(errors)

    report = ImportReport(rows=len(records))
    with transaction.atomic():
        saved = {}
        for row, dates in records:
            saved[row["reference"]] = _save_regulation(
                row, dates, known_sectors, known_hs, report, actor
            )
        for row, _dates in records:
            if row.get("successor"):
                regulation = saved[row["reference"]]
                successor = saved.get(row["successor"]) or TechnicalRegulation.objects.get(
                    reference=row["successor"]
                )
                if regulation.successor_id != successor.pk:
                    regulation.successor = successor
                    report.changes += len(
                        changes.save_record(regulation, actor=actor, via=ChangeVia.IMPORT)
                    )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _save_regulation(row, dates, known_sectors, known_hs, report, actor) -> TechnicalRegulation:
    regulation = TechnicalRegulation.objects.filter(reference=row["reference"]).first()
    is_new = regulation is None
    if is_new:
        regulation = TechnicalRegulation(
            reference=row["reference"], slug=regulation_slug(row["reference"]), published=True
        )
    official = "en" if row["jurisdiction"] == Jurisdiction.EU else "zh_hans"
    values = {
        "jurisdiction": row["jurisdiction"],
        "kind": row["kind"],
        "conformity_route": row.get("conformity_route", ""),
        **{name: row.get(name, "") for name in TEXT_FIELDS},
        **dates,
    }
    for language in ("en", "zh_hans"):
        source = TranslationSource.OFFICIAL if language == official else TranslationSource.CURATOR
        for name in ("title", "scope"):
            if values.get(f"{name}_{language}"):
                values[f"{name}_{language}_source"] = source
    m2m = {
        "sectors": sorted(known_sectors[slug] for slug in _split(row.get("sectors", ""))),
        "hs_codes": sorted(known_hs[code] for code in _split(row.get("hs_codes", ""))),
    }
    if not is_new:
        unchanged = all(_same(getattr(regulation, name), value) for name, value in values.items())
        if unchanged and all(
            sorted(getattr(regulation, name).values_list("pk", flat=True)) == wanted
            for name, wanted in m2m.items()
        ):
            report.unchanged += 1
            return regulation
    for name, value in values.items():
        setattr(regulation, name, value)
    report.changes += len(
        changes.save_record(regulation, actor=actor, via=ChangeVia.IMPORT, m2m=m2m)
    )
    report.created += is_new
    report.updated += not is_new
    return regulation


RULE_CITATION_LAYOUT = {
    "rule": (),
    "standard": (),
    "kind": (),
    "restrictions_en": (),
    "restrictions_zh_hans": (),
}


def import_rule_citations(path: Path, *, actor=None, dry_run: bool = False) -> ImportReport:
    """Standards that a rule (a CCC implementation rule, a mandatory requirement) names."""
    header, rows = read_table(Path(path))
    columns = _columns(header, RULE_CITATION_LAYOUT)
    _require(columns, ("rule", "standard", "kind"))
    rules = {r.reference: r for r in TechnicalRegulation.objects.all()}
    records, errors, seen = [], [], {}
    for number, raw in enumerate(rows, start=1):
        row = {column: raw.get(name, "").strip() for column, name in columns.items()}
        row_errors = []
        regulation = rules.get(row["rule"])
        if regulation is None:
            row_errors.append(
                ("rule", _("Unknown regulation “%(value)s”.") % {"value": row["rule"]})
            )
        standard = None
        try:
            parsed = parse_identifier(row["standard"])
            standard = Standard.objects.filter(key=parsed.key).first()
            if standard is None:
                row_errors.append(
                    ("standard", _("%(id)s is not in the catalogue.") % {"id": row["standard"]})
                )
        except IdentifierError as exc:
            row_errors.append(("standard", describe_identifier_error(exc)))
        if row["kind"] not in (CitationKind.COMPULSORY, CitationKind.CCC_TESTING):
            row_errors.append(("kind", _("The kind must be compulsory or ccc-testing.")))
        pair = (row["rule"], standard.pk if standard else row["standard"])
        if pair in seen:
            row_errors.append(
                ("standard", _("The same citation as row %(row)s.") % {"row": seen[pair]})
            )
        seen.setdefault(pair, number)
        errors += [RowError(number, column, message) for column, message in row_errors]
        records.append((regulation, standard, row))
    _refuse_if(errors)

    report = ImportReport(rows=len(records))
    with transaction.atomic():
        for regulation, standard, row in records:
            values = {
                "kind": row["kind"],
                "restrictions_en": row.get("restrictions_en", ""),
                "restrictions_zh_hans": row.get("restrictions_zh_hans", ""),
            }
            citation = Citation.objects.filter(regulation=regulation, standard=standard).first()
            if citation and all(_same(getattr(citation, k), v) for k, v in values.items()):
                report.unchanged += 1
                continue
            report.created += citation is None
            report.updated += citation is not None
            citation = citation or Citation(regulation=regulation, standard=standard)
            for name, value in values.items():
                setattr(citation, name, value)
            report.citations += 1
            report.changes += len(changes.save_record(citation, actor=actor, via=ChangeVia.IMPORT))
        if dry_run:
            transaction.set_rollback(True)
    return report
