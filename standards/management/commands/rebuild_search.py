from django.core.management.base import BaseCommand
from django.db import transaction

from cesip import cache as page_cache
from standards.models import Standard, TechnicalRegulation

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Recompute the derived search columns (segmented Chinese titles and scopes) of "
        "every standard and regulation. The English part of the search column follows "
        "the titles by itself (a generated column)."
    )

    def handle(self, *args, **options) -> None:
        for model in (Standard, TechnicalRegulation):
            total = model.objects.count()
            done = changed = 0
            batch = []
            fields = model.SEARCH_TEXT_FIELDS
            rows = model.objects.only("pk", "title_zh_hans", "scope_zh_hans", *fields)
            if model is TechnicalRegulation:
                rows = rows.defer(None)
            for row in rows.order_by("pk").iterator(chunk_size=BATCH):
                before = [getattr(row, name) for name in fields]
                row.refresh_search_text()
                if [getattr(row, name) for name in fields] != before:
                    batch.append(row)
                done += 1
                if len(batch) >= BATCH:
                    changed += self.write(model, batch, fields)
                if done % 20000 == 0:
                    self.stdout.write(f"  {model._meta.verbose_name_plural}: {done}/{total}")
            changed += self.write(model, batch, fields)
            self.stdout.write(
                f"{model._meta.verbose_name_plural}: {total} rows checked, {changed} updated."
            )
        page_cache.catalogue_changed()  # search pages read these columns

    @staticmethod
    def write(model, batch: list, fields: list[str]) -> int:
        count = len(batch)
        if batch:
            with transaction.atomic():
                model.objects.bulk_update(batch, fields, batch_size=BATCH)
            batch.clear()
        return count
