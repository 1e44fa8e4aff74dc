from django.core.management.base import BaseCommand
from django.db import transaction

from cesip import cache as page_cache
from standards.models import Standard, TechnicalRegulation
from standards.search import engine

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Recompute the derived search columns (segmented Chinese titles and scopes) of "
        "every standard and regulation (the English part of the search column follows "
        "the titles by itself, a generated column), then build a new generation of the "
        "search index from the database and make it the current one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--index-only",
            action="store_true",
            help="Only build the search index (the search columns are already right).",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help=(
                "Build the index only when there is none that can be followed (none, or "
                "of another schema or database: a new node)."
            ),
        )

    def handle(self, *args, index_only=False, if_missing=False, **options) -> None:
        if if_missing:
            current = engine.current_generation()
            meta = engine.read_meta(current) if current else None
            if meta and not engine.needs_rebuild(meta):
                self.stdout.write(f"Search index: {current.name} is there, kept.")
                return
        if not index_only:
            self.rebuild_columns()
        report = engine.build()
        self.stdout.write(
            f"Search index: {report.documents} standards in {report.seconds:.1f} s, "
            f"{report.size_bytes / 1e6:.1f} MB ({report.path.name})."
        )

    def rebuild_columns(self) -> None:
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
