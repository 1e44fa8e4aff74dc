from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from standards.imports import ImportRefused, import_samr_list
from standards.models import Standard

DEMO_DIR = settings.BASE_DIR / "data" / "demo"


class Command(BaseCommand):
    help = (
        "Load the demo catalogue under data/demo/ (real records, each with its source). "
        "Idempotent; with --if-empty it does nothing when the catalogue has standards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args, if_empty: bool, **options) -> None:
        if if_empty and Standard.objects.exists():
            self.stdout.write("The catalogue already has standards; the demo was not loaded.")
            return
        path = DEMO_DIR / "cn_standards.csv"
        if not path.is_file():
            self.stdout.write("No demo catalogue found under data/demo/.")
            return
        try:
            report = import_samr_list(path)
        except ImportRefused as refused:
            raise CommandError(f"{path.name} was not loaded:\n{refused}") from refused
        self.stdout.write(
            f"Chinese standards: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged ({len(report.warnings)} links to standards "
            "not in the catalogue left out)."
        )
