"""Importing and exporting the catalogue (CSV and XLSX).

`StandardResource` is the admin's import/export format (django-import-export): one row
per standard, keyed by the normalised identifier. Every row is validated before
anything is written; errors name the row, the field and the reason; an import with any
error writes nothing; re-importing the same file changes nothing. Changes are recorded
through standards.changes, like every other write.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import reset_queries, transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards import changes
from standards.identifiers import (
    Identifier,
    IdentifierError,
    describe_identifier_error,
    parse_identifier,
)
from standards.models import (
    Adoption,
    Body,
    ChangeVia,
    DatePrecision,
    Replacement,
    Stage,
    Standard,
    TranslationSource,
)

M2M_SEPARATOR = ";"


class StrictForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key by natural key; an unknown value is a row error, not a crash.
    Looked-up objects are kept for the rest of the import (one query per value)."""

    def __init__(self, model, field: str):
        super().__init__(model, field=field)
        self._cache: dict[str, object] = {}

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if value not in self._cache:
            try:
                self._cache[value] = super().clean(value, row, **kwargs)
            except self.model.DoesNotExist as exc:
                raise ValueError(
                    _("Unknown %(model)s “%(value)s”.")
                    % {"model": self.model._meta.verbose_name, "value": value}
                ) from exc
        return self._cache[value]


class StrictDateWidget(widgets.DateWidget):
    """ISO dates only, with an error that says what was wrong."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError as exc:
            raise ValueError(
                _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}
            ) from exc


class CodeListWidget(widgets.ManyToManyWidget):
    """Codes separated by ";" (e.g. ICS "97.200.50;13.120"); unknown codes are checked
    before the row is written, see StandardResource.before_import_row."""

    def __init__(self, model, field: str = "code"):
        super().__init__(model, separator=M2M_SEPARATOR, field=field)
        self._by_code: dict[str, object] | None = None

    def clean(self, value, row=None, **kwargs):
        # Reference tables are small: read each once per import instead of once per row.
        if self._by_code is None:
            self._by_code = {getattr(obj, self.field): obj for obj in self.model.objects.all()}
        return [self._by_code[code] for code in split_codes(value) if code in self._by_code]


def split_codes(value) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(M2M_SEPARATOR) if part.strip()]


class StandardResource(resources.ModelResource):
    key = fields.Field(attribute="key", column_name="key", readonly=False)
    body = fields.Field(
        attribute="body", column_name="body", widget=StrictForeignKeyWidget(Body, field="code")
    )
    amendment_of = fields.Field(
        attribute="amendment_of",
        column_name="amendment_of",
        widget=StrictForeignKeyWidget(Standard, field="key"),
    )
    sectors = fields.Field(
        attribute="sectors", column_name="sectors", widget=CodeListWidget(Sector, "slug")
    )
    ics_codes = fields.Field(
        attribute="ics_codes", column_name="ics_codes", widget=CodeListWidget(IcsCode)
    )
    ccs_codes = fields.Field(
        attribute="ccs_codes", column_name="ccs_codes", widget=CodeListWidget(CcsCode)
    )
    hs_codes = fields.Field(
        attribute="hs_codes", column_name="hs_codes", widget=CodeListWidget(HsCode)
    )

    # Columns whose values must exist in a reference table, and that table's codes.
    CODE_COLUMNS = {
        "sectors": (Sector, "slug"),
        "ics_codes": (IcsCode, "code"),
        "ccs_codes": (CcsCode, "code"),
        "hs_codes": (HsCode, "code"),
    }

    class Meta:
        model = Standard
        import_id_fields = ["key"]
        fields = [
            "key", "identifier", "document_type", "body", "jurisdiction", "legal_force",
            "title_en", "title_zh_hans", "scope_en", "scope_zh_hans", "title_en_source",
            "title_zh_hans_source", "scope_en_source", "scope_zh_hans_source",
            "translation_verified", "stage", "status_label", "issued_date", "issued_precision",
            "implementation_date", "first_issued_date", "confirmed_date", "withdrawn_date",
            "dor", "dav", "doa", "dop", "dow", "sectors", "ics_codes", "ccs_codes",
            "hs_codes", "committee_code", "committee_name_en", "committee_name_zh_hans",
            "amendment_of", "source_url", "last_verified", "published",
        ]  # fmt: skip
        export_order = fields
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._keys: dict[int, str] = {}
        self._row_errors: dict[int, dict[str, str]] = {}
        self._before: dict = {}

    def before_import(self, dataset, **kwargs):
        """Parse every identifier once, find duplicates and unknown codes, snapshot the
        records the file will touch. Errors are raised row by row in before_import_row."""
        if "identifier" not in dataset.headers:
            raise ValidationError(_("The file has no “identifier” column."))
        known = {
            column: set(model.objects.values_list(field, flat=True))
            for column, (model, field) in self.CODE_COLUMNS.items()
            if column in dataset.headers
        }
        first_row_of_key: dict[str, int] = {}
        keys = []
        for index, row in enumerate(dataset.dict, start=1):
            errors: dict[str, str] = {}
            key = ""
            try:
                key = parse_identifier(row.get("identifier") or "").key
            except IdentifierError as exc:
                errors["identifier"] = describe_identifier_error(exc)
            if key and key in first_row_of_key:
                errors["identifier"] = _("The same standard as row %(row)s.") % {
                    "row": first_row_of_key[key]
                }
            elif key:
                first_row_of_key[key] = index
            for column, codes in known.items():
                unknown = [c for c in split_codes(row.get(column)) if c not in codes]
                if unknown:
                    errors[column] = _("Unknown code(s): %(codes)s.") % {
                        "codes": ", ".join(unknown)
                    }
            keys.append(key)
            if errors:
                self._row_errors[index] = errors
        # The key column is derived, never trusted from the file.
        if "key" in dataset.headers:
            del dataset["key"]
        dataset.append_col(keys, header="key")
        existing = Standard.objects.filter(key__in=[k for k in keys if k]).values_list(
            "pk", flat=True
        )
        self._before = changes.snapshot(Standard, list(existing))

    def before_import_row(self, row, **kwargs):
        errors = self._row_errors.get(kwargs["row_number"])
        if errors:
            raise ValidationError(errors)

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.get_internal_type() == "DateField":
            return StrictDateWidget
        return super().widget_from_django_field(f, default)

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            # Identifier-derived fields (slug, family key, document type…) as in the
            # admin, even when another field failed, so only the real error is reported.
            instance.set_identifier(row["identifier"])

    def after_import(self, dataset, result, **kwargs):
        touched = [
            row.object_id
            for row in result.rows
            if row.import_type in (row.IMPORT_TYPE_NEW, row.IMPORT_TYPE_UPDATE) and row.object_id
        ]
        if touched and not result.has_errors() and not result.has_validation_errors():
            changes.record_changes(
                Standard, self._before, touched, actor=kwargs.get("user"), via=ChangeVia.IMPORT
            )


# ----------------------------------------------------------------------------------------
# Bulk import of the international publication lists (ISO, IEC, ETSI)
# ----------------------------------------------------------------------------------------
#
# Tens of thousands of rows: validated in a first streaming pass (nothing is written if
# any row is wrong), then written in batches inside one transaction with bulk queries,
# history rows and Change rows through standards.changes. Memory holds one batch plus
# the set of keys seen, whatever the size of the file.


MAX_REPORTED_ERRORS = 50


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, %(field)s: %(message)s") % {
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }


class ImportRefused(Exception):
    """The file was not imported; `errors` says where and why (nothing was written)."""

    def __init__(self, errors: list[RowError], *, more: int = 0):
        self.errors = errors
        self.more = more
        lines = [str(error) for error in errors]
        if more:
            lines.append(_("… and %(count)s more errors.") % {"count": more})
        super().__init__("\n".join(lines))


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: int = 0
    seconds: float = 0.0
    peak_memory_mb: float = 0.0  # resident set size of the process
    duplicates: int = 0
    citations: int = 0  # citations written (new or changed)
    skipped: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class PublicationRow:
    """One validated row, ready to be written."""

    values: dict
    ics: list[str] = field(default_factory=list)
    body: str = ""


PUBLICATION_FIELDS = [
    "identifier", "key", "family_key", "slug", "document_type", "jurisdiction", "legal_force",
    "title_en", "title_en_source", "stage", "status_label", "issued_date", "issued_precision",
    "committee_code", "source_url", "published",
]  # fmt: skip

BODY_NAMES = {
    "ISO": ("International Organization for Standardization", "国际标准化组织", "INT"),
    "IEC": ("International Electrotechnical Commission", "国际电工委员会", "INT"),
    "ETSI": ("European Telecommunications Standards Institute", "欧洲电信标准化协会", "EU"),
}


def _month_date(value: str) -> tuple[datetime.date | None, str]:
    """'2018-07-15', '2018-07' or '2018' → (date, precision); '' → (None, day)."""
    value = value.strip()
    if not value:
        return None, DatePrecision.DAY
    for fmt, precision in (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year")):
        try:
            return datetime.datetime.strptime(value, fmt).date(), DatePrecision(precision)
        except ValueError:
            continue
    raise ValueError(
        _("“%(value)s” is not a date (YYYY-MM-DD, YYYY-MM or YYYY).") % {"value": value}
    )


class PublicationList:
    """A CSV layout of one publisher's list; `read_row` turns a row into field values."""

    name = ""
    body = ""
    required_columns: tuple[str, ...] = ()

    def __init__(self, path: Path):
        self.path = path

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in self.required_columns if c not in (reader.fieldnames or [])]
                if missing:
                    raise ImportRefused([RowError(0, ", ".join(missing), _("Missing column(s)."))])
                yield from enumerate(reader, start=1)
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                [RowError(0, "file", _("The file is not UTF-8 text: %(error)s") % {"error": exc})]
            ) from exc

    def prepare(self) -> None:
        """A first look at the whole file, for facts that span rows."""

    def read_row(self, row: dict[str, str]) -> tuple[PublicationRow | None, list[tuple[str, str]]]:
        errors: list[tuple[str, str]] = []
        values: dict = {"title_en_source": TranslationSource.OFFICIAL, "published": True}
        try:
            parsed = parse_identifier(row["docid"])
        except IdentifierError as exc:
            return None, [("docid", str(exc))]
        values.update(
            identifier=str(parsed), key=parsed.key, family_key=parsed.family_key,
            slug=parsed.slug, document_type=parsed.document_type,
            jurisdiction=parsed.jurisdiction, legal_force=parsed.legal_force,
        )  # fmt: skip
        values["title_en"] = (row.get("title_en") or "").strip()
        if not values["title_en"]:
            errors.append(("title_en", _("The title is empty.")))
        try:
            values["issued_date"], values["issued_precision"] = _month_date(
                row.get("published", "")
            )
        except ValueError as exc:
            errors.append(("published", str(exc)))
        values["committee_code"] = (row.get("committee") or row.get("technical_body") or "")[:60]
        values["source_url"] = (row.get("source_url") or row.get("pdf_url") or "").strip()
        values.update(self.status(row))
        ics = [code.strip() for code in (row.get("ics") or "").split(";") if code.strip()]
        # Joint documents (ISO/IEC 17025) belong to their first publisher in either list,
        # so importing the ISO and the IEC list does not flip them back and forth.
        first = parsed.publishers[0] if parsed.publishers else ""
        body = first if first in BODY_NAMES else self.body
        return (None if errors else PublicationRow(values, ics, body)), errors

    def status(self, row: dict[str, str]) -> dict:
        raise NotImplementedError


class IsoList(PublicationList):
    name = "iso"
    body = "ISO"
    required_columns = ("docid", "title_en", "published", "stage", "status", "ics", "source_url")

    def status(self, row):
        stage = Stage.WITHDRAWN if row["status"] == "withdrawn" else Stage.PUBLISHED
        label = row["stage"] + (f".{row['substage']}" if row.get("substage") else "")
        return {"stage": stage, "status_label": label}


class IecList(PublicationList):
    name = "iec"
    body = "IEC"
    required_columns = ("docid", "title_en", "published", "stage", "status", "ics", "source_url")
    STAGES = {
        "current": Stage.PUBLISHED,
        "superseded": Stage.SUPERSEDED,
        "withdrawn": Stage.WITHDRAWN,
    }

    def status(self, row):
        return {
            "stage": self.STAGES.get(row["status"], Stage.PUBLISHED),
            "status_label": row["stage"],
        }


class EtsiList(PublicationList):
    """ETSI lists every version of an EN; a later version supersedes the earlier ones."""

    name = "etsi"
    body = "ETSI"
    required_columns = ("docid", "en_number", "version", "title_en", "published", "pdf_url")

    def prepare(self) -> None:
        self.latest: dict[str, tuple[int, ...]] = {}
        for _number, row in self.rows():
            version = self._version(row.get("version", ""))
            if version is not None:
                number = row["en_number"]
                self.latest[number] = max(self.latest.get(number, version), version)

    @staticmethod
    def _version(text: str) -> tuple[int, ...] | None:
        try:
            return tuple(int(part) for part in text.split("."))
        except ValueError:
            return None

    def status(self, row):
        version = self._version(row.get("version", ""))
        latest = self.latest.get(row["en_number"])
        if version is not None and latest is not None and version < latest:
            return {"stage": Stage.SUPERSEDED, "status_label": _("later version published")}
        return {"stage": Stage.PUBLISHED, "status_label": ""}


PUBLICATION_LISTS = {cls.name: cls for cls in (IsoList, IecList, EtsiList)}


def import_publications(
    path: Path,
    list_name: str,
    *,
    actor=None,
    batch_size: int = 2000,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import an ISO, IEC or ETSI publication list; all or nothing, idempotent.

    With `skip_invalid`, rows with errors are left out (and listed in the report)
    instead of refusing the file.
    """
    started = time.perf_counter()
    reader = PUBLICATION_LISTS[list_name](Path(path))
    reader.prepare()
    known_ics = set(IcsCode.objects.values_list("code", flat=True))
    report = ImportReport()
    skip = _validate(reader, known_ics, skip_invalid=skip_invalid, report=report)
    bodies = {code: _body(code) for code in BODY_NAMES}
    sector_rules = _sector_rules()

    def flush(batch: list[PublicationRow]) -> None:
        _write_batch(batch, bodies, sector_rules, report, actor, owner=reader.body)
        reset_queries()  # with DEBUG on, Django keeps every SQL string
        report.rows += len(batch)
        if progress:
            progress(report.rows)

    with transaction.atomic():
        batch: list[PublicationRow] = []
        for number, row in reader.rows():
            if number not in skip:
                batch.append(reader.read_row(row)[0])
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    # The process's peak resident memory (Linux reports KiB).
    report.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.seconds = time.perf_counter() - started
    return report


def _validate(
    reader: PublicationList, known_ics: set[str], *, skip_invalid: bool, report: ImportReport
) -> set[int]:
    """Check every row; return the row numbers to leave out.

    A row repeating an earlier one exactly (same document, same facts) is left out
    silently: publishers' lists contain such echoes. A repeat that disagrees is an error.
    Errors refuse the whole file, unless `skip_invalid`, when those rows are left out and
    listed in the report.
    """
    errors: list[RowError] = []
    more = 0
    skip: set[int] = set()
    seen: dict[str, tuple[int, int]] = {}
    for number, row in reader.rows():
        record, row_errors = reader.read_row(row)
        if record is not None:
            key = record.values["key"]
            # The printed spelling may differ ("IEC 61360-C00168" and "…C00168:").
            facts = {k: v for k, v in record.values.items() if k != "identifier"}
            fingerprint = hash((repr(sorted(facts.items())), tuple(record.ics)))
            if key in seen and seen[key][1] == fingerprint:
                skip.add(number)
                report.duplicates += 1
                continue
            if key in seen:
                row_errors.append(
                    ("docid", _("The same standard as row %(row)s.") % {"row": seen[key][0]})
                )
            else:
                seen[key] = (number, fingerprint)
            unknown = [code for code in record.ics if code not in known_ics]
            if unknown:
                row_errors.append(
                    ("ics", _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
                )
        if row_errors:
            skip.add(number)
        for field_name, message in row_errors:
            error = RowError(number, field_name, message)
            if skip_invalid:
                report.skipped.append(error)
            elif len(errors) < MAX_REPORTED_ERRORS:
                errors.append(error)
            else:
                more += 1
    if errors:
        raise ImportRefused(errors, more=more)
    return skip


def _body(code: str) -> Body:
    name_en, name_zh, jurisdiction = BODY_NAMES[code]
    return Body.objects.get_or_create(
        code=code,
        defaults={"name_en": name_en, "name_zh_hans": name_zh, "jurisdiction": jurisdiction},
    )[0]


def _sector_rules() -> list[tuple[str, int]]:
    """(ICS code, sector id) pairs: a standard belongs to a sector when one of its ICS
    codes is a sector's code or lies beneath it."""
    return list(Sector.ics_codes.through.objects.values_list("icscode__code", "sector_id"))


def _sectors_for(ics: list[str], rules: list[tuple[str, int]]) -> set[int]:
    return {
        sector_id
        for code in ics
        for prefix, sector_id in rules
        if code == prefix or code.startswith(prefix + ".")
    }


def _write_batch(batch, bodies, sector_rules, report: ImportReport, actor, *, owner: str) -> None:
    by_key = {record.values["key"]: record for record in batch}
    existing = {s.key: s for s in Standard.objects.filter(key__in=by_key)}
    # A joint document (ISO/IEC 17025 in the IEC list) that its first publisher's list
    # already brought in is left as that list has it; otherwise the two lists, whose
    # titles and links differ slightly, would overwrite each other on every import.
    for key in [k for k, r in by_key.items() if k in existing and r.body != owner]:
        del by_key[key]
        report.unchanged += 1
    before = changes.snapshot(Standard, [s.pk for s in existing.values()])
    to_create, to_update = [], []
    for key, record in by_key.items():
        standard = existing.get(key)
        body = bodies[record.body]
        if standard is None:
            to_create.append(Standard(body=body, **record.values))
            continue
        if standard.body_id != body.pk or any(
            getattr(standard, name) != value for name, value in record.values.items()
        ):
            for name, value in record.values.items():
                setattr(standard, name, value)
            standard.body = body
            to_update.append(standard)
    if to_create:
        bulk_create_with_history(to_create, Standard, batch_size=1000)
        created = Standard.objects.filter(key__in=[s.key for s in to_create])
        for pk, key in created.values_list("pk", "key"):
            existing[key] = Standard(pk=pk, key=key)
    if to_update:
        bulk_update_with_history(
            to_update, Standard, [*PUBLICATION_FIELDS, "body"], batch_size=1000
        )
    relinked = _set_codes(existing, by_key, sector_rules)
    touched = {s.pk for s in to_update} | relinked | {existing[s.key].pk for s in to_create}
    written = changes.record_changes(
        Standard, before, sorted(touched), actor=actor, via=ChangeVia.IMPORT
    )
    report.created += len(to_create)
    report.updated += len(touched) - len(to_create)
    report.unchanged += len(by_key) - len(touched)
    report.changes += len(written)


def _set_codes(existing: dict[str, Standard], by_key, sector_rules) -> set[int]:
    """Bring ICS codes and sectors in line with the file; return the standards changed."""
    ics_ids = dict(IcsCode.objects.filter(
        code__in={code for record in by_key.values() for code in record.ics}
    ).values_list("code", "pk"))  # fmt: skip
    pks = [existing[key].pk for key in by_key]
    changed: set[int] = set()
    for through, column, wanted_for in (
        (Standard.ics_codes.through, "icscode_id",
         lambda record: {ics_ids[code] for code in record.ics}),
        (Standard.sectors.through, "sector_id",
         lambda record: _sectors_for(record.ics, sector_rules)),
    ):  # fmt: skip
        current: dict[int, set[int]] = {pk: set() for pk in pks}
        for standard_id, value in through.objects.filter(standard_id__in=pks).values_list(
            "standard_id", column
        ):
            current[standard_id].add(value)
        add, remove = [], []
        for key, record in by_key.items():
            pk = existing[key].pk
            wanted = wanted_for(record)
            if wanted != current[pk]:
                changed.add(pk)
                add += [
                    through(standard_id=pk, **{column: value}) for value in wanted - current[pk]
                ]
                remove += [(pk, value) for value in current[pk] - wanted]
        through.objects.bulk_create(add, batch_size=2000)
        for pk, value in remove:
            through.objects.filter(standard_id=pk, **{column: value}).delete()
    return changed


@dataclass
class ImportPreview:
    rows: int = 0
    new: int = 0
    existing: int = 0
    duplicates: int = 0
    citations: int = 0  # citations that would be written (new or changed)
    skipped: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def preview_publications(
    path: Path, list_name: str, *, skip_invalid: bool = False
) -> ImportPreview:
    """What an import would do, without writing: raises ImportRefused like the import."""
    reader = PUBLICATION_LISTS[list_name](Path(path))
    reader.prepare()
    report = ImportReport()
    known_ics = set(IcsCode.objects.values_list("code", flat=True))
    skip = _validate(reader, known_ics, skip_invalid=skip_invalid, report=report)
    preview = ImportPreview(duplicates=report.duplicates, skipped=report.skipped)
    keys: list[str] = []

    def count(keys: list[str]) -> None:
        found = Standard.objects.filter(key__in=keys).count()
        preview.existing += found
        preview.new += len(keys) - found

    for number, row in reader.rows():
        if number in skip:
            continue
        preview.rows += 1
        keys.append(reader.read_row(row)[0].values["key"])
        if len(keys) >= 5000:
            count(keys)
            keys = []
    count(keys)
    return preview


# ----------------------------------------------------------------------------------------
# SAMR's national-standard list layout (全国标准信息公共服务平台 exports)
# ----------------------------------------------------------------------------------------

CN_BODIES = {
    "SAC": ("Standardization Administration of China", "国家标准化管理委员会"),
    "SAMR": ("State Administration for Market Regulation", "国家市场监督管理总局"),
    "MIIT": ("Ministry of Industry and Information Technology", "工业和信息化部"),
    "NMPA": ("National Medical Products Administration", "国家药品监督管理局"),
    "GACC": ("General Administration of Customs of China", "海关总署"),
    "MEE": ("Ministry of Ecology and Environment", "生态环境部"),
    "MOHURD": ("Ministry of Housing and Urban-Rural Development", "住房和城乡建设部"),
    "NEA": ("National Energy Administration", "国家能源局"),
    "MOT": ("Ministry of Transport", "交通运输部"),
    "MARA": ("Ministry of Agriculture and Rural Affairs", "农业农村部"),
    "MEM": ("Ministry of Emergency Management", "应急管理部"),
    "MPS": ("Ministry of Public Security", "公安部"),
    "NHC": ("National Health Commission", "国家卫生健康委员会"),
    "MWR": ("Ministry of Water Resources", "水利部"),
    "NFGA": ("National Forestry and Grassland Administration", "国家林业和草原局"),
}

# The source's status words → the stage CESIP records ("upcoming" follows from dates).
SAMR_STAGES = {
    "现行": Stage.PUBLISHED,
    "有效": Stage.PUBLISHED,
    "即将实施": Stage.PUBLISHED,
    "未生效": Stage.PUBLISHED,
    "废止": Stage.WITHDRAWN,
    "作废": Stage.WITHDRAWN,
    "被代替": Stage.SUPERSEDED,
    # Catalogues that export in English
    "active": Stage.PUBLISHED,
    "valid": Stage.PUBLISHED,
    "current": Stage.PUBLISHED,
    "in force": Stage.PUBLISHED,
    "upcoming": Stage.PUBLISHED,
    "withdrawn": Stage.WITHDRAWN,
    "abolished": Stage.WITHDRAWN,
    "obsolete": Stage.WITHDRAWN,
    "superseded": Stage.SUPERSEDED,
    "replaced": Stage.SUPERSEDED,
}
# Words inside longer labels ("现行有效", "已被代替", "即将废止" is still published).
SAMR_STAGE_WORDS = [("即将", Stage.PUBLISHED), ("代替", Stage.SUPERSEDED),
                    ("废止", Stage.WITHDRAWN), ("作废", Stage.WITHDRAWN),
                    ("现行", Stage.PUBLISHED), ("有效", Stage.PUBLISHED)]  # fmt: skip


def samr_stage(label: str) -> str | None:
    """The stage a SAMR status label means, or None when it is not understood."""
    stage = SAMR_STAGES.get(label) or SAMR_STAGES.get(label.strip().lower())
    if stage:
        return stage
    return next((stage for word, stage in SAMR_STAGE_WORDS if word in label), None)


# A note after an adopted identifier: "IEC 60335-1:2004 (Ed4.1)", "ISO 14971:2007 (更正版)".
TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
SAMR_REQUIRED = ("标准号", "中文标准名称")


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX file.

    Raises ImportRefused when the file cannot be read at all.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a damaged file
            raise ImportRefused(
                [RowError(0, "file", _("Not a readable XLSX file: %(error)s") % {"error": exc})]
            ) from exc
        rows = [
            ["" if cell is None else _cell_text(cell) for cell in row]
            for row in book.worksheets[0].iter_rows(values_only=True)
        ]
        book.close()
    else:
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportRefused([RowError(0, "file", _("The file is neither UTF-8 nor GBK text."))])
        # Keep line breaks inside quoted cells ("EN 71-1:2014+A1:2018\nSafety of toys").
        rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ImportRefused([RowError(0, "file", _("The file is empty."))])
    header = [str(name).strip() for name in rows[0]]
    body = [
        dict(zip(header, (str(value).strip() for value in row), strict=False))
        for row in rows[1:]
        if any(str(value).strip() for value in row)
    ]
    return header, body


def _cell_text(value) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _date(value: str) -> datetime.date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})


def import_samr_list(path: Path, *, actor=None, dry_run: bool = False) -> ImportReport:
    """Import a SAMR national-standard list; all or nothing, idempotent.

    Replacements and adoptions link to standards already in the catalogue or in the same
    file; a link to a standard CESIP does not hold is reported as a warning.
    """
    header, rows = read_table(Path(path))
    missing = [column for column in SAMR_REQUIRED if column not in header]
    if missing:
        raise ImportRefused([RowError(0, ", ".join(missing), _("Missing column(s)."))])
    known = {
        "ICS": set(IcsCode.objects.values_list("code", flat=True)),
        "CCS": set(CcsCode.objects.values_list("code", flat=True)),
        "行业": set(Sector.objects.values_list("slug", flat=True)),
        "HS": set(HsCode.objects.values_list("code", flat=True)),
    }
    records, errors, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        record, row_errors = _read_samr_row(row, known)
        if record and record["key"] in seen:
            row_errors.append(
                ("标准号", _("The same standard as row %(row)s.") % {"row": seen[record["key"]]})
            )
        elif record:
            seen[record["key"]] = number
        errors += [RowError(number, column, message) for column, message in row_errors]
        records.append(record)
    if errors:
        raise ImportRefused(
            errors[:MAX_REPORTED_ERRORS], more=max(len(errors) - MAX_REPORTED_ERRORS, 0)
        )

    report = ImportReport(rows=len(records))
    sector_rules = _sector_rules()
    retired = _retired_on(records)
    with transaction.atomic():
        saved: dict[str, Standard] = {}
        for record in records:
            saved[record["key"]] = _save_samr_record(
                record, sector_rules, report, actor, retired.get(record["key"])
            )
        for record in records:
            _link_samr_record(saved[record["key"]], record, report, actor)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _read_samr_row(row: dict[str, str], known: dict[str, set[str]]):
    errors: list[tuple[str, str]] = []
    try:
        parsed = parse_identifier(row.get("标准号", ""))
    except IdentifierError as exc:
        return None, [("标准号", describe_identifier_error(exc))]
    if parsed.jurisdiction != "CN":
        return None, [("标准号", _("“%(id)s” is not a Chinese standard.") % {"id": row["标准号"]})]
    record = {
        "parsed": parsed,
        "key": parsed.key,
        "title_zh_hans": row.get("中文标准名称", ""),
        "title_en": row.get("英文标准名称", ""),
        "status_label": row.get("标准状态", ""),
        "committee": row.get("归口单位", ""),
        "source_url": row.get("来源", ""),
        "replaces": [],
        "adopts": None,
    }
    if not record["title_zh_hans"]:
        errors.append(("中文标准名称", _("The title is empty.")))
    label = record["status_label"]
    stage = samr_stage(label) if label else Stage.PUBLISHED
    if stage is None:
        errors.append(
            ("标准状态", _("Unknown status “%(value)s”.") % {"value": record["status_label"]})
        )
    record["stage"] = stage
    for column, name in (
        ("发布日期", "issued_date"),
        ("实施日期", "implementation_date"),
        ("废止日期", "withdrawn_date"),
    ):
        try:
            record[name] = _date(row.get(column, ""))
        except ValueError as exc:
            errors.append((column, str(exc)))
    for text in split_codes(row.get("代替标准")):
        partial = "部分" in text
        try:
            record["replaces"].append(
                (parse_identifier(text.replace("(部分)", "").replace("（部分）", "")), partial)
            )
        except IdentifierError as exc:
            errors.append(("代替标准", describe_identifier_error(exc)))
    adopted = TRAILING_NOTE.sub("", row.get("采用国际标准", ""))
    degree = row.get("采用程度", "").strip().upper()
    if adopted:
        try:
            record["adopts"] = (parse_identifier(adopted), degree)
        except IdentifierError:
            # Lists also name documents that are not standards CESIP can identify
            # ("ECE R44"); the standard itself is still imported, without the link.
            record["unidentified_adoption"] = adopted
    if degree and degree not in ("IDT", "MOD", "NEQ"):
        errors.append(("采用程度", _("The degree must be IDT, MOD or NEQ.")))
    for column in ("ICS", "CCS", "行业", "HS"):
        values = split_codes(row.get(column))
        unknown = [value for value in values if value not in known[column]]
        if unknown:
            errors.append(
                (column, _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
            )
        record[column] = values
    return (None if errors else record), errors


def _cn_body(code: str) -> Body:
    name_en, name_zh = CN_BODIES.get(code, (code, code))
    return Body.objects.get_or_create(
        code=code, defaults={"name_en": name_en, "name_zh_hans": name_zh, "jurisdiction": "CN"}
    )[0]


def _retired_on(records) -> dict[str, datetime.date]:
    """Each standard wholly replaced (代替, not 部分代替) by a row of the file or by a standard
    already in the catalogue, with the day the replacing standard comes into force: SAMR
    abolishes the old standard on that day, and lists keep showing it as 现行 until they are
    next refreshed. One query for the whole file."""
    retired: dict[str, datetime.date] = {}

    def retire(key: str, day: datetime.date | None) -> None:
        if day:
            retired[key] = min(day, retired.get(key, day))

    for record in records:
        day = record["implementation_date"] or record["issued_date"]
        for parsed, partial in record["replaces"]:
            if not partial:
                retire(parsed.key, day)
    links = Replacement.objects.filter(
        old__key__in=[record["key"] for record in records], extent="whole", new__published=True
    ).select_related("old", "new")
    for link in links:
        retire(link.old.key, link.new.in_force_from)
    return retired


def _save_samr_record(
    record, sector_rules, report: ImportReport, actor, retired: datetime.date | None = None
) -> Standard:
    parsed = record["parsed"]
    standard = Standard.objects.filter(key=parsed.key).first() or Standard(published=True)
    if record["stage"] == Stage.PUBLISHED:
        # Still "现行" in the list, but with a 废止日期, or wholly replaced: withdrawn (or
        # superseded) from that day, the day the new standard comes into force; until then
        # the status shows it as current. The list's own word stays in status_label.
        if record["withdrawn_date"]:
            stage = Stage.SUPERSEDED if retired else Stage.WITHDRAWN
            record = {**record, "stage": stage}
        elif retired:
            record = {**record, "stage": Stage.SUPERSEDED, "withdrawn_date": retired}
    standard.set_identifier(str(parsed))
    committee = record["committee"]
    code = re.search(r"SAC/TC\s*\d+(?:/SC\s*\d+)?", committee)
    values = {
        "body": _cn_body(parsed.publishers[0] if parsed.publishers else "SAC"),
        "title_zh_hans": record["title_zh_hans"],
        "title_zh_hans_source": TranslationSource.OFFICIAL,
        "title_en": record["title_en"],
        "title_en_source": TranslationSource.OFFICIAL if record["title_en"] else "",
        "stage": record["stage"],
        "status_label": record["status_label"],
        "issued_date": record["issued_date"],
        "implementation_date": record["implementation_date"],
        "withdrawn_date": record["withdrawn_date"],
        "committee_code": code.group(0) if code else "",
        "committee_name_zh_hans": committee,
        "source_url": record["source_url"],
    }
    for name, value in values.items():
        setattr(standard, name, value)
    sectors = record["行业"] or None
    sector_ids = (
        list(Sector.objects.filter(slug__in=sectors).values_list("pk", flat=True))
        if sectors
        else sorted(_sectors_for(record["ICS"], sector_rules))
    )
    m2m = {
        "ics_codes": list(IcsCode.objects.filter(code__in=record["ICS"])),
        "ccs_codes": list(CcsCode.objects.filter(code__in=record["CCS"])),
        "hs_codes": list(HsCode.objects.filter(code__in=record["HS"])),
        "sectors": sector_ids,
    }
    is_new = standard.pk is None
    if not is_new and not _differs(standard, m2m):
        report.unchanged += 1
        return standard
    written = changes.save_record(standard, actor=actor, via=ChangeVia.IMPORT, m2m=m2m)
    report.changes += len(written)
    report.created += is_new
    report.updated += not is_new
    return standard


def _differs(standard: Standard, m2m: dict) -> bool:
    """Would saving change anything? (Saving unchanged rows would add history rows.)"""
    stored = Standard.objects.get(pk=standard.pk)
    for field_obj in Standard._meta.concrete_fields:
        if field_obj.name in ("updated_at", "created_at"):
            continue
        if getattr(stored, field_obj.attname) != getattr(standard, field_obj.attname):
            return True
    current = {
        name: {getattr(value, "pk", value) for value in values} for name, values in m2m.items()
    }
    return any(
        set(getattr(stored, name).values_list("pk", flat=True)) != wanted
        for name, wanted in current.items()
    )


def find_adopted(parsed: Identifier, adopter: str, report: ImportReport) -> Standard | None:
    """The catalogue record an adoption names, or None (with a warning) when none fits.

    Use `adopted_name(parsed, found)` for the name to keep on the Adoption.

    National lists often date an adopted IEC or ISO standard by its latest consolidated
    version: GB/T 4706.1-2024 adopts "IEC 60335-1:2016", which IEC publishes as
    "IEC 60335-1:2010+AMD1:2013+AMD2:2016 CSV", the 2010 edition with its amendments. When
    no record has the dated number, the adoption goes to the edition of that year's
    consolidated version, or else to the latest edition published by then, and the report
    says so, so that a curator can check it.
    """
    exact = Standard.objects.filter(key=parsed.key).first()
    if exact is not None:
        return exact
    if parsed.year and not parsed.amendments and not parsed.suffix:
        edition = _edition_dated(parsed, adopter, report)
        if edition is not None:
            return edition
    report.warnings.append(
        _("%(id)s adopts %(other)s, which is not in the catalogue.")
        % {"id": adopter, "other": str(parsed)}
    )
    return None


def _edition_dated(parsed: Identifier, adopter: str, report: ImportReport) -> Standard | None:
    """The edition a dated reference with no record of its own means (see find_adopted)."""
    year = parsed.full_year
    editions: dict[int, Standard] = {}
    consolidated: dict[int, tuple[int, Standard]] = {}  # amendment year -> (edition year, record)
    for record in Standard.objects.filter(family_key=parsed.family_key):
        try:
            other = parse_identifier(record.identifier)
        except IdentifierError:
            continue
        if not other.year:
            continue
        if not other.amendments and not other.suffix:
            editions[other.full_year] = record
        elif other.suffix == "CSV" and other.amendments and other.amendments[-1].year:
            consolidated[int(other.amendments[-1].year)] = (other.full_year, record)
    if year in consolidated and consolidated[year][0] in editions:
        edition = editions[consolidated[year][0]]
        report.warnings.append(
            _(
                "%(id)s adopts %(other)s: linked to %(edition)s, whose consolidated version "
                "%(consolidated)s carries that date."
            )
            % {
                "id": adopter,
                "other": str(parsed),
                "edition": edition.identifier,
                "consolidated": consolidated[year][1].identifier,
            }
        )
        return edition
    earlier = [edition_year for edition_year in editions if edition_year <= year]
    if not earlier:
        return None
    edition = editions[max(earlier)]
    report.warnings.append(
        _(
            "%(id)s adopts %(other)s, which is not in the catalogue: linked to %(edition)s, "
            "the latest edition published by then (consolidated with its amendments, as "
            "national lists often date it)."
        )
        % {"id": adopter, "other": str(parsed), "edition": edition.identifier}
    )
    return edition


def adopted_name(parsed: Identifier, found: Standard) -> str:
    """The adoption's `named_as`: the source's own reference when it is not the record's."""
    return "" if found.key == parsed.key else str(parsed)


def save_adoption(standard: Standard, adoption: tuple[Standard, str, str]) -> None:
    """Create or update the link: (adopted record, degree, the source's name for it)."""
    adopted, degree, named_as = adoption
    Adoption.objects.update_or_create(
        standard=standard, adopted=adopted, defaults={"degree": degree, "named_as": named_as}
    )


def _link_samr_record(standard: Standard, record, report: ImportReport, actor) -> None:
    """Replacement and adoption links; each new link goes through the change path."""
    wanted_old = []
    for parsed, partial in record["replaces"]:
        old = Standard.objects.filter(key=parsed.key).first()
        if old is None:
            report.warnings.append(
                _("%(id)s replaces %(old)s, which is not in the catalogue.")
                % {"id": standard.identifier, "old": str(parsed)}
            )
            continue
        wanted_old.append((old, "partial" if partial else "whole"))
    adoption = None
    if record.get("unidentified_adoption"):
        report.warnings.append(
            _("%(id)s adopts “%(other)s”, which is not a standard identifier CESIP can read.")
            % {"id": standard.identifier, "other": record["unidentified_adoption"]}
        )
    if record["adopts"]:
        parsed, degree = record["adopts"]
        if not degree:
            report.warnings.append(
                _("%(id)s adopts %(other)s, but the list gives no degree (IDT, MOD, NEQ).")
                % {"id": standard.identifier, "other": str(parsed)}
            )
        else:
            adopted = find_adopted(parsed, standard.identifier, report)
            if adopted is not None:
                adoption = (adopted, degree, adopted_name(parsed, adopted))
    links = {(old.pk, extent) for old, extent in wanted_old}
    current = set(standard.replacements.values_list("old_id", "extent"))
    current_adoption = set(standard.adoptions.values_list("adopted_id", "degree", "named_as"))
    wanted_adoption = {(adoption[0].pk, adoption[1], adoption[2])} if adoption else set()
    day = standard.in_force_from
    retiring = [
        old
        for old, extent in wanted_old
        if day and extent == "whole" and old.stage == Stage.PUBLISHED and not old.withdrawn_date
    ]
    if links <= current and wanted_adoption <= current_adoption and not retiring:
        return
    touched = [standard.pk, *[old.pk for old, _extent in wanted_old]]
    before = changes.snapshot(Standard, touched)
    for old, extent in wanted_old:
        Replacement.objects.update_or_create(new=standard, old=old, defaults={"extent": extent})
    # Listed as current elsewhere, but wholly replaced: superseded when this one applies.
    for old in retiring:
        old.stage, old.withdrawn_date = Stage.SUPERSEDED, day
        old.save(update_fields=["stage", "withdrawn_date", "updated_at"])  # with its history
    if adoption:
        save_adoption(standard, adoption)
    report.changes += len(
        changes.record_changes(Standard, before, touched, actor=actor, via=ChangeVia.IMPORT)
    )
