"""What the catalogue's importers share once a row is read: the sectors a standard's ICS
codes place it in, saving a record only when it changed (through standards.changes),
the European identifiers and their publishers, and the replacement and adoption links
between records."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from cesip.tabular import ImportReport, differs
from sectors.models import Sector
from standards import changes
from standards.bodies import body
from standards.identifiers import Identifier, IdentifierError, parse_identifier
from standards.models import (
    Adoption,
    Body,
    ChangeVia,
    DatePrecision,
    Jurisdiction,
    Replacement,
    Standard,
)
from standards.sources import source_problem

DEGREES = ("IDT", "MOD", "NEQ")


def source_errors(column: str, url: str) -> list[tuple[str, str]]:
    """The error for a source cell CESIP may not link to (see standards.sources)."""
    problem = source_problem(url)
    return [(column, problem)] if problem else []


def degree_errors(column: str, degree: str) -> list[tuple[str, str]]:
    if degree and degree not in DEGREES:
        return [(column, _("The degree must be IDT, MOD or NEQ."))]
    return []


# ----------------------------------------------------------------------------------------
# Sectors from ICS codes
# ----------------------------------------------------------------------------------------


def sector_rules() -> list[tuple[str, int]]:
    """(ICS code, sector id) pairs: a standard belongs to a sector when one of its ICS
    codes is a sector's code or lies beneath it."""
    return list(Sector.ics_codes.through.objects.values_list("icscode__code", "sector_id"))


def sectors_for(ics: list[str], rules: list[tuple[str, int]]) -> set[int]:
    return {
        sector_id
        for code in ics
        for prefix, sector_id in rules
        if code == prefix or code.startswith(prefix + ".")
    }


# ----------------------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------------------


def save_if_changed(record, report: ImportReport, actor, *, m2m: dict | None = None) -> bool:
    """Save `record` (and its many-to-many `m2m`) through the change path when that
    changes anything; True when it was written."""
    if not differs(record, m2m):
        return False
    written = changes.save_record(record, actor=actor, via=ChangeVia.IMPORT, m2m=m2m)
    report.changes += len(written)
    return True


def status_confirmed(standard, stage: str, label: str, *, stated: bool):
    """`status_confirmed_on` for a row that gives `stage` and the source's `label`: today
    when the source states a status that differs from the stored one (or none was
    confirmed yet), else unchanged, so that re-importing the same list changes nothing.
    A row that states no status leaves the stored confirmation as it was."""
    if not stated:
        return standard.status_confirmed_on
    unchanged = standard.stage == stage and standard.status_label == label
    if standard.pk and standard.status_confirmed_on and unchanged:
        return standard.status_confirmed_on
    return timezone.localdate()


def save_row(record, report: ImportReport, actor, *, m2m: dict | None = None):
    """Save the record a row describes, counting it as created, updated or unchanged."""
    is_new = record.pk is None
    if save_if_changed(record, report, actor, m2m=m2m):
        report.created += is_new
        report.updated += not is_new
    else:
        report.unchanged += 1
    return record


# ----------------------------------------------------------------------------------------
# European standards
# ----------------------------------------------------------------------------------------

ESO_NAMES = {"cen": "CEN", "cenelec": "CENELEC", "clc": "CENELEC", "etsi": "ETSI"}


def european(text: str) -> Identifier:
    """A European standard's identifier; anything else raises IdentifierError."""
    parsed = parse_identifier(text)
    if parsed.jurisdiction != Jurisdiction.EU:
        raise IdentifierError(
            _("“%(id)s” is not a European standard.") % {"id": text},
            text=text,
            part=parsed.prefix,
        )
    return parsed


def eso(parsed: Identifier, committee: str = "") -> str:
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


def eso_body(code: str) -> Body:
    return body(code, Jurisdiction.EU)


def issued(
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


# ----------------------------------------------------------------------------------------
# Replacements and adoptions
# ----------------------------------------------------------------------------------------


def add_links(standard: Standard, replaces: list[Standard], adoption, report, actor) -> None:
    """Add the replacement and adoption links a list gives (never removes any)."""
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


def adoption_of(parsed: Identifier, degree: str, adopter: str, report: ImportReport):
    """(adopted record, degree, the source's name for it) for an adoption a list names,
    or None (with a warning) when the catalogue has no record it can mean."""
    adopted = find_adopted(parsed, adopter, report)
    if adopted is None:
        return None
    return adopted, degree, adopted_name(parsed, adopted)


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
