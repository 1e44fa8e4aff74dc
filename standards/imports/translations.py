"""Curators' translations of the texts a record has in one language only.

One row per text: `record, field, text, source, original` (data/demo/translations.csv,
described in data/demo/README.md).

- `record`: a standard's identifier, an act's reference, or a citation written as the
  act's reference, " → ", the standard's identifier (how a Citation prints itself).
- `field`: one of the record's translated fields in one language (`title_zh_hans`,
  `committee_name_en`, `restrictions_zh_hans`…).
- `source`: `curator` (CESIP's own translation) or `official` (the published text itself,
  for a record loaded without it); where the record keeps the field's source
  (`title_*_source`, `scope_*_source`) it is stored there.
- `original`: the text in the other language the translation was made from. When the
  record's text has changed since, the translation no longer matches it: the row is
  left out with a warning, for a curator to translate again.
- `note` (optional): what the text was written from, for the curator who checks it.

A row never replaces an official title or one taken from an identical adoption, nor a
text whose source the record does not keep: those rows are left out with a warning.
Unknown records and fields refuse the file, by row, like every importer (all or
nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import models, transaction
from django.utils.translation import gettext as _

from cesip.tabular import ImportReport, check_rows, match_columns, pick, read_table
from sectors.models import TranslationSource
from standards import changes
from standards.models import ChangeVia, Citation, Standard, TechnicalRegulation

LAYOUT = {"record": (), "field": (), "text": (), "source": (), "original": (), "note": ()}
REQUIRED = ("record", "field", "text", "source")
SOURCES = (TranslationSource.CURATOR, TranslationSource.OFFICIAL)
CITATION_ARROW = " → "
LANGUAGES = ("en", "zh_hans")

# The translated fields a row may fill, by model.
FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Standard: ("title", "scope", "committee_name", "proposing_body"),
    TechnicalRegulation: ("short_name", "title", "scope", "authority", "conformity_notes"),
    Citation: ("restrictions",),
}
# Fields whose source the record keeps (CuratedRecord.<field>_<language>_source).
WITH_SOURCE = ("title", "scope")
# Sources a translation never replaces.
KEPT = (TranslationSource.OFFICIAL, TranslationSource.ADOPTION)


@dataclass
class Row:
    number: int
    record: models.Model
    name: str  # the field without its language: "title"
    language: str  # "en" or "zh_hans"
    text: str
    source: str
    original: str

    @property
    def field(self) -> str:
        return f"{self.name}_{self.language}"

    @property
    def other(self) -> str:
        return f"{self.name}_{'zh_hans' if self.language == 'en' else 'en'}"


def _records() -> dict[str, models.Model]:
    found: dict[str, models.Model] = {}
    for standard in Standard.objects.all():
        found.setdefault(standard.identifier, standard)
    for regulation in TechnicalRegulation.objects.all():
        found.setdefault(regulation.reference, regulation)
    for citation in Citation.objects.select_related("regulation", "standard"):
        found.setdefault(
            f"{citation.regulation.reference}{CITATION_ARROW}{citation.standard.identifier}",
            citation,
        )
    return found


def _split_field(field: str) -> tuple[str, str]:
    for language in LANGUAGES:
        if field.endswith(f"_{language}"):
            return field[: -len(language) - 1], language
    return field, ""


def _leave_out(row: Row) -> str:
    """Why `row` must not be written ("" when it may)."""
    record = row.record
    stored = getattr(record, row.field) or ""
    if stored == row.text:
        return ""
    if row.original and (getattr(record, row.other) or "") != row.original:
        return _("the text it translates has changed since; translate it again")
    if row.name in WITH_SOURCE:
        source = getattr(record, f"{row.field}_source")
        if stored and source in KEPT:
            return _("the record keeps its %(source)s text") % {
                "source": TranslationSource(source).label.lower()
            }
    elif stored:
        return _("the record already has this text, from a source it does not record")
    return ""


def import_translations(path: Path, *, record: bool = True, actor=None) -> ImportReport:
    """Write the rows of a translations file. With `record`, each record's changes go
    to the change log like any other edit (see standards.changes); load_demo loads the
    demo's translations without, as part of each record as first loaded."""
    header, rows = read_table(Path(path))
    columns = match_columns(header, LAYOUT, REQUIRED)
    records = _records()
    numbered = iter(range(1, len(rows) + 1))

    def read(cells):
        number = next(numbered)
        errors = []
        found = records.get(cells["record"])
        if found is None:
            errors.append(
                ("record", _("No record is called “%(value)s”.") % {"value": cells["record"]})
            )
        name, language = _split_field(cells["field"])
        if found is not None and (not language or name not in FIELDS[type(found)]):
            allowed = ", ".join(f"{f}_en, {f}_zh_hans" for f in FIELDS[type(found)])
            errors.append(
                (
                    "field",
                    _("“%(value)s” is not a translated field of this record (one of %(allowed)s).")
                    % {"value": cells["field"], "allowed": allowed},
                )
            )
        if not cells["text"]:
            errors.append(("text", _("This column cannot be empty.")))
        if cells["source"] not in SOURCES:
            errors.append(("source", _("The source must be curator or official.")))
        row = Row(
            number, found, name, language, cells["text"], cells["source"], cells.get("original", "")
        )
        return row, errors

    checked: list[Row] = check_rows(
        [pick(row, columns) for row in rows],
        read,
        key=lambda cells, row: (cells["record"], cells["field"]),
        column="field",
        same_as=_("The same record and field as row %(row)s."),
    )

    report = ImportReport(rows=len(checked))
    touched: dict[tuple[type, int], tuple[models.Model, set[str]]] = {}
    for row in checked:
        reason = _leave_out(row)
        if reason:
            report.warnings.append(
                _("Row %(row)s, %(record)s %(field)s left out: %(reason)s.")
                % {"row": row.number, "record": row.record, "field": row.field, "reason": reason}
            )
            continue
        changed = (getattr(row.record, row.field) or "") != row.text
        fields = {row.field} if changed else set()
        setattr(row.record, row.field, row.text)
        if row.name in WITH_SOURCE and getattr(row.record, f"{row.field}_source") != row.source:
            setattr(row.record, f"{row.field}_source", row.source)
            fields.add(f"{row.field}_source")
        if not fields:
            report.unchanged += 1
            continue
        key = (type(row.record), row.record.pk)
        touched.setdefault(key, (row.record, set()))[1].update(fields)
        report.updated += 1

    with transaction.atomic():
        by_model: dict[type, list[int]] = {}
        for (model, pk), _value in touched.items():
            by_model.setdefault(model, []).append(pk)
        before = {model: changes.snapshot(model, pks) for model, pks in by_model.items() if record}
        for instance, fields in touched.values():
            extra = ["updated_at"] if hasattr(instance, "updated_at") else []
            instance.save(update_fields=[*sorted(fields), *extra])
        if record:
            for model, pks in by_model.items():
                written = changes.record_changes(
                    model, before[model], pks, actor=actor, via=ChangeVia.IMPORT
                )
                report.changes += len(written)
    return report
