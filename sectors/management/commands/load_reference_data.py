import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from sectors.models import Sector

DATA_DIR = Path(settings.BASE_DIR) / "data"


class Command(BaseCommand):
    help = "Load the reference data the product ships under data/ (idempotent)."

    def handle(self, *args, **options) -> None:
        created, updated = load_sectors(DATA_DIR / "sectors.csv")
        self.stdout.write(f"Sectors: {created} created, {updated} updated.")


@transaction.atomic
def load_sectors(path: Path) -> tuple[int, int]:
    created = updated = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            slug = row.pop("slug")
            _, was_created = Sector.objects.update_or_create(slug=slug, defaults=row)
            created += was_created
            updated += not was_created
    return created, updated
