"""The reference tables the product ships under data/: ICS, CCS and HS 2022 codes,
the ten sectors and the codes that define them, and curators' translations of the
code titles. Each loader is idempotent and returns the number of rows it read; the
`load_reference_data` command runs them in order (see REFERENCE_FILES)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from sectors.models import CcsCode, HsCode, IcsCode, Sector

DATA_DIR = Path(settings.BASE_DIR) / "data"


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _upsert(model: type[models.Model], rows: list[dict], fields: list[str]) -> int:
    """Insert or update by code, then link parents (which may come later in the file)."""
    parents = {row["code"]: row.pop("parent_code") for row in rows}
    model.objects.bulk_create(
        [model(**row) for row in rows],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=fields,
        batch_size=1000,
    )
    ids = dict(model.objects.values_list("code", "pk"))
    changed = []
    for code, pk in ids.items():
        parent_code = parents.get(code)
        if parent_code is not None:
            changed.append(model(pk=pk, parent_id=ids.get(parent_code)))
    model.objects.bulk_update(changed, ["parent"], batch_size=1000)
    return len(rows)


@transaction.atomic
def load_ics(path: Path) -> int:
    rows = [
        {
            "code": row["code"],
            "level": row["level"],
            "parent_code": row["parent_code"],
            "title_en": row["title_en"],
            "notes": row["notes_en"],
        }
        for row in _rows(path)
    ]
    return _upsert(IcsCode, rows, ["level", "title_en", "notes"])


@transaction.atomic
def load_ccs(path: Path) -> int:
    rows = [
        {
            "code": row["code"],
            "level": row["level"],
            "parent_code": row["parent_code"],
            "name_zh_hans": row["name_zh"],
            "notes": row["notes_zh"],
        }
        for row in _rows(path)
    ]
    return _upsert(CcsCode, rows, ["level", "name_zh_hans", "notes"])


@transaction.atomic
def load_hs(path: Path) -> int:
    rows = [
        {
            "code": row["hscode"],
            "level": int(row["level"]),
            "section": row["section"],
            "parent_code": "" if row["parent"] == "TOTAL" else row["parent"],
            "description_en": row["description"],
        }
        for row in _rows(path)
        if row["hscode"] != "TOTAL"
    ]
    return _upsert(HsCode, rows, ["level", "section", "description_en"])


@transaction.atomic
def load_sectors(path: Path) -> int:
    count = 0
    for row in _rows(path):
        slug = row.pop("slug")
        Sector.objects.update_or_create(slug=slug, defaults=row)
        count += 1
    return count


@transaction.atomic
def load_sector_codes(path: Path) -> int:
    """The ICS, CCS and HS codes that define each sector (a code covers its children)."""
    fields = {
        "ics": (IcsCode, "ics_codes"),
        "ccs": (CcsCode, "ccs_codes"),
        "hs": (HsCode, "hs_codes"),
    }
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    count = 0
    for row in _rows(path):
        model, attribute = fields[row["scheme"]]
        codes = [code for code in row["codes"].split(";") if code]
        found = list(model.objects.filter(code__in=codes))
        missing = set(codes) - {obj.code for obj in found}
        if missing:
            raise ValueError(f"{path.name}: unknown {row['scheme']} codes {sorted(missing)}")
        getattr(sectors[row["sector"]], attribute).set(found)
        count += len(found)
    return count


# Curator translations of the reference tables, by file: (model, text field, source field).
TRANSLATION_FILES = {
    "ics_zh_hans.csv": (IcsCode, "title_zh_hans", "title_zh_hans_source"),
    "ccs_en.csv": (CcsCode, "name_en", "name_en_source"),
    "hs_zh_hans.csv": (HsCode, "description_zh_hans", "description_zh_hans_source"),
}


@transaction.atomic
def load_translations(path: Path) -> int:
    """Texts the source lists lack in one language, written by CESIP's curators."""
    model, text_field, source_field = TRANSLATION_FILES[path.name]
    rows = {row["code"]: row[text_field] for row in _rows(path)}
    objects = list(model.objects.filter(code__in=rows))
    missing = set(rows) - {obj.code for obj in objects}
    if missing:
        raise ValueError(f"{path.name}: unknown codes {sorted(missing)}")
    for obj in objects:
        setattr(obj, text_field, rows[obj.code])
        setattr(obj, source_field, "curator")
    model.objects.bulk_update(objects, [text_field, source_field], batch_size=1000)
    return len(objects)


# (what, loader, file) in the order they must run: codes, then sectors, then the links.
REFERENCE_FILES = [
    ("ICS codes", load_ics, DATA_DIR / "ics_codes_ed7_en.csv"),
    ("CCS codes", load_ccs, DATA_DIR / "ccs_codes_zh.csv"),
    ("HS 2022 codes", load_hs, DATA_DIR / "hs2022_nomenclature_en.csv"),
    ("Sectors", load_sectors, DATA_DIR / "sectors.csv"),
    ("Sector codes", load_sector_codes, DATA_DIR / "sector_codes.csv"),
    ("Chinese ICS titles", load_translations, DATA_DIR / "translations/ics_zh_hans.csv"),
    ("English CCS names", load_translations, DATA_DIR / "translations/ccs_en.csv"),
    ("Chinese HS descriptions", load_translations, DATA_DIR / "translations/hs_zh_hans.csv"),
]
