from django.core.management.base import BaseCommand
from django.db import transaction

from standards.titles import fill_adopted_titles


class Command(BaseCommand):
    help = (
        "Fill each standard's missing English or Chinese title from an identical (IDT) "
        "adoption, in either direction and through a shared ISO/IEC standard, marked "
        "“from the identical adoption”. Never from MOD or NEQ; never over a title. "
        "Safe to run again after every import."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be filled, write nothing."
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        with transaction.atomic():
            report = fill_adopted_titles(record=not dry_run)
            for item in report.filled:
                language = "English" if item.language == "en" else "Chinese"
                self.stdout.write(
                    f"{item.standard.identifier}: {language} title from "
                    f"{item.taken_from.identifier}"
                )
            summary = (
                f"{len(report.filled)} titles filled ({report.count('en')} English, "
                f"{report.count('zh_hans')} Chinese)"
            )
            self.stdout.write(summary + (" (dry run, nothing written)" if dry_run else ""))
            if dry_run:
                transaction.set_rollback(True)
