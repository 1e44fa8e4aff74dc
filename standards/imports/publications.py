"""Bulk import of the international publication lists (ISO, IEC, ETSI).

Tens of thousands of rows: validated in a first streaming pass (nothing is written if
any row is wrong), then written in batches inside one transaction with bulk queries,
history rows and Change rows through standards.changes. Memory holds one batch plus the
keys seen, whatever the size of the file.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import reset_queries, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cesip.tabular import (
    ImportPreview,
    ImportReport,
    RowCheck,
    parse_date,
    split,
    stream_csv,
    unknown_codes,
)
from sectors.models import IcsCode
from standards import changes
from standards.bodies import body
from standards.identifiers import IdentifierError, parse_identifier
from standards.imports.common import sector_rules, sectors_for, source_errors, status_confirmed
from standards.models import ChangeVia, Stage, Standard, TranslationSource

# The publishers whose lists these are; a joint document belongs to its first publisher.
PUBLISHERS = ("ISO", "IEC", "ETSI")


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


class PublicationList:
    """A CSV layout of one publisher's list; `read_row` turns a row into field values."""

    name = ""
    body = ""
    required_columns: tuple[str, ...] = ()

    def __init__(self, path: Path):
        self.path = path

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        return stream_csv(self.path, self.required_columns)

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
            values["issued_date"], values["issued_precision"] = parse_date(
                row.get("published", ""), partial=True
            )
        except ValueError as exc:
            errors.append(("published", str(exc)))
        values["committee_code"] = (row.get("committee") or row.get("technical_body") or "")[:60]
        values["source_url"] = (row.get("source_url") or row.get("pdf_url") or "").strip()
        errors += source_errors("source_url", values["source_url"])
        values.update(self.status(row))
        ics = split(row.get("ics"), ";")
        # Joint documents (ISO/IEC 17025) belong to their first publisher in either list,
        # so importing the ISO and the IEC list does not flip them back and forth.
        first = parsed.publishers[0] if parsed.publishers else ""
        body = first if first in PUBLISHERS else self.body
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
    bodies = {code: body(code) for code in PUBLISHERS}
    rules = sector_rules()

    def flush(batch: list[PublicationRow]) -> None:
        _write_batch(batch, bodies, rules, report, actor, owner=reader.body)
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
    check = RowCheck(_("The same standard as row %(row)s."), skip_invalid=skip_invalid)
    skip: set[int] = set()
    for number, row in reader.rows():
        record, errors = reader.read_row(row)
        key = echo = None
        if record is not None:
            key = record.values["key"]
            # The printed spelling may differ ("IEC 61360-C00168" and "…C00168:").
            facts = {k: v for k, v in record.values.items() if k != "identifier"}
            echo = hash((repr(sorted(facts.items())), tuple(record.ics)))
            errors += unknown_codes("ics", record.ics, known_ics)
        if not check.row(number, errors, key=key, column="docid", echo=echo):
            skip.add(number)
    check.refuse_if_errors()
    report.duplicates += check.echoes
    report.skipped += check.skipped
    return skip


def _write_batch(batch, bodies, rules, report: ImportReport, actor, *, owner: str) -> None:
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
        # A publication list states every row's status.
        values = {
            **record.values,
            "status_confirmed_on": status_confirmed(
                standard or Standard(),
                record.values["stage"],
                record.values["status_label"],
                stated=True,
            ),
        }
        if standard is None:
            to_create.append(Standard(body=body, **values))
            continue
        if standard.body_id != body.pk or any(
            getattr(standard, name) != value for name, value in values.items()
        ):
            for name, value in values.items():
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
            to_update,
            Standard,
            [*PUBLICATION_FIELDS, "status_confirmed_on", "body"],
            batch_size=1000,
        )
    relinked = _set_codes(existing, by_key, rules)
    touched = {s.pk for s in to_update} | relinked | {existing[s.key].pk for s in to_create}
    written = changes.record_changes(
        Standard, before, sorted(touched), actor=actor, via=ChangeVia.IMPORT
    )
    report.created += len(to_create)
    report.updated += len(touched) - len(to_create)
    report.unchanged += len(by_key) - len(touched)
    report.changes += len(written)


def _set_codes(existing: dict[str, Standard], by_key, rules) -> set[int]:
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
         lambda record: sectors_for(record.ics, rules)),
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
