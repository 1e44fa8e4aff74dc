from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cesip.tabular import ImportRefused
from standards.imports.samr import import_samr_list


class Command(BaseCommand):
    help = (
        "Import a national-standard list in SAMR's layout (标准号, 中文标准名称, …), CSV in "
        "UTF-8, UTF-8 with BOM or GBK, or XLSX. All or nothing; importing again changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            report = import_samr_list(path)
        except ImportRefused as refused:
            raise CommandError(f"{path.name} was not imported:\n{refused}") from refused
        for warning in report.warnings:
            self.stdout.write(f"Warning: {warning}")
        self.stdout.write(
            f"{path.name}: {report.rows} rows, {report.created} created, {report.updated} "
            f"updated, {report.unchanged} unchanged, {report.changes} change records."
        )
