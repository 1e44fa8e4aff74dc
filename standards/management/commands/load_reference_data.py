from django.core.management.base import BaseCommand

from cesip import cache as page_cache
from sectors.reference import REFERENCE_FILES
from standards.bodies import BODIES_CSV, load_bodies


class Command(BaseCommand):
    help = (
        "Load the reference data the product ships under data/: codes, sectors and "
        "standards bodies (idempotent)."
    )

    def handle(self, *args, **options) -> None:
        steps = [*REFERENCE_FILES, ("Standards bodies", load_bodies, BODIES_CSV)]
        for number, (label, loader, path) in enumerate(steps, start=1):
            count = loader(path)
            self.stdout.write(f"[{number}/{len(steps)}] {label}: {count} rows from {path.name}.")
        page_cache.catalogue_changed()  # sectors, codes and bodies show on public pages
