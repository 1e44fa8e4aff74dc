"""Curated lists of regulations (EU acts, Chinese rules), of the standards Chinese rules
name and of the formalities acts require; the layouts are in data/demo/README.md.

Same contract as the other importers: all rows validated first, errors by row and
column, all or nothing, idempotent, every change through standards.changes.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cesip.tabular import (
    ImportReport,
    check_rows,
    match_columns,
    parse_date,
    pick,
    read_table,
    split,
    unknown_codes,
)
from sectors.models import HsCode, Sector
from standards import changes
from standards.identifiers import IdentifierError, describe_identifier_error, parse_identifier
from standards.imports.common import save_if_changed, save_row, source_errors
from standards.models import (
    ChangeVia,
    Citation,
    CitationKind,
    ConformityRoute,
    Formality,
    Jurisdiction,
    RegulationFormality,
    RegulationKind,
    Standard,
    TechnicalRegulation,
    ThirdParty,
    TranslationSource,
)

TEXT_FIELDS = [
    "short_name_en", "short_name_zh_hans", "title_en", "title_zh_hans", "scope_en",
    "scope_zh_hans", "authority_en", "authority_zh_hans", "conformity_notes_en",
    "conformity_notes_zh_hans", "marking", "source_url", "competent_authority_en",
    "competent_authority_zh_hans", "conformity_modules", "route_source_url",
]  # fmt: skip
DATE_FIELDS = ["adopted_date", "in_force_date", "applies_from", "transition_ends", "repealed_date"]
REGULATION_LAYOUT = {
    name: ()
    for name in [
        "reference", "jurisdiction", "kind", *TEXT_FIELDS, *DATE_FIELDS,
        "conformity_route", "third_party", "sectors", "hs_codes", "successor",
    ]
}  # fmt: skip
REGULATION_REQUIRED = ("reference", "jurisdiction", "kind", "short_name_en", "title_en")


def regulation_slug(reference: str) -> str:
    """'Directive 2009/48/EC' → 'directive-2009-48-ec'; 'CNCA-C07-01:2017' → 'cnca-c07-01-2017'."""
    return slugify(reference.replace("/", "-").replace(":", "-").replace(".", "-"))


def import_regulations(path: Path, *, actor=None, dry_run: bool = False) -> ImportReport:
    header, rows = read_table(Path(path))
    columns = match_columns(header, REGULATION_LAYOUT, REGULATION_REQUIRED)
    known_sectors = dict(Sector.objects.values_list("slug", "pk"))
    known_hs = dict(HsCode.objects.values_list("code", "pk"))
    rows = [pick(row, columns) for row in rows]
    references = {row["reference"] for row in rows}
    references |= set(TechnicalRegulation.objects.values_list("reference", flat=True))

    def read(row):
        errors = []
        if not row["reference"]:
            errors.append(("reference", _("The reference is empty.")))
        for column, choices in (
            ("jurisdiction", Jurisdiction),
            ("kind", RegulationKind),
            ("conformity_route", ConformityRoute),
            ("third_party", ThirdParty),
        ):
            if row.get(column) and row[column] not in choices.values:
                errors.append((column, _("Unknown value “%(value)s”.") % {"value": row[column]}))
        for column in ("short_name_en", "title_en"):
            if not row.get(column):
                errors.append((column, _("This column cannot be empty.")))
        dates = {}
        for column in DATE_FIELDS:
            try:
                dates[column] = parse_date(row.get(column, ""))
            except ValueError as exc:
                errors.append((column, str(exc)))
        errors += unknown_codes("sectors", split(row.get("sectors", "")), known_sectors)
        errors += unknown_codes("hs_codes", split(row.get("hs_codes", "")), known_hs)
        errors += source_errors("source_url", row.get("source_url", ""))
        errors += source_errors("route_source_url", row.get("route_source_url", ""))
        successor = row.get("successor", "")
        if successor and successor not in references:
            errors.append(
                (
                    "successor",
                    _("“%(value)s” is not in this file or the catalogue.") % {"value": successor},
                )
            )
        return (row, dates), errors

    records = check_rows(
        rows,
        read,
        key=lambda row, record: row["reference"],
        column="reference",
        same_as=_("The same regulation as row %(row)s."),
    )

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
    if regulation is None:
        regulation = TechnicalRegulation(
            reference=row["reference"], slug=regulation_slug(row["reference"]), published=True
        )
    official = "en" if row["jurisdiction"] == Jurisdiction.EU else "zh_hans"
    values = {
        "jurisdiction": row["jurisdiction"],
        "kind": row["kind"],
        "conformity_route": row.get("conformity_route", ""),
        "third_party": row.get("third_party", ""),
        **{name: row.get(name, "") for name in TEXT_FIELDS},
        **dates,
    }
    for language in ("en", "zh_hans"):
        source = TranslationSource.OFFICIAL if language == official else TranslationSource.CURATOR
        for name in ("title", "scope"):
            if values.get(f"{name}_{language}"):
                values[f"{name}_{language}_source"] = source
    m2m = {
        "sectors": sorted(known_sectors[slug] for slug in split(row.get("sectors", ""))),
        "hs_codes": sorted(known_hs[code] for code in split(row.get("hs_codes", ""))),
    }
    for name, value in values.items():
        setattr(regulation, name, value)
    return save_row(regulation, report, actor, m2m=m2m)


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
    columns = match_columns(header, RULE_CITATION_LAYOUT, ("rule", "standard", "kind"))
    rules = {r.reference: r for r in TechnicalRegulation.objects.all()}

    def read(row):
        errors = []
        regulation = rules.get(row["rule"])
        if regulation is None:
            errors.append(("rule", _("Unknown regulation “%(value)s”.") % {"value": row["rule"]}))
        standard = None
        try:
            parsed = parse_identifier(row["standard"])
            standard = Standard.objects.filter(key=parsed.key).first()
            if standard is None:
                errors.append(
                    ("standard", _("%(id)s is not in the catalogue.") % {"id": row["standard"]})
                )
        except IdentifierError as exc:
            errors.append(("standard", describe_identifier_error(exc)))
        if row["kind"] not in (CitationKind.COMPULSORY, CitationKind.CCC_TESTING):
            errors.append(("kind", _("The kind must be compulsory or ccc-testing.")))
        return (regulation, standard, row), errors

    records = check_rows(
        [pick(row, columns) for row in rows],
        read,
        key=lambda row, record: (row["rule"], record[1].pk if record[1] else row["standard"]),
        column="standard",
        same_as=_("The same citation as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    with transaction.atomic():
        for regulation, standard, row in records:
            citation = Citation.objects.filter(regulation=regulation, standard=standard).first()
            is_new = citation is None
            citation = citation or Citation(regulation=regulation, standard=standard)
            citation.kind = row["kind"]
            citation.restrictions_en = row.get("restrictions_en", "")
            citation.restrictions_zh_hans = row.get("restrictions_zh_hans", "")
            if not save_if_changed(citation, report, actor):
                report.unchanged += 1
                continue
            report.created += is_new
            report.updated += not is_new
            report.citations += 1
        if dry_run:
            transaction.set_rollback(True)
    return report


FORMALITY_LAYOUT = {
    name: ()
    for name in [
        "reference", "formality", "basis_en", "basis_zh_hans", "condition_en",
        "condition_zh_hans", "source_url",
    ]
}  # fmt: skip
FORMALITY_TEXT = ["basis_en", "basis_zh_hans", "condition_en", "condition_zh_hans", "source_url"]


def import_formalities(path: Path, *, dry_run: bool = False) -> ImportReport:
    """The formalities each act requires (standards.formalities explains the kinds). The
    file is the whole list for the acts it names: a formality of such an act that the file
    no longer lists is removed. Every row needs its source."""
    header, rows = read_table(Path(path))
    columns = match_columns(header, FORMALITY_LAYOUT, ("reference", "formality", "source_url"))
    acts = {r.reference: r for r in TechnicalRegulation.objects.only("pk", "reference")}

    def read(row):
        errors = []
        regulation = acts.get(row["reference"])
        if regulation is None:
            errors.append(
                ("reference", _("Unknown regulation “%(value)s”.") % {"value": row["reference"]})
            )
        if row["formality"] not in Formality.values:
            errors.append(
                ("formality", _("Unknown value “%(value)s”.") % {"value": row["formality"]})
            )
        if not row.get("source_url"):
            errors.append(("source_url", _("This column cannot be empty.")))
        errors += source_errors("source_url", row.get("source_url", ""))
        return (regulation, row), errors

    records = check_rows(
        [pick(row, columns) for row in rows],
        read,
        key=lambda row, record: (row["reference"], row["formality"]),
        column="formality",
        same_as=_("The same formality as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    with transaction.atomic():
        kept: dict[int, set[str]] = {}
        for regulation, row in records:
            kept.setdefault(regulation.pk, set()).add(row["formality"])
            values = {name: row.get(name, "") for name in FORMALITY_TEXT}
            found = RegulationFormality.objects.filter(
                regulation=regulation, formality=row["formality"]
            ).first()
            if found is None:
                RegulationFormality.objects.create(
                    regulation=regulation, formality=row["formality"], **values
                )
                report.created += 1
            elif any(getattr(found, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(found, name, value)
                found.save()
                report.updated += 1
            else:
                report.unchanged += 1
        for regulation_id, formalities in kept.items():
            RegulationFormality.objects.filter(regulation_id=regulation_id).exclude(
                formality__in=formalities
            ).delete()
        if dry_run:
            transaction.set_rollback(True)
    return report
