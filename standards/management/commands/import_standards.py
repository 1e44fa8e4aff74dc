import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cesip.tabular import ImportRefused
from standards.imports.publications import PUBLICATION_LISTS, import_publications


class Command(BaseCommand):
    help = (
        "Import a publication list (ISO, IEC or ETSI CSV layout). Every row is checked "
        "first; if any is wrong, nothing is written. Importing the same file again "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", required=True, choices=sorted(PUBLICATION_LISTS))
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Leave out rows with errors (and list them) instead of refusing the file.",
        )

    def handle(
        self, *args, path: Path, format: str, batch_size: int, skip_invalid: bool, **options
    ) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        total = _count_rows(path)
        try:
            report = import_publications(
                path,
                format,
                batch_size=batch_size,
                skip_invalid=skip_invalid,
                progress=self._progress(total),
            )
        except ImportRefused as refused:
            raise CommandError(f"{path.name} was not imported:\n{refused}") from refused
        self.stdout.write("")
        for error in report.skipped:
            self.stdout.write(f"Left out: {error}")
        if report.duplicates:
            self.stdout.write(f"{report.duplicates} rows repeating an earlier row were left out.")
        self.stdout.write(
            f"{path.name}: {report.rows} rows, {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{report.changes} change records; {report.seconds:.1f} s, "
            f"peak memory (RSS) {report.peak_memory_mb:.1f} MB."
        )

    def _progress(self, total: int):
        interactive = sys.stdout.isatty()

        def show(done: int) -> None:
            width = 40
            filled = width * done // max(total, 1)
            line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
            if interactive:
                self.stdout.write(f"\r{line}", ending="")
            else:
                self.stdout.write(line)

        return show


def _count_rows(path: Path) -> int:
    import csv

    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
