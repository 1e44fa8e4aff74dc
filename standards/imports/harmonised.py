"""The Commission's summary lists of harmonised standards, one list per act.

Same contract as every importer (see standards.imports): all rows checked first, errors
by row and column, all or nothing, idempotent, every change through standards.changes,
and `dry_run=True` for the admin's preview.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
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
)
from standards.identifiers import Identifier, IdentifierError, describe_identifier_error
from standards.imports.common import (
    ESO_NAMES,
    add_links,
    eso_body,
    european,
    issued,
    save_if_changed,
    save_row,
    source_errors,
)
from standards.models import (
    Citation,
    CitationKind,
    Stage,
    Standard,
    TechnicalRegulation,
    TranslationSource,
)

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
        return european(first.strip()), " ".join(rest.split())
    except IdentifierError:
        if rest:
            raise
    words = text.split()
    for end in range(min(len(words), 8), 0, -1):
        try:
            return european(" ".join(words[:end])), " ".join(words[end:])
        except IdentifierError:
            continue
    return european(first), ""  # raises, naming the part that could not be read


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
    columns = match_columns(header, HARMONISED_LAYOUT, HARMONISED_REQUIRED)
    records: list[HarmonisedRow] = check_rows(
        [pick(row, columns) for row in rows],
        _read_harmonised_row,
        key=lambda row, record: record and record.parsed.key,
        column="Reference and title of the standard",
        same_as=_("The same standard as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    sector_ids = list(regulation.sectors.values_list("pk", flat=True))
    with transaction.atomic():
        for record in records:
            standard = _cited_standard(record.parsed, record, sector_ids, report, actor)
            old = None
            if record.superseded:
                old = _cited_standard(record.superseded, record, sector_ids, report, actor)
                add_links(standard, [old], None, report, actor)
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
    eso = ESO_NAMES.get(normalise(row["ESO"]))
    if eso is None:
        errors.append(
            ("ESO", _("Unknown ESO “%(value)s”: CEN, Cenelec or ETSI.") % {"value": row["ESO"]})
        )
    superseded = None
    if row.get("Superseded standard", "").strip():
        try:
            superseded = european(row["Superseded standard"].split("\n")[0].strip())
        except IdentifierError as exc:
            errors.append(("Superseded standard", describe_identifier_error(exc)))
    dates = {}
    for name in (CESSATION, "Date cited"):
        try:
            dates[name] = parse_date(row.get(name, ""))
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
    errors += source_errors("Source", row.get("Source", "").strip())
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
        body=eso_body(record.eso),
        source_url=record.source_url,
        **issued(parsed),
    )
    standard.set_identifier(str(parsed))
    if is_cited and record.title:
        standard.title_en = record.title
        standard.title_en_source = TranslationSource.OFFICIAL
    return save_row(standard, report, actor, m2m={"sectors": sector_ids})


def _cite(regulation, standard, report: ImportReport, actor, **values) -> None:
    citation = Citation.objects.filter(regulation=regulation, standard=standard).first()
    if citation is None:
        citation = Citation(regulation=regulation, standard=standard, kind=CitationKind.HARMONISED)
    for name, value in values.items():
        if value:  # a list that leaves a detail out does not erase it
            setattr(citation, name, value)
    if save_if_changed(citation, report, actor):
        report.citations += 1
