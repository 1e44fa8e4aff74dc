"""Honest coverage: one line saying that what a page lists is CESIP's partial catalogue,
how much of it CESIP holds, and where the complete official list is.

A regulation page, a sector page, a requirement sheet and a search all draw on a partial
catalogue; without this line an absence reads as "nothing applies". Each function here
returns a `Coverage` (the sentence in the active language and the official lists to link)
that `templates/includes/coverage.html` prints. The numbers are counts of public records;
the size of an official list is never known to the catalogue, so the line says "holds N",
never "N of M". The links come from standards.sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext

from cesip.web import is_chinese, join_list
from standards.models import Jurisdiction, TechnicalRegulation
from standards.sources import Link, commission_list, official_catalogues, official_record
from standards.titles import act_name


@dataclass(frozen=True)
class OfficialList:
    link: Link
    # The act whose list it is, named in the line (None on the act's own page).
    regulation: TechnicalRegulation | None = None

    @property
    def name(self) -> str:
        """A Chinese rule's Chinese name on a Chinese page (《…》, standards.titles); ""
        where readers know the act by its reference (the template prints it marked)."""
        if self.regulation is None:
            return ""
        name = act_name(self.regulation)
        return "" if name == self.regulation.reference else name


@dataclass(frozen=True)
class Coverage:
    text: str
    lists: list[OfficialList] = field(default_factory=list)

    @property
    def separator(self) -> str:
        return "、" if is_chinese() else ", "


def official_list(regulation: TechnicalRegulation) -> Link | None:
    """The complete official list of what an act cites: the Commission's summary list of
    its harmonised standards where known, else the act's official record."""
    return commission_list(regulation) or official_record(regulation)


def regulation_coverage(regulation: TechnicalRegulation, *, held: int) -> Coverage:
    """Under an act's cited standards: `held` is the number of public standards CESIP
    records as cited by it. The complete list is the Commission's for an EU act's
    harmonised standards, else the act as officially published."""
    link = commission_list(regulation)
    if link:
        zero = _(
            "CESIP holds none of the standards cited under this act; the Commission's list "
            "is the complete one:"
        )
        some = ngettext(
            "CESIP holds %(count)s standard cited under this act; the Commission's list is "
            "the complete one:",
            "CESIP holds %(count)s standards cited under this act; the Commission's list is "
            "the complete one:",
            held,
        )
    elif regulation.jurisdiction == Jurisdiction.EU:
        link = official_record(regulation)
        zero = _(
            "CESIP holds none of the standards cited under this act; the act in the Official "
            "Journal is the complete reference:"
        )
        some = ngettext(
            "CESIP holds %(count)s standard cited under this act; the act in the Official "
            "Journal is the complete reference:",
            "CESIP holds %(count)s standards cited under this act; the act in the Official "
            "Journal is the complete reference:",
            held,
        )
    else:
        link = official_record(regulation)
        zero = _(
            "CESIP holds none of the standards cited under this rule; the rule as officially "
            "published is the complete reference:"
        )
        some = ngettext(
            "CESIP holds %(count)s standard cited under this rule; the rule as officially "
            "published is the complete reference:",
            "CESIP holds %(count)s standards cited under this rule; the rule as officially "
            "published is the complete reference:",
            held,
        )
    text = some % {"count": held} if held else zero
    return Coverage(text, [OfficialList(link)] if link else [])


def _acts(count: int) -> str:
    return npgettext("coverage", "%(count)s act", "%(count)s acts", count) % {"count": count}


def _standards(count: int) -> str:
    return npgettext("coverage", "%(count)s standard", "%(count)s standards", count) % {
        "count": count
    }


def sheet_coverage(regulations: list[TechnicalRegulation], *, held: int, market: str) -> Coverage:
    """Under a requirement sheet: the acts it draws on and `held`, the number of public
    standards CESIP records as cited under them (for any product), with each act's
    official list; with no act, the market's official catalogues."""
    if not regulations:
        text = _(
            "No act in the CESIP catalogue covers these HS codes in this market; the "
            "catalogue is partial, the official catalogues are complete:"
        )
        links = [OfficialList(link) for link in official_catalogues([market])]
        return Coverage(text, links)
    text = ngettext(
        "This sheet draws on %(count)s act; CESIP holds %(standards)s cited under it, and "
        "its official list is the complete one:",
        "This sheet draws on %(count)s acts; CESIP holds %(standards)s cited under them, and "
        "their official lists are the complete ones:",
        len(regulations),
    ) % {"count": len(regulations), "standards": _standards(held)}
    lists = [
        OfficialList(link, regulation)
        for regulation in regulations
        if (link := official_list(regulation))
    ]
    return Coverage(text, lists)


def sector_coverage(*, standards: int, acts: int, citing: list[TechnicalRegulation]) -> Coverage:
    """On a sector page: the public standards and acts CESIP holds for the sector, and
    the official lists of the acts that cite standards (`citing`); with none, the
    publishers' catalogues."""
    text = _(
        "CESIP holds %(standards)s and %(acts)s for this sector, not necessarily all that "
        "apply; the complete lists are the official ones:"
    ) % {"standards": _standards(standards), "acts": _acts(acts)}
    lists = [
        OfficialList(link, regulation)
        for regulation in citing
        if (link := official_list(regulation))
    ]
    if not lists:
        lists = [OfficialList(link) for link in official_catalogues()]
    return Coverage(text, lists)


def search_coverage(*, held: int, jurisdictions: list[str] | None = None, q: str = "") -> Coverage:
    """Under search results: the public standards CESIP holds (in the jurisdictions the
    search is narrowed to) and the publishers' own catalogues, searched for `q`."""
    if jurisdictions:
        text = ngettext(
            "CESIP holds %(count)s standard in the selected jurisdictions (%(jurisdictions)s) "
            "and is not exhaustive; the publishers' official catalogues are complete:",
            "CESIP holds %(count)s standards in the selected jurisdictions (%(jurisdictions)s) "
            "and is not exhaustive; the publishers' official catalogues are complete:",
            held,
        ) % {
            "count": held,
            "jurisdictions": join_list(Jurisdiction(j).label for j in jurisdictions),
        }
    else:
        text = ngettext(
            "CESIP holds %(count)s standard and is not exhaustive; the publishers' official "
            "catalogues are complete:",
            "CESIP holds %(count)s standards and is not exhaustive; the publishers' official "
            "catalogues are complete:",
            held,
        ) % {"count": held}
    links = official_catalogues(jurisdictions, q=q)
    return Coverage(text, [OfficialList(link) for link in links])
