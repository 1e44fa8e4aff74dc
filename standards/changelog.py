"""What's new: Change rows told in plain language, for the page, its feed and the digests.

`describe_change` builds the sentences from `Change.kind` and `Change.fields` as
standards.changes writes them, in the active language; `public_changes` and
`change_entries` give the entries of published records, `latest_changes` the home page's.
Readers order and date changes by the event they report (`Change.occurred_on`); when
CESIP recorded it later, entries say so (`recorded_on`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cesip.web import headed, join_list
from sectors.models import Sector
from standards.entries import RECORD_DEFERRED, Filters, RecordLink, in_sectors, sectors_named
from standards.models import (
    Change,
    ChangeKind,
    Citation,
    CitationKind,
    DatePrecision,
    Stage,
    Standard,
    TechnicalRegulation,
)
from standards.titles import act_name

DATE_FIELD_LABELS: dict[str, Promise] = {
    "issued_date": gettext_lazy("Issue date"),
    "implementation_date": gettext_lazy("Implementation date"),
    "first_issued_date": gettext_lazy("First issue date"),
    "confirmed_date": gettext_lazy("Review confirmation date"),
    "withdrawn_date": gettext_lazy("Withdrawal date"),
    "dor": gettext_lazy("DOR (date of ratification)"),
    "dav": gettext_lazy("DAV (date of availability)"),
    "doa": gettext_lazy("DOA (date of announcement)"),
    "dop": gettext_lazy("DOP (latest date of publication)"),
    "dow": gettext_lazy("DOW (latest date of withdrawal)"),
    "adopted_date": gettext_lazy("Adoption date"),
    "in_force_date": gettext_lazy("Entry-into-force date"),
    "applies_from": gettext_lazy("Date of application"),
    "transition_ends": gettext_lazy("End of the transition period"),
    "repealed_date": gettext_lazy("Repeal date"),
    "date_cited": gettext_lazy("Citation date"),
}
TEXT_FIELD_LABELS: dict[str, Promise] = {
    "title_en": gettext_lazy("English title"),
    "title_zh_hans": gettext_lazy("Chinese title"),
    "scope_en": gettext_lazy("English scope"),
    "scope_zh_hans": gettext_lazy("Chinese scope"),
    "short_name_en": gettext_lazy("English short name"),
    "short_name_zh_hans": gettext_lazy("Chinese short name"),
    "title_en_source": gettext_lazy("source of the English title"),
    "title_zh_hans_source": gettext_lazy("source of the Chinese title"),
    "scope_en_source": gettext_lazy("source of the English scope"),
    "scope_zh_hans_source": gettext_lazy("source of the Chinese scope"),
    "restrictions_en": gettext_lazy("restrictions"),
    "restrictions_zh_hans": gettext_lazy("restrictions"),
    "oj_reference": gettext_lazy("OJ reference"),
}
CITED_SENTENCES: dict[str, Promise] = {
    CitationKind.HARMONISED: gettext_lazy("Listed as a harmonised standard under %(regulation)s"),
    CitationKind.COMPULSORY: gettext_lazy("Made compulsory by %(regulation)s"),
    CitationKind.CCC_TESTING: gettext_lazy("Named for CCC testing by %(regulation)s"),
    CitationKind.REFERENCED: gettext_lazy("Referenced by %(regulation)s"),
}


def _date_sentence(label: Any, old: Any, new: Any) -> str:
    values = {"field": label, "old": old, "new": new}
    if old and new:
        return _("%(field)s moved from %(old)s to %(new)s") % values
    if new:
        return _("%(field)s set to %(new)s") % values
    return _("%(field)s removed (was %(old)s)") % values


def _at_precision(value: Any, precision: Any) -> Any:
    """An ISO date string cut to its year or month when that is all that was known."""
    if isinstance(value, str) and precision in (DatePrecision.YEAR, DatePrecision.MONTH):
        return value[: 4 if precision == DatePrecision.YEAR else 7]
    return value


def _listed(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list) else []


def _relation_names(entries: Iterable[str]) -> str:
    """“GB 1-2024 (partial)” as written by standards.changes → “GB 1-2024, in part”."""
    shown = []
    for entry in entries:
        identifier, _sep, extent = entry.rpartition(" (")
        if extent == "partial)":
            shown.append(_("%(standard)s, in part") % {"standard": identifier})
        else:
            shown.append(identifier if extent == "whole)" else entry)
    return join_list(shown)


def _field_label(model: type, name: str) -> str:
    if name in DATE_FIELD_LABELS:
        return str(DATE_FIELD_LABELS[name])
    if name in TEXT_FIELD_LABELS:
        return str(TEXT_FIELD_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a reverse relation such as replaced_by, or a field since removed
        return name.replace("_", " ")


def _stage_label(value: Any) -> str:
    return str(dict(Stage.choices).get(value, value or "—"))


def _record_sentences(change: Change, fields: Mapping[str, list]) -> list[str]:
    """One sentence per changed field of a standard or regulation."""
    model = Standard if change.regulation_id is None else TechnicalRegulation
    sentences: list[str] = []
    others: list[str] = []
    translated: list[str] = []
    for name, pair in fields.items():
        old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if name == "stage":
            sentences.append(
                _("Status changed from %(old)s to %(new)s")
                % {"old": _stage_label(old), "new": _stage_label(new)}
            )
        elif name == "status_label" and old and new:
            sentences.append(
                _("Status at the source changed from %(old)s to %(new)s") % {"old": old, "new": new}
            )
        elif name == "status_label":
            sentences.append(_date_sentence(_("Status at the source"), old, new))
        elif name == "issued_date" and isinstance(fields.get("issued_precision"), list):
            # "2018" became "2018-06-20": each date as precisely as it was known then.
            before, after = (list(fields["issued_precision"]) + [None, None])[:2]
            sentences.append(
                _date_sentence(
                    DATE_FIELD_LABELS[name], _at_precision(old, before), _at_precision(new, after)
                )
            )
        elif name in DATE_FIELD_LABELS:
            sentences.append(_date_sentence(DATE_FIELD_LABELS[name], old, new))
        elif name == "issued_precision":
            labels = dict(DatePrecision.choices)
            sentences.append(
                _("The issue date is now known to the %(precision)s")
                % {"precision": str(labels.get(new, new)).lower()}
            )
        elif name == "superseded_by":
            if new:
                sentences.append(
                    _("A newer edition supersedes it: %(standard)s") % {"standard": new}
                )
            else:
                others.append(_field_label(model, name))
        elif name in ("replaced_by", "replaces", "adopts"):
            added = [v for v in _listed(new) if v not in _listed(old)]
            removed = [v for v in _listed(old) if v not in _listed(new)]
            if name == "replaced_by" and added:
                sentences.append(
                    _("Replaced by %(standards)s") % {"standards": _relation_names(added)}
                )
            elif name == "replaces" and added:
                sentences.append(
                    _("Now replaces %(standards)s") % {"standards": _relation_names(added)}
                )
            elif name == "adopts" and added:
                sentences.append(_("Now adopts %(standards)s") % {"standards": join_list(added)})
            if removed or not added:
                others.append(_field_label(model, name))
        elif name == "translation_verified":
            if new:
                sentences.append(_("Translation checked by a curator"))
        elif change.kind == ChangeKind.TRANSLATION:
            translated.append(_field_label(model, name))
        else:
            others.append(_field_label(model, name))
    if translated:
        sentences.append(_("Translation updated: %(fields)s") % {"fields": join_list(translated)})
    if others:
        sentences.append(_("Details updated: %(fields)s") % {"fields": join_list(others)})
    return sentences


def _citation_sentences(change: Change, fields: Mapping[str, list]) -> list[str]:
    regulation = act_name(change.regulation)
    ends = fields.get("presumption_ends") or [None, None]
    if change.kind == ChangeKind.CITED:
        kind = (fields.get("kind") or [None, None])[1]
        sentence = CITED_SENTENCES.get(kind, CITED_SENTENCES[CitationKind.REFERENCED])
        sentences = [str(sentence) % {"regulation": regulation}]
        if ends[1]:
            sentences.append(_("Presumption of conformity ends on %(date)s") % {"date": ends[1]})
        if (fields.get("replaces") or [None, None])[1]:
            sentences.append(
                _("Replaces %(standard)s in the list") % {"standard": fields["replaces"][1]}
            )
        return sentences
    sentences = []
    if "presumption_ends" in fields:
        label = _("End of presumption of conformity under %(regulation)s") % {
            "regulation": regulation
        }
        sentences.append(_date_sentence(label, ends[0], ends[1]))
    rest = [_field_label(Citation, name) for name in fields if name != "presumption_ends"]
    if rest:
        sentences.append(
            _("Citation under %(regulation)s updated: %(fields)s")
            % {"regulation": regulation, "fields": join_list(rest)}
        )
    return sentences


def describe_change(change: Change) -> list[str]:
    """The change in plain language, one sentence per fact, in the active language."""
    fields = change.fields if isinstance(change.fields, dict) else {}
    if change.kind == ChangeKind.NEW:
        if change.standard_id:
            return [_("New standard added")]
        return [_("New regulation added")]
    if change.standard_id and change.regulation_id:
        sentences = _citation_sentences(change, fields)
    else:
        sentences = _record_sentences(change, fields)
    if change.kind == ChangeKind.WITHDRAWN and "stage" not in fields:
        sentences.insert(0, _("Withdrawn"))
    return sentences or [str(change.get_kind_display())]


@dataclasses.dataclass
class ChangeEntry(RecordLink):
    """A Change row ready for a template or a feed."""

    change: Change
    record: Standard | TechnicalRegulation
    regulation: TechnicalRegulation | None  # the citing act, for citation changes
    sentences: list[str]
    sectors: list[Sector]

    @property
    def pk(self) -> int:
        return self.change.pk

    @property
    def kind(self) -> str:
        return self.change.kind

    @property
    def kind_label(self) -> str:
        return str(self.change.get_kind_display())

    @property
    def when(self) -> datetime.date:
        """The day of the event the change reports (what pages show and order by)."""
        return self.change.occurred_on

    @property
    def recorded_on(self) -> datetime.date:
        """The day CESIP recorded the change."""
        return timezone.localdate(self.change.created_at)

    @property
    def recorded_later(self) -> bool:
        """Whether CESIP learnt of the event after the day it happened."""
        return self.recorded_on != self.when

    @property
    def event_time(self) -> datetime.datetime:
        """The event as an instant (for feeds): the recording time when recorded on the
        day of the event, otherwise the start of the event's day."""
        if not self.recorded_later:
            return self.change.created_at
        return datetime.datetime.combine(
            self.when, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )

    @property
    def regulation_url(self) -> str:
        return self.regulation.get_absolute_url() if self.regulation else ""

    @property
    def headline(self) -> str:
        return headed(self.code, self.sentences[0])


# Newest event first; among events of one day, the latest recorded first.
EVENT_ORDER = ["-occurred_on", "-created_at", "-id"]


def public_changes(filters: Filters) -> QuerySet:
    """Changes to published records, the latest event first (then the latest recorded),
    with what the entries need loaded."""
    rows = Change.objects.filter(
        Q(standard__isnull=True) | Q(standard__published=True),
        Q(regulation__isnull=True) | Q(regulation__published=True),
    )
    if filters.kinds:
        rows = rows.filter(kind__in=filters.kinds)
    if filters.jurisdictions:
        rows = rows.filter(
            Q(regulation__jurisdiction__in=filters.jurisdictions)
            | Q(regulation__isnull=True, standard__jurisdiction__in=filters.jurisdictions)
        )
    rows = in_sectors(rows, filters.sectors, "sectors")
    deferred = [f"{rel}__{f}" for rel in ("standard", "regulation") for f in RECORD_DEFERRED]
    return (
        rows.select_related("standard", "regulation")
        .defer(*deferred)
        .prefetch_related("sectors")
        .order_by(*EVENT_ORDER)
    )


def change_entries(changes: Iterable[Change]) -> list[ChangeEntry]:
    """Entries for already loaded changes (see public_changes); no further queries."""
    entries = []
    for change in changes:
        citation = change.standard_id is not None and change.regulation_id is not None
        record = change.standard if change.standard_id else change.regulation
        entries.append(
            ChangeEntry(
                change=change,
                record=record,
                regulation=change.regulation if citation else None,
                sentences=describe_change(change),
                sectors=list(change.sectors.all()),
            )
        )
    return entries


def latest_changes(
    limit: int = 8, sectors: Iterable[Sector | str] | None = None
) -> list[ChangeEntry]:
    """The `limit` latest changes by event (for the home page), optionally in `sectors`
    (Sector objects or slugs). Each ChangeEntry has when (the event's day), recorded_on,
    kind, kind_label, code, title, url, sentences (plain language), headline, regulation
    and regulation_url, sectors."""
    sectors = list(sectors or [])
    objects = sectors_named(sectors)
    if sectors and not objects:
        return []
    return change_entries(public_changes(Filters(sectors=objects))[:limit])
