"""The status engine: which edition of a document is the current one on a given day.

A family is every edition of one document (`Standard.family_key`: GB/T 17592-2011 and
-2024), its amendments ("/A11:2021", which belong to their edition) and consolidated
versions ("+A1:2018", which replace the earlier version of the same edition), plus the
standards linked by a whole replacement (EN 55014-1:2017 → EN IEC 55014-1:2021).

For each edition the engine derives, from the family, three stored columns
(`refresh_editions` keeps them right; `record_changes` calls it for every write and
`manage.py recompute_status` recomputes every row):

- `superseded_by`: the edition that replaces it (an explicit whole replacement, else
  the next published edition of the family);
- `superseded_from`: the day that edition was published (the transition starts);
- `valid_until`: the end of the transition recorded by the sources: the old edition's
  own withdrawal date (废止日期), else the latest of the successor's DOW (an EN), the day
  a Chinese successor applies (实施日期), and the end of presumption of conformity
  recorded for it in a harmonised-standards list.

`status_on` (Python) and `status_condition`/`status_case` (SQL) read those columns and
the edition's own stage and dates the same way, so pages, search, sheets, watchlists,
exports and digests agree:

1. a draft is a draft;
2. replaced (its successor published on or before the day), or marked superseded by
   its source: "superseded, still valid" while `valid_until` is ahead, then superseded;
3. withdrawn by its source: current until an announced withdrawal date, then withdrawn;
4. not yet in force: upcoming;
5. in force, but no source ever stated its status: "status not confirmed";
6. otherwise current.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cesip.web import is_chinese
from standards.identifiers import IdentifierError, parse_identifier

DERIVED_FIELDS = ["superseded_by", "superseded_from", "valid_until"]

# CENELEC and CEN renamed adoptions of IEC and ISO standards: EN 55014-1:2017 is followed
# by EN IEC 55014-1:2021, EN 60335-1:2012 by EN IEC 60335-1:2023. One lineage.
_EN_ADOPTION = re.compile(r"^EN(?:ISOIEC|ISO|IEC)(?=\d)")
_EN_PREFIXES = ("EN", "ENIEC", "ENISO", "ENISOIEC")


def lineage(family_key: str) -> str:
    """The family key shared by a document's editions across such renamings."""
    return _EN_ADOPTION.sub("EN", family_key)


def lineage_keys(family_keys: Iterable[str]) -> set[str]:
    """Every family key of the lineages of `family_keys`, for a query."""
    keys = set()
    for key in family_keys:
        base = lineage(key)
        keys.add(key)
        if base.startswith("EN") and base[2:3].isdigit():
            keys |= {prefix + base[2:] for prefix in _EN_PREFIXES}
    return keys


def _models():
    from standards import models as m

    return m


# ----------------------------------------------------------------------------------------
# The rule, in Python and in SQL
# ----------------------------------------------------------------------------------------


def is_replaced(standard, day: datetime.date) -> bool:
    return bool(standard.superseded_by_id) and (
        standard.superseded_from is None or standard.superseded_from <= day
    )


def status_on(standard, day: datetime.date) -> str:
    """The reader-facing status of `standard` on `day` (see the module docstring)."""
    m = _models()
    if standard.stage == m.Stage.DRAFT:
        return m.Status.DRAFT
    replaced = is_replaced(standard, day)
    if replaced or standard.stage == m.Stage.SUPERSEDED:
        end = standard.valid_until if replaced else standard.withdrawn_date
        return m.Status.TRANSITION if end and end > day else m.Status.SUPERSEDED
    if standard.stage == m.Stage.WITHDRAWN:
        if standard.withdrawn_date and standard.withdrawn_date > day:
            return m.Status.CURRENT  # withdrawal announced for a later date
        return m.Status.WITHDRAWN
    in_force_from = standard.implementation_date or standard.issued_date
    if in_force_from and in_force_from > day:
        return m.Status.UPCOMING
    if standard.status_confirmed_on is None:
        return m.Status.UNCONFIRMED
    return m.Status.CURRENT


def _sql_parts(day: datetime.date) -> dict[str, Q]:
    m = _models()
    replaced = Q(superseded_by__isnull=False) & (
        Q(superseded_from__isnull=True) | Q(superseded_from__lte=day)
    )
    retiring = replaced | Q(stage=m.Stage.SUPERSEDED)
    # The end of validity: the derived one when replaced, else the source's withdrawal.
    still_valid = (replaced & Q(valid_until__gt=day)) | (
        ~replaced & Q(stage=m.Stage.SUPERSEDED, withdrawn_date__gt=day)
    )
    draft = Q(stage=m.Stage.DRAFT)
    live = ~draft & ~retiring & ~Q(stage=m.Stage.WITHDRAWN)
    later = Q(implementation_date__gt=day) | Q(
        implementation_date__isnull=True, issued_date__gt=day
    )
    withdrawing = ~draft & ~retiring & Q(stage=m.Stage.WITHDRAWN, withdrawn_date__gt=day)
    return {
        m.Status.DRAFT: draft,
        m.Status.TRANSITION: ~draft & retiring & still_valid,
        m.Status.SUPERSEDED: ~draft & retiring & ~still_valid,
        m.Status.WITHDRAWN: ~draft & ~retiring & Q(stage=m.Stage.WITHDRAWN) & ~withdrawing,
        m.Status.UPCOMING: live & later,
        m.Status.UNCONFIRMED: live & ~later & Q(status_confirmed_on__isnull=True),
        m.Status.CURRENT: (live & ~later & Q(status_confirmed_on__isnull=False)) | withdrawing,
    }


def status_condition(statuses: Iterable[str], day: datetime.date) -> Q:
    """Rows whose status on `day` is one of `statuses`, on the stored columns (the planner
    can estimate these and use indexes)."""
    parts = _sql_parts(day)
    found = Q(pk__in=[])
    for status in statuses:
        found |= parts.get(status, Q(pk__in=[]))
    return found


def status_case(day: datetime.date) -> Case:
    """The status on `day` as an SQL expression, for `with_status`."""
    parts = _sql_parts(day)
    m = _models()
    order = [
        m.Status.DRAFT, m.Status.TRANSITION, m.Status.SUPERSEDED, m.Status.WITHDRAWN,
        m.Status.UPCOMING, m.Status.UNCONFIRMED, m.Status.CURRENT,
    ]  # fmt: skip
    return Case(
        *(When(parts[status], then=Value(status)) for status in order),
        default=Value(m.Status.CURRENT),
        output_field=models.CharField(),
    )


# ----------------------------------------------------------------------------------------
# What readers see: one phrase
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StatusPhrase:
    key: str  # the status, also a CSS badge suffix
    label: str  # the badge: "Superseded, still valid"
    detail: str  # the rest of the phrase: "by GB 6675.1-2025, valid until 2026-11-01"
    until: datetime.date | None = None  # the day the countdown counts to
    successor: object | None = None

    def __str__(self) -> str:
        return joined(self.label, self.detail)


def joined(label: str, detail: str) -> str:
    """ "Superseded (by GB 6675.1-2025, since 2026-11-01)"; full-width brackets in Chinese."""
    if not detail:
        return str(label)
    return f"{label}（{detail}）" if is_chinese() else f"{label} ({detail})"


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


# The columns `phrase` (and `status_on`) read of an edition, and of its successor: a list
# that loads its rows with `.only(*phrase_fields())` shows their badges without a query
# per row (a column left out would be fetched again for each row).
PHRASE_FIELDS = (
    "stage", "superseded_by", "superseded_from", "valid_until", "withdrawn_date",
    "implementation_date", "issued_date", "status_confirmed_on", "last_verified", "created_at",
)  # fmt: skip
SUCCESSOR_FIELDS = ("identifier", "implementation_date", "issued_date")


def phrase_fields(prefix: str = "") -> list[str]:
    """`PHRASE_FIELDS` and the successor's, for `.only()` with
    `select_related(prefix + "superseded_by")`; `prefix` reaches the standard through a
    relation ("standard__")."""
    return [prefix + name for name in PHRASE_FIELDS] + [
        f"{prefix}superseded_by__{name}" for name in SUCCESSOR_FIELDS
    ]


def phrase(standard, day: datetime.date | None = None) -> StatusPhrase:
    """The status of `standard` as one phrase in the active language."""
    m = _models()
    day = day or timezone.localdate()
    key = getattr(standard, "current_status", None) or status_on(standard, day)
    label = str(m.Status(key).label)
    successor = standard.superseded_by if standard.superseded_by_id else None
    if key == m.Status.TRANSITION:
        until = standard.valid_until if is_replaced(standard, day) else standard.withdrawn_date
        if successor is not None:
            detail = _("replaced by %(successor)s, valid until %(day)s") % {
                "successor": successor.identifier,
                "day": _day(until),
            }
        else:
            detail = _("valid until %(day)s") % {"day": _day(until)}
        return StatusPhrase(key, label, detail, until, successor)
    if key == m.Status.SUPERSEDED:
        since = None
        if successor is not None and is_replaced(standard, day):
            since = standard.valid_until or successor.implementation_date or successor.issued_date
        else:
            since = standard.withdrawn_date
        if successor is not None and since:
            detail = _("by %(successor)s, since %(day)s") % {
                "successor": successor.identifier,
                "day": _day(since),
            }
        elif successor is not None:
            detail = _("by %(successor)s") % {"successor": successor.identifier}
        elif since:
            detail = _("since %(day)s") % {"day": _day(since)}
        else:
            detail = ""
        return StatusPhrase(key, label, detail, None, successor)
    if key == m.Status.WITHDRAWN and standard.withdrawn_date:
        return StatusPhrase(key, label, _("since %(day)s") % {"day": _day(standard.withdrawn_date)})
    if key == m.Status.UPCOMING:
        starts = standard.implementation_date or standard.issued_date
        return StatusPhrase(key, label, _("in force from %(day)s") % {"day": _day(starts)}, starts)
    if key == m.Status.UNCONFIRMED:
        # When the record was last looked at, not when the status became uncertain.
        if standard.last_verified:
            detail = _("record last checked %(day)s") % {"day": _day(standard.last_verified)}
        elif standard.created_at:
            added = timezone.localdate(standard.created_at)
            detail = _("record added %(day)s") % {"day": _day(added)}
        else:
            detail = ""
        return StatusPhrase(key, label, detail)
    if key == m.Status.CURRENT:
        if successor is not None and standard.superseded_from and standard.superseded_from > day:
            return StatusPhrase(
                key, label, _("replaced by %(successor)s from %(day)s") % {
                    "successor": successor.identifier, "day": _day(standard.superseded_from)},
                standard.superseded_from, successor)  # fmt: skip
        if standard.stage == m.Stage.WITHDRAWN and standard.withdrawn_date:
            return StatusPhrase(
                key,
                label,
                _("withdrawn from %(day)s") % {"day": _day(standard.withdrawn_date)},
                standard.withdrawn_date,
            )
    return StatusPhrase(key, label, "")


# Whose list gave the status, where that is not the body: SAC's standards are listed on
# SAMR's national-standard platform.
LIST_PUBLISHERS = {"SAC": "SAMR"}


def source_label(standard) -> str:
    """The source's own word for the status, named: "SAMR: 现行", "CEN: Published"."""
    if not standard.status_label:
        return ""
    return f"{LIST_PUBLISHERS.get(standard.body.code, standard.body.code)}: {standard.status_label}"


# ----------------------------------------------------------------------------------------
# Deriving the stored columns from the family
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Edition:
    standard: object
    year: int | None
    consolidated: tuple  # the "+" amendments' years, for ordering versions of one edition
    amendment: bool  # a "/" amendment (or corrigendum) of its edition: follows its base

    @property
    def order(self) -> tuple:
        return (self.year or 0, self.consolidated)


def _edition(standard) -> _Edition:
    try:
        parsed = parse_identifier(standard.identifier)
    except IdentifierError:
        return _Edition(standard, None, (), bool(standard.amendment_of_id))
    slashed = any(a.joiner == "/" for a in parsed.amendments)
    # IEC's consolidated versions ("CSV") sit beside the base edition; CEN's "+A1"
    # versions replace the earlier version of the same edition.
    plus = () if parsed.suffix else tuple(
        (int(a.year) if a.year.isdigit() else 0, a.number) for a in parsed.amendments
        if a.joiner == "+"
    )  # fmt: skip
    return _Edition(standard, parsed.full_year, plus, slashed or bool(standard.amendment_of_id))


def _published_on(standard) -> datetime.date | None:
    return standard.issued_date or standard.dav or standard.dor or standard.implementation_date


def derive(members: list, replacements: list[tuple[int, int]], ends: dict[int, datetime.date]):
    """`members`: standards of one or more families; `replacements`: (old, new) whole
    replacements among them; `ends`: the latest end of presumption of conformity recorded
    for each replaced standard. Returns {pk: (superseded_by, superseded_from, valid_until)}."""
    m = _models()
    by_pk = {s.pk: s for s in members}
    eligible = {s.pk for s in members if s.published and s.stage != m.Stage.DRAFT}
    editions = [_edition(s) for s in members]
    families: dict[str, list[_Edition]] = defaultdict(list)
    for edition in editions:
        families[lineage(edition.standard.family_key)].append(edition)
    explicit: dict[int, list] = defaultdict(list)
    for old, new in replacements:
        if new in eligible and old in by_pk:
            explicit[old].append(by_pk[new])

    successors: dict[int, object] = {}
    stand_ins: set[int] = set()
    later_editions: dict[int, list[_Edition]] = {}
    for family in families.values():
        versions = sorted(
            (e for e in family if not e.amendment and e.year and e.standard.pk in eligible),
            key=lambda e: e.order,
        )
        # An amendment proves its edition exists (EN IEC 61000-3-2:2019/A1:2021 for the
        # 2019 edition): where the catalogue lacks that edition's base, it stands in.
        years = {v.year for v in versions}
        for edition in sorted(family, key=lambda e: (e.order, e.standard.key)):
            if edition.amendment and edition.year and edition.year not in years:
                if edition.standard.pk in eligible:
                    versions.append(_Edition(edition.standard, edition.year, (), False))
                    stand_ins.add(edition.standard.pk)
                    years.add(edition.year)
        versions.sort(key=lambda e: e.order)
        later_editions[id(family)] = versions
        for edition in family:
            if edition.amendment or not edition.year:
                continue
            newer = [v for v in versions if v.order > edition.order]
            same_edition = [v for v in newer if v.year == edition.year]
            if same_edition:
                successors[edition.standard.pk] = same_edition[0].standard
            elif newer:
                # The next edition's base (or its first version) is the successor.
                successors[edition.standard.pk] = newer[0].standard
    for old, news in explicit.items():
        successors[old] = min(news, key=lambda s: (_published_on(s) or datetime.date.max, s.key))

    # Amendments follow their edition: its base record when the catalogue has one.
    bases: dict[tuple[str, int | None], object] = {}
    for edition in editions:
        if not edition.amendment and not edition.consolidated:
            bases[(lineage(edition.standard.family_key), edition.year)] = edition.standard
    for edition in editions:
        if not edition.amendment or edition.standard.pk in successors:
            continue
        parent = by_pk.get(edition.standard.amendment_of_id) or bases.get(
            (lineage(edition.standard.family_key), edition.year)
        )
        if parent is not None:
            if parent.pk in successors:
                successors[edition.standard.pk] = successors[parent.pk]
        elif edition.year:  # no base in the catalogue: the next edition replaces it too
            family = families[lineage(edition.standard.family_key)]
            newer = [v for v in later_editions[id(family)] if (v.year or 0) > edition.year]
            if newer:
                successors[edition.standard.pk] = newer[0].standard

    derived = {}
    for standard in members:
        successor = successors.get(standard.pk)
        if successor is None or successor.pk == standard.pk:
            derived[standard.pk] = (None, None, None)
            continue
        if standard.withdrawn_date:
            until = standard.withdrawn_date
        else:
            candidates = [successor.dow, ends.get(standard.pk)]
            if successor.jurisdiction == m.Jurisdiction.CN:
                candidates.append(successor.implementation_date)
            until = max((d for d in candidates if d), default=None)
        published = _published_on(successor)
        if successor.pk in stand_ins:  # the edition's own date is not known: its year
            published = datetime.date(_edition(successor).year, 1, 1)
        derived[standard.pk] = (successor.pk, published, until)
    return derived


def _linked_ids(pks: set[int]) -> tuple[set[str], set[int]]:
    m = _models()
    links = m.Replacement.objects.filter(Q(old_id__in=pks) | Q(new_id__in=pks), extent="whole")
    linked = set(pks)
    for old, new in links.values_list("old_id", "new_id"):
        linked |= {old, new}
    families = set(m.Standard.objects.filter(pk__in=linked).values_list("family_key", flat=True))
    return lineage_keys(families), linked


def affected(pks: Iterable[int]) -> set[int]:
    """The standards whose derived columns a write to `pks` may change: their families and
    the standards linked to them by a whole replacement."""
    m = _models()
    pks = {pk for pk in pks if pk}
    if not pks:
        return set()
    families, linked = _linked_ids(pks)
    return set(
        m.Standard.objects.filter(Q(family_key__in=families) | Q(pk__in=linked)).values_list(
            "pk", flat=True
        )
    )


def refresh_editions(pks: Iterable[int]) -> list[int]:
    """Recompute the derived columns for the families of `pks`; return the ids changed."""
    m = _models()
    ids = affected(pks)
    if not ids:
        return []
    # A replacement may reach into another family: take those families whole too.
    families = lineage_keys(
        m.Standard.objects.filter(pk__in=ids).values_list("family_key", flat=True)
    )
    members = list(
        m.Standard.objects.filter(Q(family_key__in=families) | Q(pk__in=ids)).only(
            "pk", "identifier", "key", "family_key", "stage", "published", "jurisdiction",
            "amendment_of_id", "issued_date", "implementation_date", "withdrawn_date", "dav",
            "dor", "dow", *[f if f != "superseded_by" else "superseded_by_id"
                            for f in DERIVED_FIELDS],
        )
    )  # fmt: skip
    return _store(members)


def _store(members: list) -> list[int]:
    m = _models()
    member_ids = [s.pk for s in members]
    replacements = list(
        m.Replacement.objects.filter(
            old_id__in=member_ids, new_id__in=member_ids, extent="whole"
        ).values_list("old_id", "new_id")
    )
    ends = dict(
        m.Citation.objects.filter(replaces_id__in=member_ids, presumption_ends__isnull=False)
        .values("replaces_id")
        .annotate(end=models.Max("presumption_ends"))
        .values_list("replaces_id", "end")
    )
    derived = derive(members, replacements, ends)
    changed = []
    for standard in members:
        values = derived[standard.pk]
        if (standard.superseded_by_id, standard.superseded_from, standard.valid_until) != values:
            standard.superseded_by_id, standard.superseded_from, standard.valid_until = values
            changed.append(standard)
    m.Standard.objects.bulk_update(changed, DERIVED_FIELDS, batch_size=1000)
    return [s.pk for s in changed]


def recompute_all(batch: int = 5000) -> int:
    """Recompute every row (after a bulk load or a change of the rule)."""
    m = _models()
    families = list(
        m.Standard.objects.order_by("family_key").values_list("family_key", flat=True).distinct()
    )
    changed = 0
    for start in range(0, len(families), batch):
        pks = m.Standard.objects.filter(family_key__in=families[start : start + batch])
        changed += len(refresh_editions(pks.values_list("pk", flat=True)))
    return changed


__all__ = [
    "PHRASE_FIELDS", "SUCCESSOR_FIELDS", "StatusPhrase", "affected", "derive", "phrase",
    "phrase_fields", "recompute_all", "refresh_editions", "source_label", "status_case",
    "status_condition", "status_on",
]  # fmt: skip
