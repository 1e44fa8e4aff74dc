from django.core.management.base import BaseCommand

from cesip import cache as page_cache
from standards.status import recompute_all


class Command(BaseCommand):
    help = (
        "Recompute every edition's derived status columns (superseded by, from, valid "
        "until) from its family; writes go through record_changes and keep them right."
    )

    def handle(self, *args, **options) -> None:
        changed = recompute_all()
        page_cache.catalogue_changed()  # the derived columns show on every record page
        self.stdout.write(f"{changed} editions changed.")
