"""Where a record's facts can be read: its official record and the evidence that
confirmed it, kept apart, and the sources CESIP never links to.

Every standard and regulation has an **official record**, built here from its identifier
or reference by publisher, and may have **evidence**: the page a curator read a fact on
(its `source_url`), shown as "confirmed by <domain>, <year>". Evidence is never a copy of a
paywalled standard, a document-sharing, "free download" or forum page, a proxy or staging
host, or a mirror on an unrelated domain: `data/denied_sources.csv` lists those domains
(a domain covers its subdomains) and `source_problem` (cesip.sources, re-exported here)
says why a URL is refused. The importers, the admin and the demo loader all ask it.

Neutral: reads only the identifier parser and the deny-list; records are read by their
attributes (`identifier`, or `reference` and `kind`), so every app may use it.

Link patterns, and how each was confirmed (public pages and code that use them, found
with the project's search tool; none could be fetched live from here):

- GB, GB/T, GB/Z: SAMR's national standard platform, `std.samr.gov.cn/search/std?q=<no.>`
  (its search page, linked that way by many projects; a record's own page needs SAMR's
  internal id, which no identifier gives). Mandatory GB also: the full-text system,
  `openstd.samr.gov.cn/bzgk/gb/std_list?p.p1=0&p.p90=circulation_date&p.p91=desc&p.p2=<no.>`
  (its list search, used by several scrapers; `newGbInfo?hcno=` needs an internal id).
- Industry standards (QB, FZ, YY, SN, JB…): the filing platform's search,
  `hbba.sacinfo.org.cn/stdList?key=<no.>`; local standards (DB): `dbba.sacinfo.org.cn`,
  same query. Association standards (T/…) go to SAMR's platform search.
- EN, EN ISO, EN IEC, HD, CEN/TS…: CEN-CENELEC's search, `standards.cencenelec.eu/dyn/www/
  f?p=CEN:105::RESET::::`. Not confirmed: a query by reference (the search application
  keeps no per-document URL outside a session), so the link opens the search and the page
  names the reference beside it.
- ETSI deliverables: the deliverable folder `www.etsi.org/deliver/etsi_en/<range>/<number
  and part>/` (e.g. `301400_301499/30148901/`), which lists every version; confirmed by
  the links ETSI's own documents and many projects use.
- ISO, IEC: the record's own catalogue page when its source is one (the ISO and IEC
  lists give `iso.org/standard/<id>.html` and `webstore.iec.ch/publication/<id>`);
  otherwise the catalogue search, `www.iso.org/search.html?q=<ref>` and
  `webstore.iec.ch/searchform&q=<ref>` (both linked that way, e.g. from Wikipedia).
- EU acts: EUR-Lex ELI, `eur-lex.europa.eu/eli/<dir|reg|dec>[_impl|_del]/<year>/<no.>/oj`
  (confirmed: ELI links such as eli/dir/2022/2555/oj and eli/dec_impl/2025/1457/oj).
- Chinese laws: the national law database's search, `flk.npc.gov.cn/search.html?keyword=`
  with the law's Chinese title. State Council and ministry rules (SAMR, AQSIQ, MIIT,
  NMPA orders and announcements): the State Council's policy library search,
  `sousuo.www.gov.cn/sousuo/search.shtml?code=17da70961a7&dataTypeId=107&searchWord=`.
  CNCA implementation rules: `www.cnca.gov.cn` (not confirmed: a search URL of CNCA's
  site; the link opens its home page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cesip.sources import (
    CATEGORIES,
    DeniedDomain,
    denied_domain,
    denied_domains,
    host_of,
    source_problem,
    validate_source_url,
)
from standards.identifiers import Identifier, IdentifierError, parse_identifier

__all__ = [
    "CATEGORIES",
    "OFFICIAL_HOSTS",
    "DeniedDomain",
    "Evidence",
    "Link",
    "commission_list",
    "denied_domain",
    "denied_domains",
    "evidence",
    "official_catalogues",
    "official_record",
    "official_records",
    "source_problem",
    "validate_source_url",
]

# The hosts an official-record link can point to (tests check every record's link).
OFFICIAL_HOSTS = frozenset(
    {
        "std.samr.gov.cn",
        "openstd.samr.gov.cn",
        "hbba.sacinfo.org.cn",
        "dbba.sacinfo.org.cn",
        "standards.cencenelec.eu",
        "www.etsi.org",
        "www.iso.org",
        "webstore.iec.ch",
        "eur-lex.europa.eu",
        "flk.npc.gov.cn",
        "sousuo.www.gov.cn",
        "www.cnca.gov.cn",
    }
)

SAMR_SEARCH = "https://std.samr.gov.cn/search/std?q={q}"
OPENSTD_SEARCH = (
    "https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p1=0&p.p90=circulation_date&p.p91=desc&p.p2={q}"
)
INDUSTRY_SEARCH = "https://hbba.sacinfo.org.cn/stdList?key={q}"
LOCAL_SEARCH = "https://dbba.sacinfo.org.cn/stdList?key={q}"
CEN_CENELEC_SEARCH = "https://standards.cencenelec.eu/dyn/www/f?p=CEN:105::RESET::::"
ETSI_DELIVERABLE = "https://www.etsi.org/deliver/{kind}/{low}_{high}/{folder}/"
ISO_SEARCH = "https://www.iso.org/search.html?q={q}"
IEC_SEARCH = "https://webstore.iec.ch/searchform&q={q}"
ISO_CATALOGUE = re.compile(r"https://www\.iso\.org/standard/[0-9]+\.html\Z")
IEC_CATALOGUE = re.compile(r"https://webstore\.iec\.ch/(?:en/)?publication/[0-9]+\Z")
ELI = "https://eur-lex.europa.eu/eli/{type}/{year}/{number}/oj"
NPC_LAW_SEARCH = "https://flk.npc.gov.cn/search.html?keyword={q}"
GOV_CN_SEARCH = (
    "https://sousuo.www.gov.cn/sousuo/search.shtml?code=17da70961a7&dataTypeId=107&searchWord={q}"
)
CNCA_SITE = "https://www.cnca.gov.cn/"


@dataclass(frozen=True)
class Link:
    url: str
    label: str | Promise  # names the publisher, in the reader's language when printed

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Evidence:
    url: str
    domain: str  # the host without "www."
    year: int | None  # the year the record was last verified against it


# ----------------------------------------------------------------------------------------
# Official records
# ----------------------------------------------------------------------------------------

SAMR_LABEL = _("SAMR · national standard platform")
OPENSTD_LABEL = _("SAMR · full text of mandatory national standards")
INDUSTRY_LABEL = _("SAMR · industry standard filing platform")
LOCAL_LABEL = _("SAMR · local standard filing platform")
CEN_CENELEC_LABEL = _("CEN-CENELEC · standards search")
ETSI_LABEL = _("ETSI · deliverable")
ISO_LABEL = _("ISO · catalogue")
IEC_LABEL = _("IEC · webstore")
EUR_LEX_LABEL = _("EUR-Lex · Official Journal")
NPC_LABEL = _("NPC · national database of laws")
GOV_CN_LABEL = _("State Council · policy library (gov.cn)")
CNCA_LABEL = _("CNCA · Certification and Accreditation Administration")
COMMISSION_LIST_LABEL = _("European Commission · list of harmonised standards")


def official_records(record) -> list[Link]:
    """The official-record links of a Standard or a TechnicalRegulation, the main one
    first (mandatory GB have two: SAMR's platform and the full-text system)."""
    if hasattr(record, "identifier"):
        return _standard_links(record.identifier, getattr(record, "source_url", "") or "")
    return _regulation_links(
        getattr(record, "reference", ""),
        getattr(record, "kind", ""),
        getattr(record, "title_zh_hans", "") or "",
    )


def official_record(record) -> Link | None:
    """The main official-record link (see official_records)."""
    links = official_records(record)
    return links[0] if links else None


def _q(text: str) -> str:
    return quote(text, safe="")


def _standard_links(identifier: str, source_url: str) -> list[Link]:
    try:
        parsed = parse_identifier(identifier)
    except IdentifierError:
        return []
    number = parsed.canonical
    if parsed.jurisdiction == "CN":
        return _chinese_standard_links(parsed, number)
    if parsed.jurisdiction == "EU":
        if "ETSI" in parsed.publishers:
            etsi = _etsi_link(parsed)
            if etsi is not None:
                return [etsi]
        return [Link(CEN_CENELEC_SEARCH, CEN_CENELEC_LABEL)]
    source_url = source_url.strip()
    if parsed.publishers[:1] == ("ISO",):
        if ISO_CATALOGUE.match(source_url):
            return [Link(source_url, ISO_LABEL)]
        return [Link(ISO_SEARCH.format(q=_q(number)), ISO_LABEL)]
    if IEC_CATALOGUE.match(source_url):
        return [Link(source_url, IEC_LABEL)]
    return [Link(IEC_SEARCH.format(q=_q(number)), IEC_LABEL)]


def _chinese_standard_links(parsed: Identifier, number: str) -> list[Link]:
    kind = parsed.document_type
    if kind in ("GB", "GB/T", "GB/Z"):
        links = [Link(SAMR_SEARCH.format(q=_q(number)), SAMR_LABEL)]
        if kind == "GB":
            links.append(Link(OPENSTD_SEARCH.format(q=_q(number)), OPENSTD_LABEL))
        return links
    if kind.startswith("DB"):
        return [Link(LOCAL_SEARCH.format(q=_q(number)), LOCAL_LABEL)]
    if kind.startswith("T/"):
        return [Link(SAMR_SEARCH.format(q=_q(number)), SAMR_LABEL)]
    return [Link(INDUSTRY_SEARCH.format(q=_q(number)), INDUSTRY_LABEL)]


def _etsi_link(parsed: Identifier) -> Link | None:
    """ETSI's folder for every version of a deliverable: "ETSI EN 301 489-1" →
    deliver/etsi_en/301400_301499/30148901/."""
    digits = parsed.number.replace(" ", "")
    if not (digits.isdigit() and len(digits) == 6):
        return None
    part = parsed.part
    if part and not part.isdigit():
        return None
    kind = parsed.document_type.split()[-1].lower()  # "ETSI EN" and "EN" → "en"
    low = int(digits) // 100 * 100
    folder = digits + (f"{int(part):02d}" if part else "")
    url = ETSI_DELIVERABLE.format(
        kind=f"etsi_{kind}", low=f"{low:06d}", high=f"{low + 99:06d}", folder=folder
    )
    return Link(url, ETSI_LABEL)


# "Directive 2009/48/EC", "Directive 94/62/EC", "Directive (EU) 2019/882".
_DIRECTIVE = re.compile(r"\bDirective\s+(?:\((?:EU|EC|EEC)\)\s+)?(\d{2,4})/(\d+)")
# "Regulation (EU) 2016/425" (year first since 2015); "Regulation (EC) No 1907/2006" and
# "Regulation (EU) No 1007/2011" (number first until 2014). The same for decisions.
_NUMBERED = re.compile(
    r"\b(?P<act>Regulation|Decision)\s+(?:\((?:EU|EC|EEC|Euratom)\)\s+)?"
    r"(?P<no>No\.?\s+)?(?P<a>\d{1,4})/(?P<b>\d{1,4})"
)


def _full_year(text: str) -> int:
    year = int(text)
    return year + 1900 if year < 100 else year


def eli_link(reference: str) -> Link | None:
    """EUR-Lex's ELI page of an EU act named by its reference, or None."""
    modifier = ""
    if re.search(r"\bImplementing\b", reference):
        modifier = "_impl"
    elif re.search(r"\bDelegated\b", reference):
        modifier = "_del"
    if m := _DIRECTIVE.search(reference):
        year, number = _full_year(m.group(1)), int(m.group(2))
        kind = "dir"
    elif m := _NUMBERED.search(reference):
        kind = {"Regulation": "reg", "Decision": "dec"}[m.group("act")]
        first, second = m.group("a"), m.group("b")
        if m.group("no"):
            number, year = int(first), _full_year(second)
        else:
            year, number = _full_year(first), int(second)
    else:
        return None
    return Link(ELI.format(type=kind + modifier, year=year, number=number), EUR_LEX_LABEL)


# "（2017修正）", "(2020 revision)": the search finds a law by its name alone.
_REVISION = re.compile(r"\s*[（(][^（）()]*(?:修正|修订|revision)[^（）()]*[）)]\s*\Z")


def _regulation_links(reference: str, kind: str, title_zh: str) -> list[Link]:
    european = re.search(r"\b(Directive|Regulation|Decision)\b", reference)
    if kind.startswith("eu-") or (european and not kind.startswith("cn-")):
        link = eli_link(reference)
        return [link] if link else []
    if reference.upper().startswith("CNCA"):
        return [Link(CNCA_SITE, CNCA_LABEL)]
    name = _REVISION.sub("", title_zh.strip()) or reference
    if kind == "cn-law":
        return [Link(NPC_LAW_SEARCH.format(q=_q(name)), NPC_LABEL)]
    return [Link(GOV_CN_SEARCH.format(q=_q(name)), GOV_CN_LABEL)]


# ----------------------------------------------------------------------------------------
# Official lists and catalogues: where the complete lists are, beside CESIP's partial one
# ----------------------------------------------------------------------------------------

# The Commission's summary list of the harmonised standards cited under an act, one page
# per act, by the act's ELI. Confirmed from the Commission's pages as projects link them
# (single-market-economy.ec.europa.eu/single-market/goods/european-standards/
# harmonised-standards/low-voltage-lvd_en, electromagnetic-compatibility-emc_en,
# machinery-md_en, medical-devices_en; toy-safety and personal-protective-equipment under
# the older path without "goods/", which the site moved). An act not listed here (no
# summary list known) gets its EUR-Lex page from official_record.
COMMISSION_LIST = (
    "https://single-market-economy.ec.europa.eu/single-market/goods/european-standards/"
    "harmonised-standards/{page}_en"
)
COMMISSION_LISTS = {
    "dir/2006/42": "machinery-md",
    "dir/2009/48": "toy-safety",
    "dir/2014/30": "electromagnetic-compatibility-emc",
    "dir/2014/35": "low-voltage-lvd",
    "reg/2016/425": "personal-protective-equipment",
    "reg/2017/745": "medical-devices",
}


def commission_list(regulation) -> Link | None:
    """The Commission's summary list of the harmonised standards cited under an EU act,
    when CESIP knows the act's page; None otherwise (the act's official record is then
    the complete reference)."""
    link = eli_link(getattr(regulation, "reference", "") or "")
    if link is None:
        return None
    eli = link.url.removeprefix(ELI.split("{")[0]).removesuffix("/oj")
    page = COMMISSION_LISTS.get(eli)
    return Link(COMMISSION_LIST.format(page=page), COMMISSION_LIST_LABEL) if page else None


def official_catalogues(jurisdictions=None, *, q: str = "") -> list[Link]:
    """The publishers' own catalogues of standards for `jurisdictions` (default: all), the
    complete lists CESIP's catalogue is a part of: SAMR's national standard platform,
    CEN-CENELEC's search, ISO's and IEC's catalogues; searched for `q` where they can be."""
    wanted = set(jurisdictions or ("CN", "EU", "INT"))
    links = []
    if "CN" in wanted:
        links.append(Link(SAMR_SEARCH.format(q=_q(q)), SAMR_LABEL))
    if "EU" in wanted:
        links.append(Link(CEN_CENELEC_SEARCH, CEN_CENELEC_LABEL))
    if "INT" in wanted:
        links.append(Link(ISO_SEARCH.format(q=_q(q)), ISO_LABEL))
        links.append(Link(IEC_SEARCH.format(q=_q(q)), IEC_LABEL))
    return links


# ----------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------


def evidence(record) -> Evidence | None:
    """The page that confirmed the record's facts, when it is not the official record
    itself (ISO and IEC records are sourced from their catalogue page) and may be linked."""
    url = (getattr(record, "source_url", "") or "").strip()
    if not url or source_problem(url):
        return None
    if url in {link.url for link in official_records(record)}:
        return None
    host = host_of(url)
    verified = getattr(record, "last_verified", None)
    return Evidence(
        url=url,
        domain=host.removeprefix("www."),
        year=verified.year if verified else None,
    )
