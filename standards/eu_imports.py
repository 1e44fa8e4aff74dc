"""Importers for the European lists: CEN/CENELEC's published standards and the
Commission's summary lists of harmonised standards.

Both follow the rules of every CESIP importer (see standards.imports): every row is
validated before anything is written, errors name the row and the column, a file with
any error writes nothing, importing the same file again changes nothing, and each
change goes through standards.changes. `dry_run=True` does the whole import inside a
transaction that is rolled back, so the admin can show exactly what would happen.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from sectors.models import HsCode, IcsCode, Sector
from standards import changes
from standards.identifiers import (
    Identifier,
    IdentifierError,
    describe_identifier_error,
    parse_identifier,
)
from standards.imports import (
    MAX_REPORTED_ERRORS,
    ImportRefused,
    ImportReport,
    RowError,
    _date,
    _sector_rules,
    _sectors_for,
    adopted_name,
    find_adopted,
    read_table,
    save_adoption,
)
from standards.models import (
    Body,
    ChangeVia,
    Citation,
    CitationKind,
    DatePrecision,
    Jurisdiction,
    Replacement,
    Stage,
    Standard,
    TechnicalRegulation,
    TranslationSource,
)

EU_BODIES = {
    "CEN": ("European Committee for Standardization", "欧洲标准化委员会"),
    "CENELEC": ("European Committee for Electrotechnical Standardization", "欧洲电工标准化委员会"),
    "ETSI": ("European Telecommunications Standards Institute", "欧洲电信标准化协会"),
}
ESO_NAMES = {"cen": "CEN", "cenelec": "CENELEC", "clc": "CENELEC", "etsi": "ETSI"}


def _normalise(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def _columns(header: list[str], layout: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Map each of the layout's columns to the file's own spelling of it."""
    found = {}
    spelled = {_normalise(name): name for name in header}
    for column, aliases in layout.items():
        for alias in (column, *aliases):
            if _normalise(alias) in spelled:
                found[column] = spelled[_normalise(alias)]
                break
    return found


def _require(found: dict[str, str], required: tuple[str, ...]) -> None:
    missing = [column for column in required if column not in found]
    if missing:
        raise ImportRefused([RowError(0, ", ".join(missing), _("Missing column(s)."))])


def _refuse_if(errors: list[RowError]) -> None:
    if errors:
        raise ImportRefused(
            errors[:MAX_REPORTED_ERRORS], more=max(len(errors) - MAX_REPORTED_ERRORS, 0)
        )


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", value or "") if part.strip()]


def _eu_body(code: str) -> Body:
    name_en, name_zh = EU_BODIES[code]
    return Body.objects.get_or_create(
        code=code, defaults={"name_en": name_en, "name_zh_hans": name_zh, "jurisdiction": "EU"}
    )[0]


def _european(text: str) -> Identifier:
    parsed = parse_identifier(text)
    if parsed.jurisdiction != Jurisdiction.EU:
        raise IdentifierError(
            _("“%(id)s” is not a European standard.") % {"id": text},
            text=text,
            part=parsed.prefix,
        )
    return parsed


def _body_code(parsed: Identifier, committee: str = "") -> str:
    """The ESO that publishes it: from the committee (CEN/TC, CLC/TC) when given, else
    from the identifier (CLC/TS, HD and EN IEC are CENELEC's; ETSI EN is ETSI's)."""
    committee = committee.upper()
    if committee.startswith("CLC"):
        return "CENELEC"
    if committee.startswith("CEN"):
        return "CEN"
    if "ETSI" in parsed.publishers:
        return "ETSI"
    if "CENELEC" in parsed.publishers and "CEN" not in parsed.publishers:
        return "CENELEC"
    if parsed.document_type.startswith(("CLC", "HD")):
        return "CENELEC"
    return "CEN"


def _has_changed(standard: Standard, m2m: dict[str, list]) -> bool:
    stored = Standard.objects.get(pk=standard.pk)
    for field_obj in Standard._meta.concrete_fields:
        if field_obj.name in ("updated_at", "created_at"):
            continue
        if getattr(stored, field_obj.attname) != getattr(standard, field_obj.attname):
            return True
    for name, wanted in m2m.items():
        wanted_pks = {getattr(value, "pk", value) for value in wanted}
        if set(getattr(stored, name).values_list("pk", flat=True)) != wanted_pks:
            return True
    return False


def _save(standard: Standard, m2m: dict[str, list], report: ImportReport, actor) -> Standard:
    is_new = standard.pk is None
    if not is_new and not _has_changed(standard, m2m):
        report.unchanged += 1
        return standard
    report.changes += len(changes.save_record(standard, actor=actor, via=ChangeVia.IMPORT, m2m=m2m))
    report.created += is_new
    report.updated += not is_new
    return standard


def _link(standard: Standard, replaces: list[Standard], adoption, report, actor) -> None:
    """Add the replacement and adoption links the list gives (never removes any)."""
    current = set(standard.replacements.values_list("old_id", flat=True))
    adopted = set(standard.adoptions.values_list("adopted_id", "degree", "named_as"))
    new_old = [old for old in replaces if old.pk not in current]
    new_adoption = adoption if adoption and (adoption[0].pk, *adoption[1:]) not in adopted else None
    if not new_old and not new_adoption:
        return
    touched = [standard.pk, *[old.pk for old in new_old]]
    before = changes.snapshot(Standard, touched)
    for old in new_old:
        Replacement.objects.update_or_create(new=standard, old=old, defaults={"extent": "whole"})
    if new_adoption:
        save_adoption(standard, new_adoption)
    report.changes += len(
        changes.record_changes(Standard, before, touched, actor=actor, via=ChangeVia.IMPORT)
    )


# ----------------------------------------------------------------------------------------
# CEN/CENELEC published-standards lists
# ----------------------------------------------------------------------------------------

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
    columns = _columns(header, CEN_LAYOUT)
    _require(columns, CEN_REQUIRED)
    known = {
        "ICS": set(IcsCode.objects.values_list("code", flat=True)),
        "HS": set(HsCode.objects.values_list("code", flat=True)),
        "Sectors": set(Sector.objects.values_list("slug", flat=True)),
    }
    records: list[CenRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        row = {column: raw.get(name, "") for column, name in columns.items()}
        record, row_errors = _read_cen_row(row, known)
        if record and record.parsed.key in seen:
            row_errors.append(
                (
                    "Reference",
                    _("The same standard as row %(row)s.") % {"row": seen[record.parsed.key]},
                )
            )
        elif record:
            seen[record.parsed.key] = number
            records.append(record)
        errors += [RowError(number, column, message) for column, message in row_errors]
    _refuse_if(errors)

    report = ImportReport(rows=len(records))
    rules = _sector_rules()
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
                adopted = find_adopted(parsed, record.values["identifier"], report)
                if adopted is not None:
                    adoption = (adopted, degree, adopted_name(parsed, adopted))
            _link(saved[record.parsed.key], replaces, adoption, report, actor)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _read_cen_row(row: dict[str, str], known: dict[str, set[str]]):
    errors: list[tuple[str, str]] = []
    try:
        parsed = _european(row["Reference"])
    except IdentifierError as exc:
        return None, [("Reference", describe_identifier_error(exc))]
    label = row.get("Status", "")
    stage = CEN_STAGES.get(_normalise(label)) if label else Stage.PUBLISHED
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
            values[name] = _date(row.get(column, ""))
        except ValueError as exc:
            errors.append((column, str(exc)))
    if values.get("dav") and values.get("dow") and values["dow"] < values["dav"]:
        errors.append(("DOW", _("The DOW cannot be before the DAV.")))
    record = CenRow(parsed=parsed, values=values, body=_body_code(parsed, values["committee_code"]))
    for text in _split(row.get("Supersedes", "")):
        try:
            record.supersedes.append(_european(text))
        except IdentifierError as exc:
            errors.append(("Supersedes", describe_identifier_error(exc)))
    adopted = row.get("Adopts", "").strip()
    degree = row.get("Degree", "").strip().upper()
    if adopted:
        try:
            record.adopts = (parse_identifier(adopted), degree or "IDT")
        except IdentifierError as exc:
            errors.append(("Adopts", describe_identifier_error(exc)))
    if degree and degree not in ("IDT", "MOD", "NEQ"):
        errors.append(("Degree", _("The degree must be IDT, MOD or NEQ.")))
    for column, target in (("ICS", "ics"), ("HS", "hs"), ("Sectors", "sectors")):
        codes = _split(row.get(column, ""))
        unknown = [code for code in codes if code not in known[column]]
        if unknown:
            errors.append(
                (column, _("Unknown code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
            )
        setattr(record, target, codes)
    return (None if errors else record), errors


def _save_cen_row(record: CenRow, rules, sector_ids, report: ImportReport, actor) -> Standard:
    standard = Standard.objects.filter(key=record.parsed.key).first() or Standard(published=True)
    standard.set_identifier(record.values["identifier"])
    values = dict(record.values)
    values.pop("identifier")
    values["body"] = _eu_body(record.body)
    values.update(_issued(record.parsed, values["dav"] or values["dor"], standard.issued_date))
    values["title_en_source"] = TranslationSource.OFFICIAL
    if values["title_zh_hans"]:
        values["title_zh_hans_source"] = TranslationSource.CURATOR
    else:
        del values["title_zh_hans"]  # keep a curator's translation made in the admin
    for name, value in values.items():
        setattr(standard, name, value)
    wanted_sectors = (
        [sector_ids[slug] for slug in record.sectors]
        if record.sectors
        else sorted(_sectors_for(record.ics, rules))
    )
    m2m = {
        "ics_codes": list(IcsCode.objects.filter(code__in=record.ics)),
        "hs_codes": list(HsCode.objects.filter(code__in=record.hs)),
        "sectors": wanted_sectors,
    }
    return _save(standard, m2m, report, actor)


def _issued(
    parsed: Identifier, exact: datetime.date | None = None, recorded: datetime.date | None = None
) -> dict:
    """The issue date: DAV (or DOR) when the list gives one; otherwise the date already
    recorded; otherwise the year in the reference, which is the year CEN and CENELEC made
    the edition available."""
    if exact:
        return {"issued_date": exact, "issued_precision": DatePrecision.DAY}
    if recorded or not parsed.edition_year:
        return {}
    return {
        "issued_date": datetime.date(parsed.edition_year, 1, 1),
        "issued_precision": DatePrecision.YEAR,
    }


def _find_or_stub(parsed: Identifier, saved: dict, record: CenRow, report, actor) -> Standard:
    """The superseded standard: in the file, in the catalogue, or recorded from the list
    itself (its reference, marked superseded, with the list as its source)."""
    if parsed.key in saved:
        return saved[parsed.key]
    found = Standard.objects.filter(key=parsed.key).first()
    if found:
        return found
    stub = Standard(
        published=True, stage=Stage.SUPERSEDED, body=_eu_body(record.body), **_issued(parsed)
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


# ----------------------------------------------------------------------------------------
# The Commission's summary lists of harmonised standards (one list per act)
# ----------------------------------------------------------------------------------------

HARMONISED_LAYOUT: dict[str, tuple[str, ...]] = {
    "ESO": ("European standardisation organisation", "ESO (1)"),
    "Reference and title of the standard": (
        "Reference and title of the standard (and reference document)",
        "Reference and title of the harmonised standard",
        "Reference and title",
    ),
    "OJ reference": ("First publication OJ", "Reference in the OJ", "Publication in the OJ"),
    "Superseded standard": (
        "Reference of superseded standard",
        "Reference of the superseded standard",
    ),
    "Date of cessation of presumption of conformity of the superseded standard": (
        "Date of cessation of presumption of conformity of superseded standard",
        "Date of cessation of presumption of conformity",
        "Date of cessation",
    ),
    "Restrictions": ("Notes", "Restriction", "Limitations"),
    "Date cited": ("Date of publication in the OJ",),
    "Source": ("URL", "Source URL"),
}
HARMONISED_REQUIRED = (
    "ESO",
    "Reference and title of the standard",
    "OJ reference",
)
CESSATION = "Date of cessation of presumption of conformity of the superseded standard"
OJ_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")


@dataclass
class HarmonisedRow:
    parsed: Identifier
    title: str
    eso: str
    oj_reference: str
    date_cited: datetime.date | None
    superseded: Identifier | None
    cessation: datetime.date | None
    restrictions: str
    source_url: str


def split_reference_and_title(text: str) -> tuple[Identifier, str]:
    """'EN 71-1:2014+A1:2018\\nSafety of toys …' or the same on one line → (id, title).

    On one line the reference is the longest run of leading words that reads as an
    identifier ("EN ISO 13485:2016/A11:2021 Medical devices …").
    """
    text = text.strip()
    first, _newline, rest = text.partition("\n")
    try:
        return _european(first.strip()), " ".join(rest.split())
    except IdentifierError:
        if rest:
            raise
    words = text.split()
    for end in range(min(len(words), 8), 0, -1):
        try:
            return _european(" ".join(words[:end])), " ".join(words[end:])
        except IdentifierError:
            continue
    return _european(first), ""  # raises, naming the part that could not be read


def import_harmonised_list(
    path: Path, regulation: TechnicalRegulation, *, actor=None, dry_run: bool = False
) -> ImportReport:
    """Import the Commission's summary list for one act; all or nothing.

    Each row cites its standard under `regulation` (the OJ reference and restrictions);
    the superseded standard's citation gets its date of cessation of presumption.
    Standards not yet in the catalogue are recorded from the list (reference, title,
    ESO), placed in the act's sectors.
    """
    header, rows = read_table(Path(path))
    columns = _columns(header, HARMONISED_LAYOUT)
    _require(columns, HARMONISED_REQUIRED)
    records: list[HarmonisedRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        row = {column: raw.get(name, "") for column, name in columns.items()}
        record, row_errors = _read_harmonised_row(row)
        if record and record.parsed.key in seen:
            row_errors.append(
                (
                    "Reference and title of the standard",
                    _("The same standard as row %(row)s.") % {"row": seen[record.parsed.key]},
                )
            )
        elif record:
            seen[record.parsed.key] = number
            records.append(record)
        errors += [RowError(number, column, message) for column, message in row_errors]
    _refuse_if(errors)

    report = ImportReport(rows=len(records))
    sector_ids = list(regulation.sectors.values_list("pk", flat=True))
    with transaction.atomic():
        for record in records:
            standard = _cited_standard(record.parsed, record, sector_ids, report, actor)
            old = None
            if record.superseded:
                old = _cited_standard(record.superseded, record, sector_ids, report, actor)
                _link(standard, [old], None, report, actor)
                _cite(
                    regulation, old, report, actor,
                    presumption_ends=record.cessation,
                )  # fmt: skip
            _cite(
                regulation, standard, report, actor,
                oj_reference=record.oj_reference, date_cited=record.date_cited,
                restrictions_en=record.restrictions, replaces=old,
            )  # fmt: skip
        if dry_run:
            transaction.set_rollback(True)
    return report


def _read_harmonised_row(row: dict[str, str]):
    errors: list[tuple[str, str]] = []
    column = "Reference and title of the standard"
    try:
        parsed, title = split_reference_and_title(row[column])
    except IdentifierError as exc:
        return None, [(column, describe_identifier_error(exc))]
    eso = ESO_NAMES.get(_normalise(row["ESO"]))
    if eso is None:
        errors.append(
            ("ESO", _("Unknown ESO “%(value)s”: CEN, Cenelec or ETSI.") % {"value": row["ESO"]})
        )
    superseded = None
    if row.get("Superseded standard", "").strip():
        try:
            superseded = _european(row["Superseded standard"].split("\n")[0].strip())
        except IdentifierError as exc:
            errors.append(("Superseded standard", describe_identifier_error(exc)))
    dates = {}
    for name in (CESSATION, "Date cited"):
        try:
            dates[name] = _date(row.get(name, ""))
        except ValueError as exc:
            errors.append((name, str(exc)))
    if dates.get(CESSATION) and not superseded:
        errors.append((CESSATION, _("A date of cessation needs a superseded standard.")))
    oj_reference = " ".join(row["OJ reference"].split())
    if not oj_reference:
        errors.append(("OJ reference", _("The OJ reference is empty.")))
    date_cited = dates.get("Date cited")
    if date_cited is None and (match := OJ_DATE.search(oj_reference)):
        day, month, year = (int(part) for part in match.groups())
        try:
            date_cited = datetime.date(year, month, day)
        except ValueError:
            errors.append(("OJ reference", _("The date in the OJ reference is not a date.")))
    if errors:
        return None, errors
    return (
        HarmonisedRow(
            parsed=parsed,
            title=title,
            eso=eso,
            oj_reference=oj_reference,
            date_cited=date_cited,
            superseded=superseded,
            cessation=dates.get(CESSATION),
            restrictions=row.get("Restrictions", "").strip(),
            source_url=row.get("Source", "").strip(),
        ),
        [],
    )


def _cited_standard(parsed: Identifier, record: HarmonisedRow, sector_ids, report, actor):
    is_cited = parsed.key == record.parsed.key
    found = Standard.objects.filter(key=parsed.key).first()
    if found:
        report.unchanged += is_cited  # already in the catalogue (rows, not citations)
        return found
    standard = Standard(
        published=True,
        stage=Stage.PUBLISHED if is_cited else Stage.SUPERSEDED,
        body=_eu_body(record.eso),
        source_url=record.source_url,
        **_issued(parsed),
    )
    standard.set_identifier(str(parsed))
    if is_cited and record.title:
        standard.title_en = record.title
        standard.title_en_source = TranslationSource.OFFICIAL
    return _save(standard, {"sectors": sector_ids}, report, actor)


def _cite(regulation, standard, report: ImportReport, actor, **values) -> None:
    citation = Citation.objects.filter(regulation=regulation, standard=standard).first()
    if citation is None:
        citation = Citation(regulation=regulation, standard=standard, kind=CitationKind.HARMONISED)
    elif all(getattr(citation, name) == value for name, value in values.items() if value):
        return
    for name, value in values.items():
        if value:  # a list that leaves a detail out does not erase it
            setattr(citation, name, value)
    report.citations += 1
    report.changes += len(changes.save_record(citation, actor=actor, via=ChangeVia.IMPORT))
