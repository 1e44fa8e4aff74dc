"""CEN and CENELEC published-standards lists (CSV or XLSX).

Every row is checked before anything is written, errors name the row and the column, a
file with any error writes nothing, importing the same file again changes nothing, and
each change goes through standards.changes. `dry_run=True` does the whole import inside
a transaction that is rolled back, so the admin can show exactly what would happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cesip.tabular import (
    ImportReport,
    check_rows,
    match_columns,
    normalise,
    parse_date,
    pick,
    read_table,
    split,
    unknown_codes,
)
from sectors.models import HsCode, IcsCode, Sector
from standards import changes
from standards.identifiers import (
    Identifier,
    IdentifierError,
    describe_identifier_error,
    parse_identifier,
)
from standards.imports.common import (
    add_links,
    adoption_of,
    degree_errors,
    eso,
    eso_body,
    european,
    issued,
    save_row,
    sector_rules,
    sectors_for,
    source_errors,
    status_confirmed,
)
from standards.models import ChangeVia, Stage, Standard, TranslationSource

CEN_LAYOUT: dict[str, tuple[str, ...]] = {
    "Reference": ("Standard reference", "Project reference", "Standard"),
    "Title": ("English title", "Title (en)"),
    "Status": ("Stage", "Current status"),
    "DOR": ("Date of ratification",),
    "DAV": ("Date of availability",),
    "DOA": ("Date of announcement",),
    "DOP": ("Date of publication",),
    "DOW": ("Date of withdrawal",),
    "ICS": ("ICS codes",),
    "Committee": ("Technical committee", "Technical body", "TC"),
    "Supersedes": ("Replaces", "Superseded standards"),
    # CESIP's own columns (the demo catalogue and curated lists)
    "Title (zh-Hans)": ("Title (zh)", "Chinese title"),
    "Adopts": ("Identical to", "Adopted standard"),
    "Degree": (),
    "Sectors": (),
    "HS": ("HS codes",),
    "Source": ("URL", "Source URL"),
}
CEN_REQUIRED = ("Reference", "Title")
CEN_STAGES = {
    "published": Stage.PUBLISHED,
    "current": Stage.PUBLISHED,
    "ratified": Stage.PUBLISHED,
    "withdrawn": Stage.WITHDRAWN,
    "superseded": Stage.SUPERSEDED,
    "replaced": Stage.SUPERSEDED,
    "under approval": Stage.DRAFT,
    "under development": Stage.DRAFT,
    "draft": Stage.DRAFT,
}
CEN_DATES = {"DOR": "dor", "DAV": "dav", "DOA": "doa", "DOP": "dop", "DOW": "dow"}


@dataclass
class CenRow:
    parsed: Identifier
    values: dict
    ics: list[str] = field(default_factory=list)
    hs: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    supersedes: list[Identifier] = field(default_factory=list)
    adopts: tuple[Identifier, str] | None = None
    body: str = "CEN"


def import_cen_list(path: Path, *, actor=None, dry_run: bool = False) -> ImportReport:
    """Import a CEN or CENELEC published-standards list (CSV or XLSX); all or nothing."""
    header, rows = read_table(Path(path))
    columns = match_columns(header, CEN_LAYOUT, CEN_REQUIRED)
    known = {
        "ICS": set(IcsCode.objects.values_list("code", flat=True)),
        "HS": set(HsCode.objects.values_list("code", flat=True)),
        "Sectors": set(Sector.objects.values_list("slug", flat=True)),
    }
    records: list[CenRow] = check_rows(
        [pick(row, columns) for row in rows],
        lambda row: _read_cen_row(row, known),
        key=lambda row, record: record and record.parsed.key,
        column="Reference",
        same_as=_("The same standard as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    rules = sector_rules()
    sector_ids = dict(Sector.objects.values_list("slug", "pk"))
    with transaction.atomic():
        saved = {r.parsed.key: _save_cen_row(r, rules, sector_ids, report, actor) for r in records}
        for record in records:
            replaces = []
            for old in record.supersedes:
                replaces.append(_find_or_stub(old, saved, record, report, actor))
            adoption = None
            if record.adopts:
                parsed, degree = record.adopts
                adoption = adoption_of(parsed, degree, record.values["identifier"], report)
            add_links(saved[record.parsed.key], replaces, adoption, report, actor)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _read_cen_row(row: dict[str, str], known: dict[str, set[str]]):
    errors: list[tuple[str, str]] = []
    try:
        parsed = european(row["Reference"])
    except IdentifierError as exc:
        return None, [("Reference", describe_identifier_error(exc))]
    label = row.get("Status", "")
    stage = CEN_STAGES.get(normalise(label)) if label else Stage.PUBLISHED
    if stage is None:
        errors.append(("Status", _("Unknown status “%(value)s”.") % {"value": label}))
    values = {
        "identifier": row["Reference"],
        "title_en": row["Title"],
        "title_zh_hans": row.get("Title (zh-Hans)", ""),
        "stage": stage,
        "status_label": label,
        "committee_code": row.get("Committee", ""),
        "source_url": row.get("Source", ""),
    }
    if not values["title_en"]:
        errors.append(("Title", _("The title is empty.")))
    for column, name in CEN_DATES.items():
        try:
            values[name] = parse_date(row.get(column, ""))
        except ValueError as exc:
            errors.append((column, str(exc)))
    if values.get("dav") and values.get("dow") and values["dow"] < values["dav"]:
        errors.append(("DOW", _("The DOW cannot be before the DAV.")))
    record = CenRow(parsed=parsed, values=values, body=eso(parsed, values["committee_code"]))
    for text in split(row.get("Supersedes", "")):
        try:
            record.supersedes.append(european(text))
        except IdentifierError as exc:
            errors.append(("Supersedes", describe_identifier_error(exc)))
    adopted = row.get("Adopts", "").strip()
    degree = row.get("Degree", "").strip().upper()
    if adopted:
        try:
            record.adopts = (parse_identifier(adopted), degree or "IDT")
        except IdentifierError as exc:
            errors.append(("Adopts", describe_identifier_error(exc)))
    errors += degree_errors("Degree", degree)
    errors += source_errors("Source", values["source_url"])
    for column, target in (("ICS", "ics"), ("HS", "hs"), ("Sectors", "sectors")):
        codes = split(row.get(column, ""))
        errors += unknown_codes(column, codes, known[column])
        setattr(record, target, codes)
    return (None if errors else record), errors


def _save_cen_row(record: CenRow, rules, sector_ids, report: ImportReport, actor) -> Standard:
    standard = Standard.objects.filter(key=record.parsed.key).first() or Standard(published=True)
    standard.set_identifier(record.values["identifier"])
    values = dict(record.values)
    values.pop("identifier")
    values["body"] = eso_body(record.body)
    values.update(issued(record.parsed, values["dav"] or values["dor"], standard.issued_date))
    values["title_en_source"] = TranslationSource.OFFICIAL
    if values["title_zh_hans"]:
        values["title_zh_hans_source"] = TranslationSource.CURATOR
    else:
        del values["title_zh_hans"]  # keep a curator's translation made in the admin
    values["status_confirmed_on"] = status_confirmed(
        standard, values["stage"], values["status_label"], stated=bool(values["status_label"])
    )
    for name, value in values.items():
        setattr(standard, name, value)
    wanted_sectors = (
        [sector_ids[slug] for slug in record.sectors]
        if record.sectors
        else sorted(sectors_for(record.ics, rules))
    )
    m2m = {
        "ics_codes": list(IcsCode.objects.filter(code__in=record.ics)),
        "hs_codes": list(HsCode.objects.filter(code__in=record.hs)),
        "sectors": wanted_sectors,
    }
    return save_row(standard, report, actor, m2m=m2m)


def _find_or_stub(parsed: Identifier, saved: dict, record: CenRow, report, actor) -> Standard:
    """The superseded standard: in the file, in the catalogue, or recorded from the list
    itself (its reference, marked superseded, with the list as its source)."""
    if parsed.key in saved:
        return saved[parsed.key]
    found = Standard.objects.filter(key=parsed.key).first()
    if found:
        return found
    stub = Standard(
        published=True, stage=Stage.SUPERSEDED, body=eso_body(record.body), **issued(parsed)
    )
    stub.set_identifier(str(parsed))
    stub.source_url = record.values["source_url"]
    report.warnings.append(
        _("%(old)s, superseded by %(id)s, was not in the catalogue: recorded without a title.")
        % {"old": str(parsed), "id": record.values["identifier"]}
    )
    # Not one of the list's rows: counted in the warnings, not in "created".
    report.changes += len(changes.save_record(stub, actor=actor, via=ChangeVia.IMPORT))
    return stub
