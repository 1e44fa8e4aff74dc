"""What the calendar and the change log share: the filters a page asks for and the
record an entry links to.

The filters come from URLs people share and edit (standards.forms.TimelineFilterForm reads
them); entries are plain objects ready for templates, feeds and e-mails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from django.db.models import Q, QuerySet

from sectors.models import Sector
from standards.models import Standard

# Large text columns an entry never shows, left out when records are loaded with entries.
RECORD_DEFERRED = [
    "search_zh_title",
    "search_zh_scope",
    "search_vector",
    "scope_en",
    "scope_zh_hans",
]


@dataclasses.dataclass
class Filters:
    """What a calendar or changes URL asks for, after dropping what was not understood."""

    sectors: list[Sector] = dataclasses.field(default_factory=list)
    jurisdictions: list[str] = dataclasses.field(default_factory=list)
    kinds: list[str] = dataclasses.field(default_factory=list)
    past: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)

    def params(self) -> list[tuple[str, str]]:
        """The understood filters as query parameters (for feed and subscribe links)."""
        pairs = [("sector", sector.slug) for sector in self.sectors]
        pairs += [("jurisdiction", j.lower()) for j in self.jurisdictions]
        pairs += [("kind", kind) for kind in self.kinds]
        if self.past:
            pairs.append(("past", "1"))
        return pairs

    @property
    def active(self) -> bool:
        return bool(self.sectors or self.jurisdictions or self.kinds)


class RecordLink:
    """What an entry about `self.record` (a standard or a regulation) shows and links to."""

    @property
    def is_standard(self) -> bool:
        return isinstance(self.record, Standard)

    @property
    def code(self) -> str:
        return self.record.identifier if self.is_standard else self.record.reference

    @property
    def title(self) -> str:
        if self.is_standard:
            return self.record.title
        return self.record.short_name or self.record.title

    @property
    def url(self) -> str:
        return self.record.get_absolute_url()


def in_sectors(queryset: QuerySet, sectors: Sequence[Sector], *paths: str) -> QuerySet:
    """Rows linked to any of `sectors` through any of `paths`, without duplicate rows."""
    if not sectors:
        return queryset
    ids = [sector.pk for sector in sectors]
    linked = Q()
    for path in paths:
        linked |= Q(**{f"{path}__in": ids})
    return queryset.filter(pk__in=queryset.model.objects.filter(linked).values("pk"))


def sectors_named(sectors: Sequence[Sector | str]) -> list[Sector]:
    """Sector objects for a mix of objects and slugs (unknown slugs are left out)."""
    objects = [s for s in sectors if not isinstance(s, str)]
    slugs = [s for s in sectors if isinstance(s, str)]
    if slugs:
        objects += list(Sector.objects.filter(slug__in=slugs))
    return objects
