"""Saving public records and writing their Change rows: the one path for every writer.

Admin edits, imports and the API all go through `record_changes`: take a snapshot of
the records before writing (`snapshot`), write them, and hand both to
`record_changes`, which diffs the snapshots and writes one Change row per kind of
change (new, status, dates, translation…) with the changed fields as [old, new],
dated by the event it reports (`event_date`; `created_at` is when it was recorded).
`save_record` does the three steps for a single record.

Snapshots are built in bulk, a fixed number of queries for any number of records, so
an import of tens of thousands of rows can use the same path.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from cesip import cache as page_cache
from standards import status
from standards.identifiers import IdentifierError, parse_identifier
from standards.models import (
    Adoption,
    Change,
    ChangeKind,
    ChangeVia,
    Citation,
    CitationKind,
    Replacement,
    Stage,
    Standard,
    TechnicalRegulation,
)
from standards.search import log as search_log

Snapshot = dict[str, Any]

STANDARD_GROUPS: dict[str, list[str]] = {
    ChangeKind.STATUS: ["stage", "status_label"],
    ChangeKind.DATES: [
        "issued_date",
        "issued_precision",
        "implementation_date",
        "first_issued_date",
        "confirmed_date",
        "withdrawn_date",
        "dor",
        "dav",
        "doa",
        "dop",
        "dow",
    ],
    ChangeKind.TRANSLATION: [
        "title_en",
        "title_zh_hans",
        "scope_en",
        "scope_zh_hans",
        "title_en_source",
        "title_zh_hans_source",
        "scope_en_source",
        "scope_zh_hans_source",
        "translation_verified",
    ],
    ChangeKind.REPLACED: ["replaced_by", "superseded_by"],
    ChangeKind.UPDATED: [
        "identifier",
        "document_type",
        "body",
        "jurisdiction",
        "legal_force",
        "committee_code",
        "committee_name_en",
        "committee_name_zh_hans",
        "amendment_of",
        "source_url",
        "sectors",
        "ics_codes",
        "ccs_codes",
        "hs_codes",
        "replaces",
        "adopts",
    ],
}
REGULATION_GROUPS: dict[str, list[str]] = {
    ChangeKind.DATES: [
        "adopted_date",
        "in_force_date",
        "applies_from",
        "transition_ends",
        "repealed_date",
    ],
    ChangeKind.TRANSLATION: [
        "short_name_en",
        "short_name_zh_hans",
        "title_en",
        "title_zh_hans",
        "scope_en",
        "scope_zh_hans",
        "title_en_source",
        "title_zh_hans_source",
        "scope_en_source",
        "scope_zh_hans_source",
        "translation_verified",
    ],
    ChangeKind.UPDATED: [
        "reference",
        "jurisdiction",
        "kind",
        "authority_en",
        "authority_zh_hans",
        "conformity_route",
        "conformity_notes_en",
        "conformity_notes_zh_hans",
        "marking",
        "competent_authority_en",
        "competent_authority_zh_hans",
        "conformity_modules",
        "third_party",
        "route_source_url",
        "successor",
        "source_url",
        "sectors",
        "hs_codes",
    ],
}
CITATION_FIELDS = [
    "kind",
    "oj_reference",
    "date_cited",
    "presumption_ends",
    "restrictions_en",
    "restrictions_zh_hans",
    "replaces",
]


# Sent with `change_ids` once record_changes has written Change rows (bulk_create sends
# no post_save); the accounts app queues the immediate alerts from it.
changes_recorded = Signal()


def _plain(value: Any) -> Any:
    """A JSON-ready, comparable form of a field value."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _scalar_fields(groups: Mapping[str, list[str]], m2m: set[str]) -> list[str]:
    return [f for fields in groups.values() for f in fields if f not in m2m]


def _edition_start(identifier: str) -> str | None:
    """1 January of the year printed in `identifier` (GB 4706.1-2005 → 2005-01-01)."""
    try:
        year = parse_identifier(identifier).edition_year
    except IdentifierError:
        return None
    return datetime.date(year, 1, 1).isoformat() if year else None


def _act_citation_date(row: Mapping[str, Any]) -> str | None:
    """When an act that names a standard itself (a Chinese rule making it compulsory or
    naming it for CCC testing, a regulation referencing it) started citing it: when the
    act applies, but not before the standard was issued. None for harmonised standards,
    which are cited by their own publication in the Official Journal (date_cited)."""
    if row["kind"] == CitationKind.HARMONISED:
        return None
    act = (
        row["regulation__applies_from"]
        or row["regulation__in_force_date"]
        or row["regulation__adopted_date"]
    )
    standard = row["standard__implementation_date"] or row["standard__issued_date"]
    return _plain(max(act, standard) if act and standard else act)


def _oj_date(reference: str) -> str | None:
    """The day an Official Journal reference was published ("… (OJ L 1, 5.1.2022, p. 11)"
    → 2022-01-05), else 1 January of the year of the act it names ("Implementing
    Decision (EU) 2022/405" → 2022-01-01)."""
    for day, month, year in re.findall(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b", reference or ""):
        try:
            return datetime.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            continue
    act = re.search(r"\((?:EU|EC|EEC|Euratom)\) (\d{4})/\d+", reference or "")
    return f"{act[1]}-01-01" if act else None


def _snapshot_standards(pks: Sequence[int]) -> dict[int, Snapshot]:
    relations = {"body", "amendment_of", "superseded_by"}
    m2m = {"sectors", "ics_codes", "ccs_codes", "hs_codes", "replaces", "replaced_by", "adopts"}
    scalars = [f for f in _scalar_fields(STANDARD_GROUPS, m2m) if f not in relations]
    rows = Standard.objects.filter(pk__in=pks).values(
        "pk",
        "published",
        *scalars,
        "body__code",
        "amendment_of__identifier",
        "superseded_by__identifier",
        "superseded_from",
    )
    snaps: dict[int, Snapshot] = {}
    for row in rows:
        snap = {f: _plain(row[f]) for f in scalars}
        snap["body"] = row["body__code"]
        snap["amendment_of"] = row["amendment_of__identifier"]
        snap["superseded_by"] = row["superseded_by__identifier"]
        snap["published"] = row["published"]
        for name in m2m:
            snap[name] = []
        snap["_sector_ids"] = []
        snap["_edition_start"] = _edition_start(row["identifier"])
        snap["_replaced_applies"] = snap["_replaced_issued"] = None
        snap["_superseded_from"] = _plain(row["superseded_from"])  # its successor published
        snaps[row["pk"]] = snap

    def collect(queryset: models.QuerySet, field: str) -> None:
        for pk, value in queryset:
            snaps[pk][field].append(value)

    collect(
        Standard.sectors.through.objects.filter(standard_id__in=pks).values_list(
            "standard_id", "sector__slug"
        ),
        "sectors",
    )
    collect(
        Standard.sectors.through.objects.filter(standard_id__in=pks).values_list(
            "standard_id", "sector_id"
        ),
        "_sector_ids",
    )
    collect(
        Standard.ics_codes.through.objects.filter(standard_id__in=pks).values_list(
            "standard_id", "icscode__code"
        ),
        "ics_codes",
    )
    collect(
        Standard.ccs_codes.through.objects.filter(standard_id__in=pks).values_list(
            "standard_id", "ccscode__code"
        ),
        "ccs_codes",
    )
    collect(
        Standard.hs_codes.through.objects.filter(standard_id__in=pks).values_list(
            "standard_id", "hscode__code"
        ),
        "hs_codes",
    )
    for new_id, old_identifier, extent in Replacement.objects.filter(new_id__in=pks).values_list(
        "new_id", "old__identifier", "extent"
    ):
        snaps[new_id]["replaces"].append(f"{old_identifier} ({extent})")
    for old_id, new_identifier, extent, applies, issued in Replacement.objects.filter(
        old_id__in=pks
    ).values_list(
        "old_id", "new__identifier", "extent", "new__implementation_date", "new__issued_date"
    ):
        snaps[old_id]["replaced_by"].append(f"{new_identifier} ({extent})")
        # When the (latest) replacing edition applies and was issued.
        for name, day in (("_replaced_applies", applies), ("_replaced_issued", issued)):
            if day and _plain(day) > (snaps[old_id][name] or ""):
                snaps[old_id][name] = _plain(day)
    for pk, adopted, degree in Adoption.objects.filter(standard_id__in=pks).values_list(
        "standard_id", "adopted__identifier", "degree"
    ):
        snaps[pk]["adopts"].append(f"{degree} {adopted}")
    for snap in snaps.values():
        for name in m2m:
            snap[name] = sorted(snap[name])
    return snaps


def _snapshot_regulations(pks: Sequence[int]) -> dict[int, Snapshot]:
    m2m = {"sectors", "hs_codes"}
    scalars = [f for f in _scalar_fields(REGULATION_GROUPS, m2m) if f != "successor"]
    snaps: dict[int, Snapshot] = {}
    for row in TechnicalRegulation.objects.filter(pk__in=pks).values(
        "pk",
        "published",
        *scalars,
        "successor__reference",
        "successor__adopted_date",
        "successor__in_force_date",
    ):
        snap = {f: _plain(row[f]) for f in scalars}
        snap.update(successor=row["successor__reference"], published=row["published"])
        successor_on = row["successor__adopted_date"] or row["successor__in_force_date"]
        snap["_successor_on"] = _plain(successor_on)
        snap.update(sectors=[], hs_codes=[], _sector_ids=[])
        snaps[row["pk"]] = snap
    through = TechnicalRegulation.sectors.through.objects.filter(technicalregulation_id__in=pks)
    for pk, slug, sector_id in through.values_list(
        "technicalregulation_id", "sector__slug", "sector_id"
    ):
        snaps[pk]["sectors"].append(slug)
        snaps[pk]["_sector_ids"].append(sector_id)
    hs = TechnicalRegulation.hs_codes.through.objects.filter(technicalregulation_id__in=pks)
    for pk, code in hs.values_list("technicalregulation_id", "hscode__code"):
        snaps[pk]["hs_codes"].append(code)
    for snap in snaps.values():
        snap["sectors"].sort()
        snap["hs_codes"].sort()
    return snaps


def _snapshot_citations(pks: Sequence[int]) -> dict[int, Snapshot]:
    scalars = [f for f in CITATION_FIELDS if f != "replaces"]
    snaps = {}
    for row in Citation.objects.filter(pk__in=pks).values(
        "pk",
        *scalars,
        "replaces__identifier",
        "standard_id",
        "regulation_id",
        "regulation__applies_from",
        "regulation__in_force_date",
        "regulation__adopted_date",
        "standard__implementation_date",
        "standard__issued_date",
    ):
        snap = {f: _plain(row[f]) for f in scalars}
        snap.update(
            replaces=row["replaces__identifier"],
            _standard_id=row["standard_id"],
            _regulation_id=row["regulation_id"],
            _act_on=_act_citation_date(row),
            _oj_on=_oj_date(row["oj_reference"]),
        )
        snaps[row["pk"]] = snap
    return snaps


_SNAPSHOTS = {
    Standard: _snapshot_standards,
    TechnicalRegulation: _snapshot_regulations,
    Citation: _snapshot_citations,
}


def snapshot(model: type[models.Model], pks: Iterable[int | None]) -> dict[int, Snapshot]:
    """The tracked state of `model` rows `pks` (records not yet saved are skipped)."""
    pks = [pk for pk in pks if pk is not None]
    return _SNAPSHOTS[model._meta.concrete_model](pks) if pks else {}


def _diff(before: Snapshot, after: Snapshot, fields: list[str]) -> dict[str, list]:
    # Empty text is stored as NULL or "" depending on the writer; neither is a change.
    return {
        f: [before.get(f), after.get(f)]
        for f in fields
        if (before.get(f) or None) != (after.get(f) or None)
    }


def _record_kinds(
    before: Snapshot | None, after: Snapshot, groups: Mapping[str, list[str]]
) -> list[tuple[str, dict]]:
    """(kind, fields) pairs for one record; unpublished records yield nothing."""
    if not after.get("published"):
        return []
    if before is None or not before.get("published"):
        return [(ChangeKind.NEW, {})]
    kinds: dict[str, dict] = {}
    for kind, fields in groups.items():
        changed = _diff(before, after, fields)
        if kind == ChangeKind.STATUS and "stage" in changed:
            # Withdrawal and supersession are what readers watch for: name them.
            kind = {
                Stage.WITHDRAWN: ChangeKind.WITHDRAWN,
                Stage.SUPERSEDED: ChangeKind.REPLACED,
            }.get(changed["stage"][1], kind)
        if changed:
            kinds.setdefault(kind, {}).update(changed)
    # A withdrawal date belongs to the withdrawal, not to a separate "dates changed".
    for event in (ChangeKind.WITHDRAWN, ChangeKind.REPLACED):
        dates = kinds.get(ChangeKind.DATES, {})
        if event in kinds and "withdrawn_date" in dates:
            kinds[event]["withdrawn_date"] = dates.pop("withdrawn_date")
            if not dates:
                del kinds[ChangeKind.DATES]
    return list(kinds.items())


def _citation_kinds(before: Snapshot | None, after: Snapshot) -> list[tuple[str, dict]]:
    if before is None:
        cited = {f: [None, after[f]] for f in CITATION_FIELDS if after.get(f) not in (None, "")}
        return [(ChangeKind.CITED, cited)]
    changed = _diff(before, after, CITATION_FIELDS)
    if not changed:
        return []
    if "presumption_ends" in changed and changed["presumption_ends"][1]:
        return [(ChangeKind.CITATION_ENDING, changed)]
    return [(ChangeKind.UPDATED, changed)]


# The snapshot values whose date is the event a change reports, the first known and not
# in the future wins (see event_date). Names starting with "_" are worked out by the
# snapshots, not fields.
REPLACED_ON = ["withdrawn_date", "_replaced_applies", "_superseded_from", "_replaced_issued"]
EVENT_DATE_FIELDS: dict[tuple[type[models.Model], str], list[str]] = {
    (Standard, ChangeKind.NEW): ["issued_date", "implementation_date", "_edition_start"],
    (Standard, ChangeKind.WITHDRAWN): ["withdrawn_date"],
    (Standard, ChangeKind.REPLACED): REPLACED_ON,
    (TechnicalRegulation, ChangeKind.NEW): ["adopted_date", "in_force_date", "applies_from"],
    # A citation with no date of its own was made no later than its presumption ended.
    (Citation, ChangeKind.CITED): ["date_cited", "_oj_on", "_act_on", "presumption_ends"],
    # An end already past happened then; one to come is news the day it is announced.
    (Citation, ChangeKind.CITATION_ENDING): ["presumption_ends"],
}
# A status change is dated by the stage it moved to.
STAGE_DATE_FIELDS: dict[str, list[str]] = {
    Stage.PUBLISHED: ["issued_date", "implementation_date"],
    Stage.WITHDRAWN: ["withdrawn_date"],
    Stage.SUPERSEDED: REPLACED_ON,
}
# Relations printed in the standard itself: learning them reports its publication.
PUBLICATION_RELATIONS = {"replaces", "adopts", "amendment_of"}


def event_date(
    model: type[models.Model],
    kind: str,
    snap: Snapshot,
    fields: Mapping[str, list],
    *,
    today: datetime.date,
) -> datetime.date:
    """The day the event a change reports happened (Change.occurred_on).

    Read from the record the change is about (`snap`, the record as it is now):
    - a new standard: its issue date, else implementation, else the year in its number;
    - a withdrawal or replacement: the withdrawal date, else when the replacing edition
      applies, else when the edition superseding it was published, else when the
      replacing edition was issued; a status change: the date of its new stage;
    - the standards a standard replaces or adopts: its issue date (they are printed in it);
    - a new act: its adoption, else entry into force, else application; a repeal: the
      repeal date; a successor act: the successor's adoption;
    - a citation: the date cited, else the day (or year) of its Official Journal
      reference, else for a rule naming the standard when the rule applies, else no
      later than the presumption of conformity ended; the end of a citation: the day
      the presumption of conformity ends.
    The first of these dates that is known and not in the future wins: a change cannot
    be news from the future (the calendar shows what is coming; an end to come is news
    the day it is announced). When there is none, or the change is of another kind
    (translations, other details and dates), the event is the recording: `today`.
    """

    def new_value(name: str) -> Any:  # the value a changed field now has
        return (list(fields.get(name) or []) + [None, None])[1]

    names = EVENT_DATE_FIELDS.get((model, kind), [])
    if model is Standard and kind == ChangeKind.STATUS:
        names = STAGE_DATE_FIELDS.get(new_value("stage"), [])
    elif model is Standard and kind == ChangeKind.UPDATED and set(fields) <= PUBLICATION_RELATIONS:
        names = EVENT_DATE_FIELDS[(Standard, ChangeKind.NEW)]
    elif model is TechnicalRegulation and kind == ChangeKind.DATES and new_value("repealed_date"):
        names = ["repealed_date"]
    elif model is TechnicalRegulation and set(fields) == {"successor"} and new_value("successor"):
        names = ["_successor_on"]
    for name in names:
        if snap.get(name) and datetime.date.fromisoformat(snap[name]) <= today:
            return datetime.date.fromisoformat(snap[name])
    return today


def _citation_standards(pks: Sequence[int]) -> list[int]:
    """The standards cited, and those they replace in the list, by these citations."""
    rows = Citation.objects.filter(pk__in=pks).values_list("standard_id", "replaces_id")
    return sorted({pk for row in rows for pk in row if pk})


@transaction.atomic
def record_changes(
    model: type[models.Model],
    before: Mapping[int, Snapshot],
    pks: Iterable[int],
    *,
    actor=None,
    via: str,
) -> list[Change]:
    """Compare `before` with the rows as they are now and write the Change rows."""
    model = model._meta.concrete_model
    pks = list(pks)
    if model in (Standard, Citation):
        # The status engine: a write may change which edition of a family is current;
        # the other editions whose derived columns move get their own Change rows.
        touched = pks if model is Standard else _citation_standards(pks)
        others = status.affected(touched) - set(pks if model is Standard else ())
        before_others = snapshot(Standard, others)
        moved = set(status.refresh_editions(touched)) & others
        if moved:
            record_changes(
                Standard, before_others, sorted(moved), actor=actor, via=ChangeVia.SYSTEM
            )
    after = snapshot(model, pks)
    pending: list[tuple[Change, list[int]]] = []
    today = timezone.localdate()

    if model is Citation:
        parents = snapshot(Standard, [a["_standard_id"] for a in after.values()])
        regulations = snapshot(TechnicalRegulation, [a["_regulation_id"] for a in after.values()])
        for pk in pks:
            now = after[pk]
            regulation = regulations[now["_regulation_id"]]
            if not regulation["published"]:
                continue
            sector_ids = sorted(
                set(regulation["_sector_ids"]) | set(parents[now["_standard_id"]]["_sector_ids"])
            )
            for kind, fields in _citation_kinds(before.get(pk), now):
                change = Change(
                    standard_id=now["_standard_id"],
                    regulation_id=now["_regulation_id"],
                    kind=kind,
                    fields=fields,
                    occurred_on=event_date(Citation, kind, now, fields, today=today),
                    actor=actor,
                    via=via,
                )
                pending.append((change, sector_ids))
    else:
        groups = STANDARD_GROUPS if model is Standard else REGULATION_GROUPS
        record_field = "standard_id" if model is Standard else "regulation_id"
        for pk in pks:
            now = after[pk]
            for kind, fields in _record_kinds(before.get(pk), now, groups):
                change = Change(
                    **{record_field: pk},
                    kind=kind,
                    fields=fields,
                    occurred_on=event_date(model, kind, now, fields, today=today),
                    actor=actor,
                    via=via,
                )
                pending.append((change, now["_sector_ids"]))

    changes = Change.objects.bulk_create([change for change, _ in pending])
    Change.sectors.through.objects.bulk_create(
        [
            Change.sectors.through(change_id=change.pk, sector_id=sector_id)
            for change, sector_ids in pending
            for sector_id in sector_ids
        ]
    )
    if changes:
        changes_recorded.send(sender=Change, change_ids=[change.pk for change in changes])
    # The search index reads these standards again once this commits (see search.log).
    search_log.records_changed(model, pks)
    # Every write comes through here, with or without Change rows (unpublishing writes
    # none): the pages cached before it are out of date when it commits.
    page_cache.catalogue_changed()
    return changes


@transaction.atomic
def save_record(
    instance: models.Model,
    *,
    actor=None,
    via: str = ChangeVia.SYSTEM,
    m2m: Mapping[str, Iterable] | None = None,
) -> list[Change]:
    """Save one record (and its many-to-many values) and write its Change rows."""
    model = type(instance)
    before = snapshot(model, [instance.pk])
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    return record_changes(model, before, [instance.pk], actor=actor, via=via)
