"""Standard identifiers: any printed spelling -> parts, canonical form and normalised key.

`parse_identifier` reads identifiers of Chinese, European and international standards as
they are printed on covers, in catalogues and in the Official Journal, and returns an
`Identifier` whose `str()` prints the identifier back as read, whose `canonical` is the
publisher's own spelling, and whose `key` is the same for every spelling of one document.
It needs nothing beyond the standard library (and Django's gettext for messages in the
reader's language), so bulk importers, forms, search and the pages share it.

Normalisation, before anything is read: Unicode NFKC (full-width "／", "２０１４", "ＧＢ" become
ASCII), every dash-like character (— – ‐ ‑ − －) becomes "-", runs of whitespace become one
space, and the ends are stripped.

Grammar (prefixes case-insensitive; `[x]` optional, `{x}` repeated, `|` alternatives)::

    identifier  = prefix [" "] number [part] [year] {amendment} [suffix] [version]
                | paper-prefix " " title [":" yyyy]

    prefix      = chinese | european | international
    chinese     = "GB" ["/"] ["T" | "Z"]                    national: GB, GB/T (also "GBT"), GB/Z
                | industry ["/T" | "/Z" | "T"]              QB/T, FZ/T, YY, SN/T, HG/T, JB/T, GA ...
                | "DB" dd ["/" | "/T" | "/Z" | "T"]         local: DB11/T
                | "T/" org                                  association: T/CNTAC
    european    = "ETSI " ("EN" | "TS" | "TR" | "ES" | "EG")
                | ("CEN/CLC" | "CEN ISO" | "CEN" | "CLC") "/" ("TS" | "TR")
                | ("EN" | "prEN" | "FprEN") [" " ("ISO/IEC" | "ISO" | "IEC")]
                | "HD" | "ES" | "CWA"
    international = lead {"/" partner} [(" " | "/") type]
    lead        = "ISO" | "IEC" | "CISPR" | "IWA"
    partner     = "ISO" | "IEC" | "IEEE" | "ASTM" | "ASME" | "CIE" | "HL7" | "SAE" | "OECD" | "UNDP"
    type        = "TR" | "TS" | "PAS" | "ISP" | "SRD" | "R" | "Guide" | "PWI" | "DATA" | "TTA"
                | "ACEE" | "CA" | "WT" | paper-type
    paper-type  = "White Paper" | "Technology Report" | "Trend Report"
                | "Technology and Market Outlook Paper"        (followed by a free-text title)

    Chinese:   number = digits;  part = "." digits {"." digits};  year = "-" (yyyy | yy)
    elsewhere: number = digits [letters] | "ddd ddd" (ETSI, EN 3xx xxx) | CAPITALS (IEC HANDB1)
               part   = "-" segment {"-" segment | "/" digits}    (105-E01, 4-41, 2-1/0, -/1)
               year   = ":" yyyy,  or a bare ":" at the very end (IEC 61360-C00168:)
    amendment  = ("/" | "+") label [" "] [digits] [":" yyyy]
    label      = "Amd" | "A" | "Add" | "Suppl" | "Ext" | "AC" | "Cor"   (any case)
    suffix     = " CSV" | " DB"          (IEC consolidated version / database; after a year)
    version    = " V" d {"." d} [" (" yyyy "-" mm ")"]     (ETSI and EN only)

"/" before an amendment means the amendment document itself, "+" a consolidated edition
that includes it; they are different documents and keep different keys. Spaces around
the joiner and around a Chinese year dash are tolerated and dropped when printing.
"GBZ" is read as GB/Z, like "GBT" as GB/T: the key could not tell them apart anyway.

Key: the canonical document type without separators, the number without spaces, the part
with its separator, ":" and the four-digit year ("-89" counts as 1989), then every
amendment as joiner + kind + number [":" year], then the suffix and "V" + version, all in
capitals: "GB/T 6675.1-2014" -> "GBT6675.1:2014", "ISO 8124-1:2018/Amd 1:2020" and
"ISO 8124-1:2018/AMD1:2020" -> "ISO8124-1:2018/AMD1:2020". An ETSI version date and a bare
trailing ":" are printed but not keyed. The family key stops after the part.

Canonical form: the document type, the number (ETSI's as "301 489"), the part and year with
the jurisdiction's separators ("." and "-" in China, "-" and ":" elsewhere), amendment
labels in the lead publisher's style ("/Amd 1:2020" ISO, "/AMD1:2020" IEC, "+A1:2018" and
"/AC:2018" European). Spellings of one key share it, but for an ETSI version date and
the letter case of an IEC paper's title.

Slug: the canonical form in lower case with "+" spelt "-plus-", any other run of
non-alphanumerics "-", ETSI numbers without their inner space, no ETSI version date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation

__all__ = [
    "Amendment",
    "Identifier",
    "IdentifierError",
    "describe_identifier_error",
    "edition_keys",
    "key_variants",
    "normalise",
    "parse_identifier",
]

_FLAGS = re.IGNORECASE | re.ASCII

# Chinese sector ("industry") standard codes. A fixed list rather than "any two capitals"
# because otherwise every unknown two-letter publisher would be read as a Chinese
# mandatory standard. "DB" is left out: it is the local-standard prefix (DB11/T ...).
_CN_INDUSTRY_CODES = (
    "AQ BB CB CH CJ CY DA DL DZ EJ FZ GA GH GM GY HB HG HJ HS HY JB JC JG JR JT JY LB LD LS "
    "LY MH MT MZ NB NY QB QC QJ QX RB SB SC SF SH SJ SL SN SW SY TB TD TY WB WH WJ WM WS WW "
    "XB XF YB YC YD YJ YS YY YZ ZY CJJ GJB JGJ JJF JJG JTG JTJ TSG YBB"
).split()

# Who issues a sector standard, best effort; codes not listed stand for themselves.
_CN_AUTHORITY = {
    **dict.fromkeys("BB CB EJ FZ HB HG JB JC QB QC QJ SH SJ WJ XB YB YD YS".split(), "MIIT"),
    **dict.fromkeys("YY YBB".split(), "NMPA"),
    **dict.fromkeys("SN HS".split(), "GACC"),
    **dict.fromkeys("CJ CJJ JG JGJ".split(), "MOHURD"),
    **dict.fromkeys("DL MT NB SY".split(), "NEA"),
    **dict.fromkeys("JT JTG JTJ".split(), "MOT"),
    **dict.fromkeys("NY SC".split(), "MARA"),
    **dict.fromkeys("RB TSG JJF JJG".split(), "SAMR"),
    **dict.fromkeys("AQ XF YJ".split(), "MEM"),
    "GA": "MPS",
    "WS": "NHC",
    "HJ": "MEE",
    "SL": "MWR",
    "LY": "NFGA",
}

_INT_LEADS = ("ISO", "IEC", "CISPR", "IWA")
_INT_PARTNERS = ("ISO", "IEC", "IEEE", "ASTM", "ASME", "CIE", "HL7", "SAE", "OECD", "UNDP")
# Upper-case spelling -> the publisher's own spelling.
_INT_TYPES = {
    "TECHNOLOGY AND MARKET OUTLOOK PAPER": "Technology and Market Outlook Paper",
    "TECHNOLOGY REPORT": "Technology Report",
    "TREND REPORT": "Trend Report",
    "WHITE PAPER": "White Paper",
    "GUIDE": "Guide",
    **{t: t for t in ("ACEE", "DATA", "PAS", "PWI", "ISP", "SRD", "TTA", "CA", "TR", "TS", "WT")},
    "R": "R",
}
_PAPER_TYPES = frozenset(t for t in _INT_TYPES.values() if " " in t)
# ISO writes its own deliverables with a slash (ISO/TR), joint ones with a space
# (ISO/IEC TR); IEC has used the space since 2009 (IEC TR, formerly IEC/TR).
_ISO_SLASH_TYPES = frozenset({"TR", "TS", "PAS", "ISP", "R", "DATA", "TTA"})


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    # Longest first: the first alternative that fits wins, and "JTG" must beat "JT".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PREFIX = re.compile(
    rf"""
    (?:
        (?P<etsi>ETSI[ ](?P<etsi_type>EN|TS|TR|ES|EG))
      | (?P<cen>(?P<cen_org>CEN[ /]CLC|CEN[ /]ISO|CEN|CLC)[ /](?P<cen_type>TS|TR))
      | (?P<en>(?P<en_stage>FprEN|prEN|EN)(?:[ /](?P<en_partner>ISO/IEC|ISO|IEC))?)
      | (?P<eu>HD|ES|CWA)
      | (?P<int>
            (?P<int_pubs>(?:{_alternation(_INT_LEADS)})(?:/(?:{_alternation(_INT_PARTNERS)}))*)
            (?:[ /](?P<int_type>{_alternation(list(_INT_TYPES))})(?![A-Z]))?
        )
      | (?P<gb>GB(?P<gb_tail>/?[TZ])?)
      | (?P<db>DB(?P<db_code>[0-9]{{2}})(?P<db_tail>/[TZ]?|T)?)
      | (?P<assoc>T/(?P<assoc_org>[A-Z]{{2,}}))
      | (?P<ind>(?P<ind_code>{_alternation(_CN_INDUSTRY_CODES)})(?P<ind_tail>/[TZ]|T)?)
    )
    # A prefix ends at a space, at the number glued to it, or at the end (reported as
    # "no number"); "ISOX 12" or "GB/Tx" are unknown publishers, not ISO or GB/T.
    (?=[ 0-9]|\Z)
    """,
    _FLAGS | re.VERBOSE,
)

_NUMBER_CN = re.compile(r"[0-9]+", _FLAGS)
_NUMBER_ETSI = re.compile(r"[0-9]{3}(?:[ ]?[0-9]{3})?(?![0-9])", _FLAGS)
# ETSI-made ENs are printed "EN 301 489"; IEC's special publications have capital-letter
# "numbers" (HANDB1, SYMBOL, VIM), case-sensitive so that "ISO hello" is not a standard.
_NUMBER_EN = re.compile(r"[0-9]{3}[ ][0-9]{3}(?![0-9])|[0-9]+[A-Z]*", _FLAGS)
_NUMBER_INT = re.compile(r"[0-9]+[A-Z]*|(?-i:[A-Z][A-Z0-9]+)(?![a-z])", _FLAGS)

_PART_CN = re.compile(r"\.([0-9]+(?:\.[0-9]+)*)", _FLAGS)
# IEC sub-parts such as 60695-2-1/0 use "/digits"; "/AMD1" is never one because of the
# letters, and the lookahead stops "/1A" from being half-read.
_PART = re.compile(r"-((?:[0-9A-Z]+|/[0-9]+)(?:-[0-9A-Z]+|/[0-9]+(?![0-9A-Z]))*)", _FLAGS)

# The year "token" runs to the next space or joiner so that a bad year is quoted whole
# ("20x4", "14x") instead of failing somewhere in its middle.
_YEAR_CN = re.compile(r"[ ]?-[ ]?(?P<token>[^ /+]*)", _FLAGS)
_YEAR = re.compile(r":(?P<token>[^ /+]*)", _FLAGS)
_YYYY = re.compile(r"[0-9]{4}", _FLAGS)
_YY_OR_YYYY = re.compile(r"[0-9]{4}|[0-9]{2}", _FLAGS)

_AMENDMENT = re.compile(
    r"""
    [ ]?(?P<joiner>[/+])[ ]?
    (?P<label>AMD|ADD|SUPPL|EXT|COR|AC|A)(?![A-Z])
    (?:(?P<space>[ ]?)(?P<number>[0-9]+))?
    (?::(?P<year>[^ /+]*))?
    """,
    _FLAGS | re.VERBOSE,
)
_SUFFIX = re.compile(r"[ ](?P<suffix>CSV|DB)(?![0-9A-Z])", _FLAGS)
_VERSION = re.compile(
    r"[ ]V(?P<version>[0-9]+(?:\.[0-9]+)+)(?:[ ]?\((?P<date>[0-9]{4}-[0-9]{2})\))?", _FLAGS
)
_PAPER_TITLE = re.compile(
    r"(?P<title>[A-Z0-9][A-Z0-9 .,:&()'-]*?)(?::(?P<year>[0-9]{4}))?\Z", _FLAGS
)

_NOT_DIGITS = re.compile(r"[^0-9]+")
_WHITESPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_SPLIT_ETSI_NUMBER = re.compile(r"([0-9]{3})([0-9]{3})")

_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        # Slash look-alikes that NFKC leaves alone.
        "\u2215": "/",
        "\u2044": "/",
    }
)

_KINDS = {
    "AMD": "AMD",
    "A": "AMD",
    "ADD": "ADD",
    "SUPPL": "SUPPL",
    "EXT": "EXT",
    "AC": "COR",
    "COR": "COR",
}
# Canonical amendment labels (label, space before the number) in each publisher's style.
_ISO_LABELS = {
    "AMD": ("Amd", " "),
    "COR": ("Cor", " "),
    "ADD": ("Add", " "),
    "SUPPL": ("Suppl", " "),
    "EXT": ("Ext", " "),
}
_IEC_LABELS = {kind: (kind, "") for kind in _ISO_LABELS}
_EN_LABELS = {**_ISO_LABELS, "AMD": ("A", ""), "COR": ("AC", "")}


class IdentifierError(ValueError):
    """Raised with a message naming the part that could not be read."""

    text: str  # the input
    part: str  # the fragment that could not be read ("" when there was nothing to read)

    # Defaults keep the exception picklable (unpickling calls the class with the message).
    def __init__(self, message: str, text: str = "", part: str = "") -> None:
        super().__init__(message)
        self.text = text
        self.part = part


@dataclass(frozen=True)
class Amendment:
    """An amendment, corrigendum or supplement printed after the base identifier."""

    joiner: str  # "/" (the amendment itself) or "+" (consolidated with it), as printed
    label: str  # as printed: "Amd", "AMD", "A", "Add", "Suppl", "Ext", "AC", "Cor", "COR"
    space: str  # "" or " " between label and number, as printed
    number: str  # "1", "11", or "" ("ISO 3758:1991/Suppl:1993")
    year: str  # "2020" or ""

    @property
    def kind(self) -> str:
        """Canonical kind: "AMD", "COR", "ADD", "SUPPL" or "EXT"."""
        return _KINDS[self.label.upper()]

    def __str__(self) -> str:
        year = f":{self.year}" if self.year else ""
        return f"{self.joiner}{self.label}{self.space}{self.number}{year}"


@dataclass(frozen=True)
class Identifier:
    """The parts of one printed identifier. See the module docstring for the grammar."""

    prefix: str  # as printed: "GB/T", "gb", "EN ISO", "ETSI EN", "IEC White Paper"
    document_type: str  # canonical prefix: "GB/T" (also for "GBT", "gb/t"), "ISO/TR" ...
    publishers: tuple[str, ...]  # ("SAC",), ("ISO", "IEC"), ("CEN",) ...; best effort
    jurisdiction: str  # "CN", "EU" or "INT"
    legal_force: str  # "mandatory", "recommended", "guidance" or "voluntary"
    number: str  # as printed: "6675", "71", "301 489", "HANDB1", a paper's title
    part: str = ""  # as printed: "1", "4-41", "E01", "2-1/0"; "" when none
    part_separator: str = ""  # "." (Chinese), "-" (elsewhere), "" when no part
    year: str = ""  # as printed: "2014", "89", "" when undated
    year_separator: str = ""  # "-" (Chinese), ":" (elsewhere, even with an empty year), ""
    amendments: tuple[Amendment, ...] = ()
    suffix: str = ""  # "", "CSV" (IEC consolidated version) or "DB" (database)
    version: str = ""  # ETSI "2.2.3", else ""
    version_date: str = ""  # ETSI "2019-11", else ""
    prefix_space: str = " "  # "" when the prefix was glued to the number ("gb6675.1")

    def __str__(self) -> str:
        """The identifier as printed. Exact for normalised text (ASCII, single spaces, the
        publisher's case for "V" and "CSV"); tolerated extra spaces are left out."""
        amendments = "".join(str(a) for a in self.amendments)
        return (
            f"{self.prefix}{self.prefix_space}{self.number}{self.part_separator}{self.part}"
            f"{self.year_separator}{self.year}{amendments}{self._tail(with_date=True)}"
        )

    @property
    def canonical(self) -> str:
        """The publisher's own spelling: "gbt 6675.1—2014" -> "GB/T 6675.1-2014"."""
        return self._render(for_slug=False)

    @property
    def key(self) -> str:
        """Normalised unique key, the same for every spelling of one document."""
        pieces = [self.family_key]
        if self.year:
            pieces.append(f":{self.full_year}")
        for amendment in self.amendments:
            year = f":{amendment.year}" if amendment.year else ""
            pieces.append(f"{amendment.joiner}{amendment.kind}{amendment.number}{year}")
        pieces.append(self.suffix.upper())
        if self.version:
            pieces.append(f"V{self.version}")
        return "".join(pieces)

    @property
    def family_key(self) -> str:
        """The key without year, amendments, suffix and version: every edition of a part."""
        part = f"{self.part_separator}{self.part}" if self.part else ""
        number = self.number.replace(" ", "")
        return f"{_NOT_ALNUM.sub('', self.document_type)}{number}{part}".upper()

    @property
    def slug(self) -> str:
        """Readable permalink: "gb-t-6675-1-2014", "en-71-1-2014-plus-a1-2018"."""
        text = self._render(for_slug=True).lower().replace("+", "-plus-")
        return _NOT_ALNUM.sub("-", text).strip("-")

    @property
    def full_year(self) -> int | None:
        """The year with its century: "89" -> 1989, "05" -> 2005, "" -> None."""
        if not self.year:
            return None
        year = int(self.year)
        if len(self.year) == 2:
            # Two-digit years are only printed on old Chinese standards (GB 2423.1-89);
            # none are from before 1950 and none from after 2049.
            return year + (1900 if year >= 50 else 2000)
        return year

    @property
    def edition_year(self) -> int | None:
        """The year of the text this names: with amendments, the last one's year
        ("EN 71-1:2014+A1:2018" -> 2018, "EN ISO 13485:2016/A11:2021" -> 2021)."""
        years = [int(amendment.year) for amendment in self.amendments if len(amendment.year) == 4]
        return max([self.full_year or 0, *years]) or None

    def _tail(self, *, with_date: bool) -> str:
        tail = f" {self.suffix}" if self.suffix else ""
        if self.version:
            tail += f" V{self.version}"
        if self.version_date and with_date:
            tail += f" ({self.version_date})"
        return tail

    def _render(self, *, for_slug: bool) -> str:
        chinese = self.jurisdiction == "CN"
        paper = self.document_type.split(" ", 1)[-1] in _PAPER_TYPES
        number = self.number if paper else self.number.upper()
        if for_slug:
            # "301 489" and "301-489" are different numbers; their slugs must differ too.
            number = number.replace(" ", "") if number[:1].isdigit() else number
        elif self.publishers == ("ETSI",) and number.isdigit() and len(number) == 6:
            number = _SPLIT_ETSI_NUMBER.sub(r"\1 \2", number)
        text = f"{self.document_type} {number}"
        if self.part:
            text += ("." if chinese else "-") + self.part.upper()
        if self.year:
            # The four-digit year, so that "-89" and "-1989" print (and key) alike.
            text += ("-" if chinese else ":") + str(self.full_year)
        labels = self._amendment_labels()
        for amendment in self.amendments:
            label, space = labels[amendment.kind]
            if not amendment.number:
                space = ""
            year = f":{amendment.year}" if amendment.year else ""
            text += f"{amendment.joiner}{label}{space}{amendment.number}{year}"
        return text + self._tail(with_date=not for_slug)

    def _amendment_labels(self) -> dict[str, tuple[str, str]]:
        if self.jurisdiction == "EU":
            return _EN_LABELS
        if self.publishers[:1] == ("IEC",) and self.jurisdiction == "INT":
            return _IEC_LABELS
        return _ISO_LABELS


def normalise(text: str) -> str:
    """NFKC, dash-like characters to "-", whitespace runs to one space, ends stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return _WHITESPACE.sub(" ", text).strip()


def _word_at(s: str, pos: int) -> str:
    end = s.find(" ", pos)
    return s[pos:] if end < 0 else s[pos:end]


def _quote(fragment: str) -> str:
    # Messages end up in admin forms; a 2,000-character fragment would drown the page.
    if len(fragment) > 60:
        fragment = fragment[:57] + "..."
    return f"“{fragment}”"


def _classify(
    m: re.Match[str],
) -> tuple[str, str, tuple[str, ...], str, str]:
    """(family, document type, publishers, jurisdiction, legal force) of a prefix match.

    The family chooses the grammar of the rest: "cn", "etsi", "en", "int" or "paper".
    """
    if m.group("int"):
        pubs = tuple(p.upper() for p in m.group("int_pubs").split("/"))
        kind = _INT_TYPES[m.group("int_type").upper()] if m.group("int_type") else ""
        if pubs == ("ISO",) and kind in _ISO_SLASH_TYPES:
            document_type = f"ISO/{kind}"
        else:
            document_type = "/".join(pubs) + (f" {kind}" if kind else "")
        # CISPR publications are IEC publications; IWAs are ISO's.
        publishers = tuple({"CISPR": "IEC", "IWA": "ISO"}.get(p, p) for p in pubs)
        publishers = tuple(dict.fromkeys(publishers))
        family = "paper" if kind in _PAPER_TYPES else "int"
        return family, document_type, publishers, "INT", "voluntary"
    if m.group("gb"):
        tail = m.group("gb_tail").upper().lstrip("/") if m.group("gb_tail") else ""
        document_type = f"GB/{tail}" if tail else "GB"
        return "cn", document_type, ("SAC",), "CN", _cn_force(tail)
    if m.group("en"):
        stage = {"EN": "EN", "PREN": "prEN", "FPREN": "FprEN"}[m.group("en_stage").upper()]
        partner = (m.group("en_partner") or "").upper()
        document_type = f"{stage} {partner}" if partner else stage
        if partner == "ISO":
            publishers: tuple[str, ...] = ("CEN", "ISO")
        elif partner == "IEC":
            publishers = ("CENELEC", "IEC")
        elif partner:
            publishers = ("CEN", "CENELEC", "ISO", "IEC")
        else:
            publishers = ()  # decided by the number, see _european_publishers
        return "en", document_type, publishers, "EU", "voluntary"
    if m.group("etsi"):
        return "etsi", f"ETSI {m.group('etsi_type').upper()}", ("ETSI",), "EU", "voluntary"
    if m.group("cen"):
        org = m.group("cen_org").upper().replace(" ", "/")
        org = {"CEN/ISO": "CEN ISO"}.get(org, org)
        publishers = {
            "CEN": ("CEN",),
            "CLC": ("CENELEC",),
            "CEN/CLC": ("CEN", "CENELEC"),
            "CEN ISO": ("CEN", "ISO"),
        }[org]
        document_type = f"{org}/{m.group('cen_type').upper()}"
        return "en", document_type, publishers, "EU", "voluntary"
    if m.group("eu"):
        document_type = m.group("eu").upper()
        publishers = {"HD": ("CENELEC",), "CWA": ("CEN",)}.get(document_type, ())
        return "en", document_type, publishers, "EU", "voluntary"
    if m.group("ind"):
        code = m.group("ind_code").upper()
        tail = (m.group("ind_tail") or "").upper().lstrip("/")
        document_type = f"{code}/{tail}" if tail else code
        return "cn", document_type, (_CN_AUTHORITY.get(code, code),), "CN", _cn_force(tail)
    if m.group("db"):
        code = f"DB{m.group('db_code')}"
        tail = (m.group("db_tail") or "").upper().lstrip("/")
        document_type = f"{code}/{tail}" if tail else code
        return "cn", document_type, (code,), "CN", _cn_force(tail)
    org = m.group("assoc_org").upper()
    return "cn", f"T/{org}", (org,), "CN", "voluntary"


def _cn_force(tail: str) -> str:
    return {"T": "recommended", "Z": "guidance"}.get(tail, "mandatory")


def _european_publishers(number: str) -> tuple[str, ...]:
    # EN 50xxx and EN 6xxxx are CENELEC's, EN 3xx xxx ETSI's, the rest CEN's.
    digits = number.replace(" ", "")
    if len(digits) == 6 and digits.isdigit():
        return ("ETSI",)
    if digits[:1] in ("5", "6") and len(digits.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == 5:
        return ("CENELEC",)
    return ("CEN",)


def parse_identifier(text: str) -> Identifier:
    """Read one identifier in any printed spelling. Raises IdentifierError."""
    s = normalise(text)
    if not s:
        raise IdentifierError("The identifier is empty.", text=text, part="")

    m = _PREFIX.match(s)
    if m is None:
        word = _word_at(s, 0)
        # "hello 123" and "XYZ12" both name the publisher by their letters.
        word = letters.group() if (letters := _NOT_DIGITS.match(word)) else word
        raise IdentifierError(
            f"Unknown publisher or document type {_quote(word)} in {_quote(s)}.",
            text=text,
            part=word,
        )
    family, document_type, publishers, jurisdiction, legal_force = _classify(m)
    prefix = m.group()
    pos = m.end()
    prefix_space = ""
    if s.startswith(" ", pos):
        prefix_space = " "
        pos += 1

    def fail(message: str, part: str) -> IdentifierError:
        return IdentifierError(message, text=text, part=part)

    if family == "paper":
        pm = _PAPER_TITLE.match(s, pos) if prefix_space else None
        if pm is None:
            found = s[pos:]
            if not found:
                raise fail(f"No title after {_quote(prefix)}.", prefix)
            raise fail(f"Cannot read the title {_quote(found)} in {_quote(s)}.", found)
        year = pm.group("year") or ""
        return Identifier(
            prefix=prefix,
            document_type=document_type,
            publishers=publishers,
            jurisdiction=jurisdiction,
            legal_force=legal_force,
            number=pm.group("title"),
            year=year,
            year_separator=":" if year else "",
            prefix_space=prefix_space,
        )

    chinese = family == "cn"
    number_pattern = {
        "cn": _NUMBER_CN,
        "etsi": _NUMBER_ETSI,
        "en": _NUMBER_EN,
        "int": _NUMBER_INT,
    }[family]
    nm = number_pattern.match(s, pos)
    if nm is None:
        found = _word_at(s, pos)
        if not found:
            raise fail(f"No document number after {_quote(prefix)}.", prefix)
        raise fail(f"{_quote(found)} is not a document number (after {_quote(prefix)}).", found)
    number = nm.group()
    pos = nm.end()
    if family == "en" and not publishers:
        publishers = _european_publishers(number.upper())

    part = part_separator = ""
    pm = (_PART_CN if chinese else _PART).match(s, pos)
    if pm:
        part_separator, part = s[pos], pm.group(1)
        pos = pm.end()

    year = year_separator = ""
    ym = (_YEAR_CN if chinese else _YEAR).match(s, pos)
    if ym:
        token = ym.group("token")
        if (_YY_OR_YYYY if chinese else _YYYY).fullmatch(token):
            year = token
            year_separator = "-" if chinese else ":"
        elif not token and not chinese and ym.end() == len(s):
            # "IEC 61360-C00168:" - a colon with the year left out, printed like that.
            year_separator = ":"
        elif token:
            raise fail(f"{_quote(token)} is not a year in {_quote(s)}.", token)
        else:
            raise fail(f"No year after {_quote(s[pos : ym.end()].strip())}.", "")
        pos = ym.end()

    amendments: list[Amendment] = []
    while am := _AMENDMENT.match(s, pos):
        amendment_year = am.group("year")
        if amendment_year is not None and not _YYYY.fullmatch(amendment_year):
            if amendment_year:
                raise fail(
                    f"{_quote(amendment_year)} is not a year in {_quote(s)}.", amendment_year
                )
            raise fail(f"No year after {_quote(am.group().strip())}.", "")
        amendments.append(
            Amendment(
                joiner=am.group("joiner"),
                label=am.group("label"),
                space=am.group("space") or "",
                number=am.group("number") or "",
                year=amendment_year or "",
            )
        )
        pos = am.end()

    suffix = ""
    # Only dated editions come as a consolidated version or a database; this also keeps
    # "IEC 60417 DB" from meaning the same as "IEC 60417DB".
    dated = amendments[-1].year if amendments else year
    sm = _SUFFIX.match(s, pos) if dated else None
    if sm:
        suffix = sm.group("suffix").upper()
        pos = sm.end()

    version = version_date = ""
    vm = _VERSION.match(s, pos) if family in ("etsi", "en") else None
    if vm:
        version, version_date = vm.group("version"), vm.group("date") or ""
        pos = vm.end()

    if pos != len(s):
        rest = s[pos:].strip()
        raise fail(f"Cannot read {_quote(rest)} at the end of {_quote(s)}.", rest)

    return Identifier(
        prefix=prefix,
        document_type=document_type,
        publishers=publishers,
        jurisdiction=jurisdiction,
        legal_force=legal_force,
        number=number,
        part=part,
        part_separator=part_separator,
        year=year,
        year_separator=year_separator,
        amendments=tuple(amendments),
        suffix=suffix,
        version=version,
        version_date=version_date,
        prefix_space=prefix_space,
    )


def describe_identifier_error(exc: IdentifierError) -> str:
    """The parser's own message in English; in other languages a translated one that
    still names the part that could not be read."""
    if translation.get_language() == "en":
        return str(exc)
    if not exc.part:
        return translation.gettext("The identifier is empty or could not be read.")
    return translation.gettext("Could not read “%(part)s” in the identifier “%(text)s”.") % {
        "part": exc.part,
        "text": exc.text,
    }


# GB, GB/T and GB/Z (and XX, XX/T, XX/Z for industry codes): readers often drop the "/T"
# ("gb6675.1" for GB/T 6675.1), so the three are tried for each other.
_CHINESE_TYPE = re.compile(r"([A-Z]{1,3}|DB\d\d)(/[TZ])?")
CHINESE_TYPE_SUFFIXES = ("", "T", "Z")


def key_variants(parsed: Identifier) -> list[tuple[str, str]]:
    """(key, family key) pairs a typed identifier may mean: its own, and for a Chinese
    standard the same number as GB, GB/T and GB/Z (XX, XX/T, XX/Z)."""
    compact = parsed.document_type.replace("/", "").replace(" ", "").upper()
    key, family_key = parsed.key[len(compact) :], parsed.family_key[len(compact) :]
    chinese = _CHINESE_TYPE.fullmatch(parsed.document_type.upper())
    prefixes = [compact]
    if parsed.jurisdiction == "CN" and chinese:
        prefixes = [chinese.group(1) + suffix for suffix in CHINESE_TYPE_SUFFIXES]
    return [(prefix + key, prefix + family_key) for prefix in prefixes]


def edition_keys(parsed: Identifier) -> list[str]:
    """The keys a typed identifier with its year may mean (see key_variants)."""
    return [key for key, _family in key_variants(parsed)]
