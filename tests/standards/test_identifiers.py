"""standards.identifiers: worked examples, errors, the published catalogues, properties.

The module under test is plain Python, and so are these tests: no Django settings, no
database. The catalogue tests read ../shared/data next to the project and are skipped
without it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards.identifiers import Amendment, Identifier, IdentifierError, parse_identifier

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT.parent / "shared" / "data"
ISO_FILE = "iso_publications_en.csv"
IEC_FILE = "iec_publications_en.csv"
ETSI_FILE = "etsi_en_deliverables_en.csv"
DATA_FILES = (ISO_FILE, IEC_FILE, ETSI_FILE)

needs_data = pytest.mark.skipif(
    not DATA_DIR.is_dir(),
    reason=f"the shared data folder {DATA_DIR} is absent (it sits next to the project root)",
)

# Modest budgets keep the module well under 30 s; no deadline, because a loaded machine
# should not turn a slow example into a failure.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def amd(joiner: str, label: str, space: str, number: str, year: str) -> Amendment:
    return Amendment(joiner=joiner, label=label, space=space, number=number, year=year)


# --------------------------------------------------------------------------------------
# Worked examples
# --------------------------------------------------------------------------------------

CN, EU, INT = "CN", "EU", "INT"
MANDATORY, RECOMMENDED, GUIDANCE, VOLUNTARY = "mandatory", "recommended", "guidance", "voluntary"

# text, the parts it must be read into, the key.
EXAMPLES: list[tuple[str, dict[str, Any], str]] = [
    (
        "GB/T 6675.1-2014",
        dict(prefix="GB/T", document_type="GB/T", publishers=("SAC",), jurisdiction=CN,
             legal_force=RECOMMENDED, number="6675", part="1", part_separator=".",
             year="2014", year_separator="-"),
        "GBT6675.1:2014",
    ),
    (
        "GB／T 6675.1—2014",
        dict(prefix="GB/T", document_type="GB/T", publishers=("SAC",), jurisdiction=CN,
             legal_force=RECOMMENDED, number="6675", part="1", part_separator=".",
             year="2014", year_separator="-"),
        "GBT6675.1:2014",
    ),
    (
        "gb6675.1",
        dict(prefix="gb", prefix_space="", document_type="GB", publishers=("SAC",),
             jurisdiction=CN, legal_force=MANDATORY, number="6675", part="1",
             part_separator="."),
        "GB6675.1",
    ),
    (
        "GB 4706.1-2024",
        dict(prefix="GB", document_type="GB", jurisdiction=CN, legal_force=MANDATORY,
             number="4706", part="1", part_separator=".", year="2024", year_separator="-"),
        "GB4706.1:2024",
    ),
    (
        "QB/T 2171-2014",
        dict(prefix="QB/T", document_type="QB/T", publishers=("MIIT",), jurisdiction=CN,
             legal_force=RECOMMENDED, number="2171", year="2014", year_separator="-"),
        "QBT2171:2014",
    ),
    (
        "T/CNTAC 8-2018",
        dict(prefix="T/CNTAC", document_type="T/CNTAC", publishers=("CNTAC",),
             jurisdiction=CN, legal_force=VOLUNTARY, number="8", year="2018",
             year_separator="-"),
        "TCNTAC8:2018",
    ),
    (
        "EN 71-1:2014+A1:2018",
        dict(prefix="EN", document_type="EN", publishers=("CEN",), jurisdiction=EU,
             legal_force=VOLUNTARY, number="71", part="1", part_separator="-", year="2014",
             year_separator=":", amendments=(amd("+", "A", "", "1", "2018"),)),
        "EN71-1:2014+AMD1:2018",
    ),
    (
        "EN ISO 13485:2016",
        dict(prefix="EN ISO", document_type="EN ISO", publishers=("CEN", "ISO"),
             jurisdiction=EU, legal_force=VOLUNTARY, number="13485", year="2016",
             year_separator=":"),
        "ENISO13485:2016",
    ),
    (
        "EN IEC 62115:2020",
        dict(prefix="EN IEC", document_type="EN IEC", publishers=("CENELEC", "IEC"),
             jurisdiction=EU, legal_force=VOLUNTARY, number="62115", year="2020",
             year_separator=":"),
        "ENIEC62115:2020",
    ),
    (
        "HD 60364-4-41",
        dict(prefix="HD", document_type="HD", publishers=("CENELEC",), jurisdiction=EU,
             legal_force=VOLUNTARY, number="60364", part="4-41", part_separator="-"),
        "HD60364-4-41",
    ),
    (
        "CEN/TS 16555-1",
        dict(prefix="CEN/TS", document_type="CEN/TS", publishers=("CEN",), jurisdiction=EU,
             legal_force=VOLUNTARY, number="16555", part="1", part_separator="-"),
        "CENTS16555-1",
    ),
    (
        "ETSI EN 301 489-1 V2.2.3 (2019-11)",
        dict(prefix="ETSI EN", document_type="ETSI EN", publishers=("ETSI",), jurisdiction=EU,
             legal_force=VOLUNTARY, number="301 489", part="1", part_separator="-",
             version="2.2.3", version_date="2019-11"),
        "ETSIEN301489-1V2.2.3",
    ),
    (
        "ISO/IEC 17025:2017",
        dict(prefix="ISO/IEC", document_type="ISO/IEC", publishers=("ISO", "IEC"),
             jurisdiction=INT, legal_force=VOLUNTARY, number="17025", year="2017",
             year_separator=":"),
        "ISOIEC17025:2017",
    ),
    (
        "IEC 60335-2-23:2016+AMD1:2019 CSV",
        dict(prefix="IEC", document_type="IEC", publishers=("IEC",), jurisdiction=INT,
             legal_force=VOLUNTARY, number="60335", part="2-23", part_separator="-",
             year="2016", year_separator=":", amendments=(amd("+", "AMD", "", "1", "2019"),),
             suffix="CSV"),
        "IEC60335-2-23:2016+AMD1:2019CSV",
    ),
    (
        "ISO 8124-1:2018/Amd 1:2020",
        dict(prefix="ISO", document_type="ISO", publishers=("ISO",), jurisdiction=INT,
             legal_force=VOLUNTARY, number="8124", part="1", part_separator="-", year="2018",
             year_separator=":", amendments=(amd("/", "Amd", " ", "1", "2020"),)),
        "ISO8124-1:2018/AMD1:2020",
    ),
    (
        "EN 60335-1:2012+A11:2014+A13:2017+A1:2019+A2:2019+A14:2019+A15:2021",
        dict(prefix="EN", document_type="EN", publishers=("CENELEC",), jurisdiction=EU,
             number="60335", part="1", year="2012",
             amendments=(amd("+", "A", "", "11", "2014"), amd("+", "A", "", "13", "2017"),
                         amd("+", "A", "", "1", "2019"), amd("+", "A", "", "2", "2019"),
                         amd("+", "A", "", "14", "2019"), amd("+", "A", "", "15", "2021"))),
        "EN60335-1:2012+AMD11:2014+AMD13:2017+AMD1:2019+AMD2:2019+AMD14:2019+AMD15:2021",
    ),
    (
        "EN ISO 13485:2016/AC:2018",
        dict(prefix="EN ISO", document_type="EN ISO", jurisdiction=EU, number="13485",
             year="2016", amendments=(amd("/", "AC", "", "", "2018"),)),
        "ENISO13485:2016/COR:2018",
    ),
    (
        "YY 0505-2012",
        dict(prefix="YY", document_type="YY", publishers=("NMPA",), jurisdiction=CN,
             legal_force=MANDATORY, number="0505", year="2012", year_separator="-"),
        "YY0505:2012",
    ),
    (
        "GB 2423.1-89",
        dict(prefix="GB", document_type="GB", jurisdiction=CN, legal_force=MANDATORY,
             number="2423", part="1", part_separator=".", year="89", year_separator="-"),
        # The key carries the four-digit year: "-89" and "-1989" are one document.
        "GB2423.1:1989",
    ),
]  # fmt: skip

# Shapes from the ISO, IEC and ETSI catalogues that are easy to get wrong.
ODDITIES: list[tuple[str, dict[str, Any], str]] = [
    ("ISO 105-E01:1987", dict(number="105", part="E01"), "ISO105-E01:1987"),
    ("IEC 60061-1C:1971", dict(number="60061", part="1C"), "IEC60061-1C:1971"),
    ("IEC 60061A:1965", dict(number="60061A", part=""), "IEC60061A:1965"),
    ("IEC 60695-2-1/0:1994", dict(number="60695", part="2-1/0"), "IEC60695-2-1/0:1994"),
    ("IEC 60285-/1:1989", dict(number="60285", part="/1", part_separator="-"),
     "IEC60285-/1:1989"),
    ("IEC 60050-411/AMD2:2021",
     dict(part="411", year="", year_separator="", amendments=(amd("/", "AMD", "", "2", "2021"),)),
     "IEC60050-411/AMD2:2021"),
    ("ISO/IEC 10030/AMD2:1992",
     dict(number="10030", year="", amendments=(amd("/", "AMD", "", "2", "1992"),)),
     "ISOIEC10030/AMD2:1992"),
    ("ISO 3758:1991/Suppl:1993", dict(amendments=(amd("/", "Suppl", "", "", "1993"),)),
     "ISO3758:1991/SUPPL:1993"),
    ("ISO/IEC Guide 98-3:2008/Suppl 1:2008",
     dict(prefix="ISO/IEC Guide", document_type="ISO/IEC Guide", publishers=("ISO", "IEC"),
          number="98", part="3", amendments=(amd("/", "Suppl", " ", "1", "2008"),)),
     "ISOIECGUIDE98-3:2008/SUPPL1:2008"),
    ("ISO 1101:1983/Ext 1:1983", dict(amendments=(amd("/", "Ext", " ", "1", "1983"),)),
     "ISO1101:1983/EXT1:1983"),
    ("ISO 1180:1983/Add 1:1985", dict(amendments=(amd("/", "Add", " ", "1", "1985"),)),
     "ISO1180:1983/ADD1:1985"),
    ("IEC 61360-C00168:", dict(part="C00168", year="", year_separator=":"),
     "IEC61360-C00168"),
    ("IEC 60061:2025 DB", dict(number="60061", year="2025", suffix="DB"), "IEC60061:2025DB"),
    ("ISO/IEC SYMBOL:2025 DB", dict(number="SYMBOL", year="2025", suffix="DB"),
     "ISOIECSYMBOL:2025DB"),
    ("IEC HANDB1:1983", dict(number="HANDB1", year="1983"), "IECHANDB1:1983"),
    ("IEC CENT-CHAL:2006", dict(number="CENT", part="CHAL"), "IECCENT-CHAL:2006"),
    ("IEC White Paper IoT:WSN:2014",
     dict(prefix="IEC White Paper", document_type="IEC White Paper", number="IoT:WSN",
          year="2014", year_separator=":"),
     "IECWHITEPAPERIOT:WSN:2014"),
    ("IEC Technology Report Bio-digital convergence:2024",
     dict(document_type="IEC Technology Report", number="Bio-digital convergence",
          year="2024"),
     "IECTECHNOLOGYREPORTBIO-DIGITALCONVERGENCE:2024"),
    ("IEC Technology and Market Outlook Paper MSWtE:2023",
     dict(document_type="IEC Technology and Market Outlook Paper", number="MSWtE"),
     "IECTECHNOLOGYANDMARKETOUTLOOKPAPERMSWTE:2023"),
    ("ISO/IEC/IEEE 8802-1Q:2016/Amd 1:2017",
     dict(publishers=("ISO", "IEC", "IEEE"), part="1Q",
          amendments=(amd("/", "Amd", " ", "1", "2017"),)),
     "ISOIECIEEE8802-1Q:2016/AMD1:2017"),
    ("IEC 60068-2-2a:1976", dict(part="2-2a"), "IEC60068-2-2A:1976"),
    ("IEC/PWI 61966-2-1/Amd 1:2003",
     dict(prefix="IEC/PWI", document_type="IEC PWI", part="2-1",
          amendments=(amd("/", "Amd", " ", "1", "2003"),)),
     "IECPWI61966-2-1/AMD1:2003"),
    ("ISO TR 12802:2010", dict(prefix="ISO TR", document_type="ISO/TR"), "ISOTR12802:2010"),
    ("IEC/TR 60828:1988", dict(prefix="IEC/TR", document_type="IEC TR"), "IECTR60828:1988"),
    ("ISO/R 1016:1969", dict(document_type="ISO/R"), "ISOR1016:1969"),
    ("ISO/HL7 10781:2009", dict(publishers=("ISO", "HL7"), number="10781"),
     "ISOHL710781:2009"),
    ("ISO/SAE PAS 22736:2021", dict(document_type="ISO/SAE PAS"), "ISOSAEPAS22736:2021"),
    ("CISPR 16-1-1:2003/AMD1:2005", dict(document_type="CISPR", publishers=("IEC",)),
     "CISPR16-1-1:2003/AMD1:2005"),
    ("IEC 60417-C00535", dict(part="C00535", year=""), "IEC60417-C00535"),
    ("ISO/IEC Guide 98-3-SP1:2008", dict(part="3-SP1"), "ISOIECGUIDE98-3-SP1:2008"),
    ("ETSI EN 300 019-1-0 V2.1.2 (2003-09)", dict(number="300 019", part="1-0"),
     "ETSIEN300019-1-0V2.1.2"),
]  # fmt: skip

# Other prefixes the grammar promises (Chinese and European ones the catalogues lack).
MORE_PREFIXES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("GB/Z 17625.6-2003", "GB/Z", CN, GUIDANCE, ("SAC",)),
    ("GBT 6675", "GB/T", CN, RECOMMENDED, ("SAC",)),
    ("FZ/T 81001-2016", "FZ/T", CN, RECOMMENDED, ("MIIT",)),
    ("YY/T 0287-2017", "YY/T", CN, RECOMMENDED, ("NMPA",)),
    ("SN/T 1649-2005", "SN/T", CN, RECOMMENDED, ("GACC",)),
    ("HG/T 3262-2002", "HG/T", CN, RECOMMENDED, ("MIIT",)),
    ("JB/T 10000-2018", "JB/T", CN, RECOMMENDED, ("MIIT",)),
    ("GA 1800.1-2021", "GA", CN, MANDATORY, ("MPS",)),
    ("DB11/T 1234-2015", "DB11/T", CN, RECOMMENDED, ("DB11",)),
    ("DB31 405-2021", "DB31", CN, MANDATORY, ("DB31",)),
    ("prEN 71-1", "prEN", EU, VOLUNTARY, ("CEN",)),
    ("ES 59008", "ES", EU, VOLUNTARY, ("CENELEC",)),
    ("EN ISO/IEC 17025:2017", "EN ISO/IEC", EU, VOLUNTARY, ("CEN", "CENELEC", "ISO", "IEC")),
    ("CEN/TR 15371-1:2009", "CEN/TR", EU, VOLUNTARY, ("CEN",)),
    ("CEN ISO/TS 16949:2009", "CEN ISO/TS", EU, VOLUNTARY, ("CEN", "ISO")),
    ("CLC/TS 50131-7:2010", "CLC/TS", EU, VOLUNTARY, ("CENELEC",)),
    ("CLC/TR 50600-99-1:2019", "CLC/TR", EU, VOLUNTARY, ("CENELEC",)),
    ("CWA 17145-1:2017", "CWA", EU, VOLUNTARY, ("CEN",)),
    ("ETSI TS 102 165-1 V5.2.3", "ETSI TS", EU, VOLUNTARY, ("ETSI",)),
    ("ETSI EG 202 396-1", "ETSI EG", EU, VOLUNTARY, ("ETSI",)),
    ("EN 301 489-17 V3.2.4", "EN", EU, VOLUNTARY, ("ETSI",)),
    ("IWA 11:2012", "IWA", INT, VOLUNTARY, ("ISO",)),
    ("IEC TS 62443-1-1:2009", "IEC TS", INT, VOLUNTARY, ("IEC",)),
    ("IEC SRD 62559-4:2020", "IEC SRD", INT, VOLUNTARY, ("IEC",)),
    ("IEC GUIDE 112:2017", "IEC Guide", INT, VOLUNTARY, ("IEC",)),
    ("ISO/ASTM 52900:2021", "ISO/ASTM", INT, VOLUNTARY, ("ISO", "ASTM")),
    ("ISO/CIE 11664-1:2019", "ISO/CIE", INT, VOLUNTARY, ("ISO", "CIE")),
]


@pytest.mark.parametrize(("text", "parts", "key"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_required_examples(text: str, parts: dict[str, Any], key: str) -> None:
    parsed = parse_identifier(text)
    assert {name: getattr(parsed, name) for name in parts} == parts
    assert parsed.key == key
    # Full-width and dash spellings print back normalised; everything else exactly.
    assert str(parsed) == text.replace("／", "/").replace("—", "-")


@pytest.mark.parametrize(("text", "parts", "key"), ODDITIES, ids=[e[0] for e in ODDITIES])
def test_catalogue_oddities(text: str, parts: dict[str, Any], key: str) -> None:
    parsed = parse_identifier(text)
    assert {name: getattr(parsed, name) for name in parts} == parts
    assert parsed.key == key
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "document_type", "jurisdiction", "legal_force", "publishers"),
    MORE_PREFIXES,
    ids=[e[0] for e in MORE_PREFIXES],
)
def test_classification_of_prefixes(
    text: str, document_type: str, jurisdiction: str, legal_force: str, publishers: tuple
) -> None:
    parsed = parse_identifier(text)
    assert (parsed.document_type, parsed.jurisdiction, parsed.legal_force) == (
        document_type,
        jurisdiction,
        legal_force,
    )
    assert parsed.publishers == publishers
    assert str(parsed) == text


def test_amendment_kinds() -> None:
    labels = {"Amd": "AMD", "AMD": "AMD", "A": "AMD", "amd": "AMD", "Add": "ADD"}
    labels |= {"Suppl": "SUPPL", "Ext": "EXT", "AC": "COR", "Cor": "COR", "COR": "COR"}
    for label, kind in labels.items():
        assert amd("/", label, "", "1", "").kind == kind


@pytest.mark.parametrize(
    "spellings",
    [
        (
            "GB/T 6675.1-2014",
            "GB／T 6675.1—2014",
            "gbt 6675.1-2014",
            "gbt6675.1-2014",
            "GBT 6675.1 - 2014",
            "ＧＢ／Ｔ　６６７５．１－２０１４",
            "GB/T 6675.1‑2014",
        ),
        ("GB 6675.1", "gb6675.1", "  GB\t6675.1 "),
        (
            "ISO 8124-1:2018/Amd 1:2020",
            "ISO 8124-1:2018/AMD1:2020",
            "iso 8124-1:2018/amd 1:2020",
            "ISO 8124-1:2018 / Amd 1:2020",
        ),
        ("ISO TR 12802:2010", "ISO/TR 12802:2010", "iso/tr 12802:2010"),
        ("IEC/TR 60828:1988", "IEC TR 60828:1988"),
        (
            "EN 71-1:2014+A1:2018",
            "en71-1:2014+a1:2018",
            "EN 71-1:2014 + A1:2018",
            "EN 71-1:2014+Amd 1:2018",
        ),
        ("EN ISO 13485:2016/AC:2018", "EN ISO 13485:2016/Cor:2018", "EN/ISO 13485:2016/AC:2018"),
        (
            "ETSI EN 301 489-1 V2.2.3 (2019-11)",
            "ETSI EN 301489-1 V2.2.3 (2019-11)",
            "etsi en 301 489-1 v2.2.3 (2019-11)",
        ),
        ("GB 2423.1-89", "GB 2423.1-1989"),
        ("IEC 61360-C00168:", "IEC 61360-C00168"),
        ("prEN 71-1", "PREN 71-1", "pren71-1"),
    ],
    ids=lambda spellings: spellings[0],
)
def test_spellings_of_one_document_share_a_key(spellings: tuple[str, ...]) -> None:
    parsed = [parse_identifier(s) for s in spellings]
    assert {p.key for p in parsed} == {parsed[0].key}
    assert {p.canonical for p in parsed} == {parsed[0].canonical}
    assert {p.slug for p in parsed} == {parsed[0].slug}


def test_etsi_version_date_is_printed_but_not_keyed() -> None:
    # The version identifies the deliverable; the month only says when it appeared.
    dated = parse_identifier("ETSI EN 301 489-1 V2.2.3 (2019-11)")
    undated = parse_identifier("ETSI EN 301 489-1 V2.2.3")
    assert dated.key == undated.key == "ETSIEN301489-1V2.2.3"
    assert dated.slug == undated.slug
    assert dated.canonical == "ETSI EN 301 489-1 V2.2.3 (2019-11)"
    assert undated.canonical == "ETSI EN 301 489-1 V2.2.3"


@pytest.mark.parametrize(
    "different",
    [
        ("EN 71-1:2014+A1:2018", "EN 71-1:2014/A1:2018", "EN 71-1:2014"),
        ("GB/T 6675.1-2014", "GB 6675.1-2014", "GB/Z 6675.1-2014", "GB/T 6675.1"),
        ("ISO 8124-1:2018", "ISO/TR 8124-1:2018", "ISO/IEC 8124-1:2018", "ISO 8124-1"),
        (
            "IEC 60335-2-23:2016+AMD1:2019 CSV",
            "IEC 60335-2-23:2016+AMD1:2019",
            "IEC 60335-2-23:2016/AMD1:2019",
        ),
        ("ISO 3758:1991/Suppl:1993", "ISO 3758:1991/Suppl 1:1993"),
        ("ETSI EN 301 489-1 V2.2.3", "ETSI EN 301 489-1 V2.2.1", "EN 301 489-1 V2.2.3"),
        ("IEC 60050-411:1996/AMD2:2021", "IEC 60050-411/AMD2:2021"),
    ],
    ids=lambda different: different[0],
)
def test_different_documents_have_different_keys_and_slugs(different: tuple[str, ...]) -> None:
    parsed = [parse_identifier(s) for s in different]
    assert len({p.key for p in parsed}) == len(different)
    assert len({p.slug for p in parsed}) == len(different)


@pytest.mark.parametrize(
    ("text", "canonical", "slug", "family_key"),
    [
        ("gb6675.1", "GB 6675.1", "gb-6675-1", "GB6675.1"),
        ("GB／T 6675.1—2014", "GB/T 6675.1-2014", "gb-t-6675-1-2014", "GBT6675.1"),
        ("gbt 6675.1-2014", "GB/T 6675.1-2014", "gb-t-6675-1-2014", "GBT6675.1"),
        ("GB 2423.1-89", "GB 2423.1-1989", "gb-2423-1-1989", "GB2423.1"),
        ("t/cntac 8-2018", "T/CNTAC 8-2018", "t-cntac-8-2018", "TCNTAC8"),
        ("EN 71-1:2014+A1:2018", "EN 71-1:2014+A1:2018", "en-71-1-2014-plus-a1-2018", "EN71-1"),
        ("en 71-1:2014/amd 1:2018", "EN 71-1:2014/A1:2018", "en-71-1-2014-a1-2018", "EN71-1"),
        (
            "iso 8124-1:2018/AMD1:2020",
            "ISO 8124-1:2018/Amd 1:2020",
            "iso-8124-1-2018-amd-1-2020",
            "ISO8124-1",
        ),
        (
            "ISO/IEC 10021-1:1990/Amd 1:1994",
            "ISO/IEC 10021-1:1990/Amd 1:1994",
            "iso-iec-10021-1-1990-amd-1-1994",
            "ISOIEC10021-1",
        ),
        (
            "IEC 60050-411:1996/Amd 2:2021",
            "IEC 60050-411:1996/AMD2:2021",
            "iec-60050-411-1996-amd2-2021",
            "IEC60050-411",
        ),
        ("ISO TR 12802:2010", "ISO/TR 12802:2010", "iso-tr-12802-2010", "ISOTR12802"),
        ("IEC/TR 62366-2:2016", "IEC TR 62366-2:2016", "iec-tr-62366-2-2016", "IECTR62366-2"),
        (
            "ETSI EN 301489-1 V2.2.3 (2019-11)",
            "ETSI EN 301 489-1 V2.2.3 (2019-11)",
            "etsi-en-301489-1-v2-2-3",
            "ETSIEN301489-1",
        ),
        (
            "IEC 60335-2-23:2016+amd1:2019 csv",
            "IEC 60335-2-23:2016+AMD1:2019 CSV",
            "iec-60335-2-23-2016-plus-amd1-2019-csv",
            "IEC60335-2-23",
        ),
        ("IEC 61360-C00168:", "IEC 61360-C00168", "iec-61360-c00168", "IEC61360-C00168"),
        (
            "IEC White Paper IoT:WSN:2014",
            "IEC White Paper IoT:WSN:2014",
            "iec-white-paper-iot-wsn-2014",
            "IECWHITEPAPERIOT:WSN",
        ),
    ],
)
def test_canonical_slug_and_family_key(
    text: str, canonical: str, slug: str, family_key: str
) -> None:
    parsed = parse_identifier(text)
    assert parsed.canonical == canonical
    assert parsed.slug == slug
    assert parsed.family_key == family_key
    assert parse_identifier(canonical).key == parsed.key


@pytest.mark.parametrize(
    ("text", "full_year"),
    [("GB 2423.1-89", 1989), ("GB/T 1234-05", 2005), ("GB/T 1234-50", 1950),
     ("GB/T 1234-49", 2049), ("GB/T 6675.1-2014", 2014), ("EN 71-1:2014", 2014),
     ("gb6675.1", None), ("IEC 61360-C00168:", None)],
)  # fmt: skip
def test_full_year(text: str, full_year: int | None) -> None:
    assert parse_identifier(text).full_year == full_year


@pytest.mark.parametrize(
    ("text", "year"),
    [("EN 10333:2024", 2024), ("EN 71-1:2014+A1:2018", 2018),
     ("EN ISO 13485:2016/A11:2021", 2021), ("GB 2423.1-89", 1989), ("gb6675.1", None)],
)  # fmt: skip
def test_edition_year_is_that_of_the_last_amendment(text: str, year: int | None) -> None:
    assert parse_identifier(text).edition_year == year


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("", ""),
        ("   \t\n", ""),
        ("hello 123", "hello"),
        ("XYZABC 12", "XYZABC"),
        ("XYZ12", "XYZ"),
        ("ISOX 12", "ISOX"),
        ("GB/T", "GB/T"),
        ("gb/t ", "gb/t"),
        ("ISO/IEC TR", "ISO/IEC TR"),
        ("GB/T abc", "abc"),
        ("GB/T 6675.1-20x4", "20x4"),
        ("GB/T 6675.1-123", "123"),
        ("EN 71-1:14x", "14x"),
        ("EN 71-1:14", "14"),
        ("ISO 8124-1:2018/Amd 1:20x0", "20x0"),
        ("EN 71-1:2014 ???", "???"),
        ("EN 71-1:2014+A1:2018 extra", "extra"),
        ("GB 4706.1-2005/XG1-2006", "/XG1-2006"),
        ("IEC 60417 DB", "DB"),
        ("ISO hello", "hello"),
        ("IEC Technology Report", "IEC Technology Report"),
    ],
)
def test_errors_name_the_part_that_could_not_be_read(text: str, part: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_identifier(text)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.part == part
    assert error.text == text
    if part:
        assert f"“{part}”" in str(error)


def test_error_message_shortens_very_long_fragments() -> None:
    text = "EN 71-1:2014 " + "x" * 2000
    with pytest.raises(IdentifierError) as caught:
        parse_identifier(text)
    assert caught.value.part == "x" * 2000
    assert len(str(caught.value)) < 300


# --------------------------------------------------------------------------------------
# The published catalogues
# --------------------------------------------------------------------------------------


@cache
def _rows(name: str) -> tuple[dict[str, str], ...]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@cache
def _parsed(name: str) -> tuple[tuple[dict[str, str], Identifier], ...]:
    return tuple((row, parse_identifier(row["docid"])) for row in _rows(name))


# Docids that are two spellings of one document and so rightly share a key: the IEC
# catalogue lists some Common Data Dictionary entries twice, once with a stray ":" where
# the year would be (same title, same edition).
GENUINE_DUPLICATES = {
    ISO_FILE: {},
    IEC_FILE: {
        f"IEC61360-{code}": {f"IEC 61360-{code}", f"IEC 61360-{code}:"}
        for code in ("C00168", "C00169", "C00172", "C00174", "C00178")
    },
    ETSI_FILE: {},
}


@needs_data
@pytest.mark.parametrize("name", DATA_FILES)
def test_every_catalogue_docid_parses_and_prints_back_exactly(name: str) -> None:
    failures = []
    for row in _rows(name):
        docid = row["docid"]
        try:
            printed = str(parse_identifier(docid))
        except IdentifierError as exc:
            failures.append(f"{docid}: {exc}")
            continue
        if printed != docid:
            failures.append(f"{docid} printed as {printed}")
    assert not failures, f"{len(failures)} docids fail, e.g. {failures[:20]}"
    assert len(_rows(name)) > 2000


@needs_data
@pytest.mark.parametrize("name", DATA_FILES)
def test_catalogue_keys_are_unique_but_for_genuine_duplicates(name: str) -> None:
    by_key: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row, parsed in _parsed(name):
        by_key[parsed.key].append(row)
    shared = {key: {row["docid"] for row in rows} for key, rows in by_key.items() if len(rows) > 1}
    assert shared == GENUINE_DUPLICATES[name]
    for rows in by_key.values():
        # Genuine: the same title and edition under both spellings.
        assert len({(row["title_en"], row.get("edition")) for row in rows}) == 1


@needs_data
def test_catalogue_slugs_differ_whenever_keys_differ_and_canonical_forms_reparse() -> None:
    keys_of_slug: dict[str, set[str]] = defaultdict(set)
    canonicals_of_key: dict[str, set[str]] = defaultdict(set)
    for name in DATA_FILES:
        for _row, parsed in _parsed(name):
            keys_of_slug[parsed.slug].add(parsed.key)
            canonicals_of_key[parsed.key].add(parsed.canonical)
            assert len(parsed.key) <= 150 and len(parsed.slug) <= 160  # the model's columns
    assert [keys for keys in keys_of_slug.values() if len(keys) > 1] == []
    # ISO and IEC spell shared documents differently ("/Amd 1:1994" and "/AMD1:1994");
    # each key still has one canonical form, and that form reads back to the same key.
    assert [c for c in canonicals_of_key.values() if len(c) > 1] == []
    for key, (canonical,) in canonicals_of_key.items():
        assert parse_identifier(canonical).key == key


@needs_data
def test_iso_and_iec_spellings_of_joint_documents_meet() -> None:
    iso = {parsed.key for _row, parsed in _parsed(ISO_FILE)}
    iec = {parsed.key for _row, parsed in _parsed(IEC_FILE)}
    assert "ISOIEC10021-1:1990/AMD1:1994" in iso & iec
    assert "ISOTR12802:2010" in iso & iec  # "ISO/TR 12802:2010" and "ISO TR 12802:2010"


@needs_data
def test_etsi_parts_match_the_catalogue_columns() -> None:
    mismatches = []
    for row, parsed in _parsed(ETSI_FILE):
        en_number = f"EN {parsed.number}" + (f"-{parsed.part}" if parsed.part else "")
        found = (en_number, parsed.version, parsed.version_date, parsed.document_type)
        expected = (row["en_number"], row["version"], row["published"], "ETSI EN")
        if found != expected:
            mismatches.append((row["docid"], found, expected))
    assert not mismatches, mismatches[:20]


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

# (printed prefix, canonical document type) for generated identifiers.
CN_PREFIXES = [
    ("GB", "GB"), ("GB/T", "GB/T"), ("GB/Z", "GB/Z"), ("QB/T", "QB/T"), ("FZ/T", "FZ/T"),
    ("YY", "YY"), ("YY/T", "YY/T"), ("SN/T", "SN/T"), ("HG/T", "HG/T"), ("JB/T", "JB/T"),
    ("GA", "GA"), ("DB11/T", "DB11/T"), ("DB44/T", "DB44/T"), ("T/CNTAC", "T/CNTAC"),
    ("T/CAS", "T/CAS"), ("JGJ/T", "JGJ/T"),
]  # fmt: skip
EU_INT_PREFIXES = [
    ("EN", "EN"), ("prEN", "prEN"), ("HD", "HD"), ("EN ISO", "EN ISO"), ("EN IEC", "EN IEC"),
    ("EN ISO/IEC", "EN ISO/IEC"), ("CEN/TS", "CEN/TS"), ("CEN/TR", "CEN/TR"),
    ("CEN ISO/TS", "CEN ISO/TS"), ("CLC/TS", "CLC/TS"), ("CLC/TR", "CLC/TR"), ("CWA", "CWA"),
    ("ISO", "ISO"), ("IEC", "IEC"), ("CISPR", "CISPR"), ("IWA", "IWA"), ("ISO/IEC", "ISO/IEC"),
    ("ISO/IEC/IEEE", "ISO/IEC/IEEE"), ("ISO/TS", "ISO/TS"), ("ISO TR", "ISO/TR"),
    ("ISO/IEC TR", "ISO/IEC TR"), ("IEC TR", "IEC TR"), ("IEC/TS", "IEC TS"),
    ("IEC PAS", "IEC PAS"), ("ISO/ASTM", "ISO/ASTM"), ("ISO Guide", "ISO Guide"),
    ("IEC GUIDE", "IEC Guide"), ("ISO/R", "ISO/R"),
]  # fmt: skip
ETSI_PREFIXES = [("ETSI EN", "ETSI EN"), ("ETSI TS", "ETSI TS"), ("ETSI TR", "ETSI TR")]
LABELS = ["Amd", "AMD", "A", "AC", "Cor", "COR", "Add", "Suppl", "Ext"]

years4 = st.integers(1950, 2030).map(str)


def optional(pattern: str) -> st.SearchStrategy[str]:
    """The empty string or a string matching `pattern`."""
    return st.one_of(st.just(""), st.from_regex(pattern, fullmatch=True))


@st.composite
def chinese_parts(draw: st.DrawFn) -> dict[str, Any]:
    prefix, document_type = draw(st.sampled_from(CN_PREFIXES))
    part = draw(optional(r"[1-9][0-9]?(\.[1-9][0-9]?)?"))
    year = draw(st.one_of(optional(r"[0-9]{2}"), years4))
    return dict(
        prefix=prefix,
        document_type=document_type,
        number=draw(st.from_regex(r"[0-9]{1,5}", fullmatch=True)),
        part=part,
        part_separator="." if part else "",
        year=year,
        year_separator="-" if year else "",
        amendments=(),
        suffix="",
        version="",
        version_date="",
    )


@st.composite
def amendments(draw: st.DrawFn) -> Amendment:
    number = draw(optional(r"[1-9][0-9]?"))
    return Amendment(
        joiner=draw(st.sampled_from("/+")),
        label=draw(st.sampled_from(LABELS)),
        space=draw(st.sampled_from(["", " "])) if number else "",
        number=number,
        year=draw(st.one_of(st.just(""), years4)),
    )


@st.composite
def european_international_parts(draw: st.DrawFn) -> dict[str, Any]:
    prefix, document_type = draw(st.sampled_from(EU_INT_PREFIXES))
    part = draw(optional(r"[1-9][0-9]{0,2}(-[1-9][0-9]{0,2}){0,2}"))
    year = draw(st.one_of(st.just(""), years4))
    amended = tuple(draw(st.lists(amendments(), max_size=3)))
    dated = amended[-1].year if amended else year
    return dict(
        prefix=prefix,
        document_type=document_type,
        number=draw(st.from_regex(r"[1-9][0-9]{0,5}", fullmatch=True)),
        part=part,
        part_separator="-" if part else "",
        year=year,
        year_separator=":" if year else "",
        amendments=amended,
        suffix=draw(st.sampled_from(["", "CSV", "DB"])) if dated else "",
        version="",
        version_date="",
    )


@st.composite
def etsi_parts(draw: st.DrawFn) -> dict[str, Any]:
    prefix, document_type = draw(st.sampled_from(ETSI_PREFIXES))
    part = draw(optional(r"[1-9][0-9]?(-[0-9]{1,2})?"))
    version = draw(st.from_regex(r"[1-9]\.[0-9]{1,2}\.[0-9]", fullmatch=True))
    return dict(
        prefix=prefix,
        document_type=document_type,
        number=draw(st.from_regex(r"3[0-9]{2} [0-9]{3}", fullmatch=True)),
        part=part,
        part_separator="-" if part else "",
        year="",
        year_separator="",
        amendments=(),
        suffix="",
        version=version,
        version_date=draw(optional(r"(199|20[0-2])[0-9]-(0[1-9]|1[0-2])")),
    )


any_parts = st.one_of(chinese_parts(), european_international_parts(), etsi_parts())


def spell(
    parts: dict[str, Any], *, glue: bool = False, dash: str = "-", spaces: bool = False
) -> str:
    """Print generated parts; the options give the spelling variants of test 2."""
    gap = "  " if spaces else " "
    number = parts["number"].replace(" ", gap)
    text = f"{parts['prefix'].replace(' ', gap)}{'' if glue else gap}{number}"
    if parts["part"]:
        text += parts["part_separator"] + parts["part"]
    if parts["year"]:
        separator = dash if parts["year_separator"] == "-" else parts["year_separator"]
        text += f" {separator} " if spaces and separator != ":" else separator
        text += parts["year"]
    for amendment in parts["amendments"]:
        joiner = f" {amendment.joiner} " if spaces else amendment.joiner
        year = f":{amendment.year}" if amendment.year else ""
        text += f"{joiner}{amendment.label}{amendment.space}{amendment.number}{year}"
    if parts["suffix"]:
        text += f"{gap}{parts['suffix']}"
    if parts["version"]:
        text += f"{gap}V{parts['version']}"
    if parts["version_date"]:
        text += f"{gap}({parts['version_date']})"
    return f"\t {text} \n" if spaces else text


FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})
SLASH_AND_DIGITS = str.maketrans({"/": "／", **{str(d): chr(0xFF10 + d) for d in range(10)}})


@PROPERTY
@given(any_parts)
def test_generated_identifiers_print_and_reparse_to_the_same_parts(parts: dict) -> None:
    text = spell(parts)
    parsed = parse_identifier(text)
    assert {name: getattr(parsed, name) for name in parts} == parts
    assert str(parsed) == text
    assert parse_identifier(str(parsed)) == parsed


@PROPERTY
@given(
    any_parts,
    st.booleans(),
    st.booleans(),
    st.sampled_from(["-", "—", "–", "－"]),
    st.sampled_from(["as is", "lower", "full width", "slash and digits"]),
)
def test_spelling_variants_share_the_key(
    parts: dict, glue: bool, spaces: bool, dash: str, case: str
) -> None:
    original = parse_identifier(spell(parts))
    variant = spell(parts, glue=glue, dash=dash, spaces=spaces)
    if case == "lower":
        variant = variant.lower()
    elif case == "full width":
        variant = variant.translate(FULL_WIDTH)
    elif case == "slash and digits":
        variant = variant.translate(SLASH_AND_DIGITS)
    parsed = parse_identifier(variant)
    assert parsed.key == original.key
    assert parsed.family_key == original.family_key
    assert parsed.canonical == original.canonical
    assert parsed.document_type == original.document_type == parts["document_type"]


@PROPERTY
@given(any_parts)
def test_canonical_form_reparses_to_the_same_key(parts: dict) -> None:
    parsed = parse_identifier(spell(parts))
    again = parse_identifier(parsed.canonical)
    assert again.key == parsed.key
    assert again.canonical == parsed.canonical
    assert again.slug == parsed.slug


@settings(max_examples=60, deadline=None)
@given(st.lists(any_parts, min_size=2, max_size=25))
def test_generated_slugs_differ_whenever_keys_differ(batch: list[dict]) -> None:
    keys_of_slug: dict[str, set[str]] = defaultdict(set)
    for parts in batch:
        parsed = parse_identifier(spell(parts))
        keys_of_slug[parsed.slug].add(parsed.key)
    assert all(len(keys) == 1 for keys in keys_of_slug.values())


def _parses_or_refuses(text: str) -> None:
    try:
        parsed = parse_identifier(text)
    except IdentifierError as exc:
        assert exc.text == text
        return
    # Whatever was accepted has all its derived forms.
    assert parsed.key and parsed.slug and str(parsed) and parsed.canonical
    assert parse_identifier(str(parsed)).key == parsed.key


@PROPERTY
@given(st.text())
def test_arbitrary_text_parses_or_raises_identifier_error(text: str) -> None:
    _parses_or_refuses(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=2000, max_size=2000))
def test_long_arbitrary_text_parses_or_raises_identifier_error(text: str) -> None:
    _parses_or_refuses(text)


# Text made of the characters identifiers are made of reaches deep into the grammar.
identifier_alphabet = st.sampled_from(
    list("GBTENISOCDAVZ/-.:+() 0123456789") + ["—", "／", "Amd", "AMD", "CSV", "\x00", "\u3000"]
)


@PROPERTY
@given(st.lists(identifier_alphabet, max_size=40).map("".join))
def test_identifier_like_text_parses_or_raises_identifier_error(text: str) -> None:
    _parses_or_refuses(text)


@PROPERTY
@given(any_parts, st.text(min_size=1, max_size=5))
def test_garbage_after_a_valid_identifier_is_refused_or_read(parts: dict, tail: str) -> None:
    _parses_or_refuses(spell(parts) + " " + tail)
