"""The standards bodies and authorities, from the one table the product ships
(data/bodies.csv): loaded by `manage.py load_reference_data`, and looked up by the
importers, which add a body the table lacks under its own code."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from standards.models import Body

BODIES_CSV = Path(settings.BASE_DIR) / "data" / "bodies.csv"


@cache
def known_bodies() -> dict[str, dict[str, str]]:
    """The table by code: {"ISO": {"name_en": …, "name_zh_hans": …, "jurisdiction": "INT"}}."""
    with BODIES_CSV.open(encoding="utf-8", newline="") as handle:
        return {row.pop("code"): row for row in csv.DictReader(handle)}


def body(code: str, jurisdiction: str = "INT") -> Body:
    """The body with this code, created from the table when the catalogue lacks it; a
    code the table does not know either is named by its code, in `jurisdiction`."""
    defaults = known_bodies().get(
        code, {"name_en": code, "name_zh_hans": code, "jurisdiction": jurisdiction}
    )
    return Body.objects.get_or_create(code=code, defaults=defaults)[0]


@transaction.atomic
def load_bodies(path: Path = BODIES_CSV) -> int:
    """Insert or update every body of the table (idempotent); the number of rows."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        Body.objects.update_or_create(code=row.pop("code"), defaults=row)
    return len(rows)
