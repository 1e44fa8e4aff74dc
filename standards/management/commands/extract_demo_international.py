import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cesip.tabular import read_table
from standards.identifiers import IdentifierError, parse_identifier
from standards.imports.samr import TRAILING_NOTE

DEMO_DIR = settings.BASE_DIR / "data" / "demo"
LISTS = {"iso": "iso_publications_en.csv", "iec": "iec_publications_en.csv"}


class Command(BaseCommand):
    help = (
        "Copy into data/demo/iso_iec/ the rows of the ISO and IEC publication lists for "
        "the international standards that the demo's Chinese and European standards "
        "adopt (and the latest edition of each), so that adoptions link to real records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source-dir",
            type=Path,
            default=settings.BASE_DIR.parent / "shared" / "data",
            help="Folder holding iso_publications_en.csv and iec_publications_en.csv.",
        )

    def handle(self, *args, source_dir: Path, **options) -> None:
        wanted = self.adopted_keys()
        found: set[str] = set()
        for name, filename in LISTS.items():
            source = source_dir / filename
            if not source.is_file():
                raise CommandError(f"No such file: {source}")
            rows = self.matching_rows(source, wanted)
            found |= {key for key, _row in rows}
            target = DEMO_DIR / "iso_iec" / f"{name}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open(encoding="utf-8", newline="") as handle:
                fieldnames = next(csv.reader(handle))
            with target.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=fieldnames)
                writer.writeheader()
                writer.writerows(row for _key, row in rows)
            self.stdout.write(f"{target.relative_to(settings.BASE_DIR)}: {len(rows)} rows")
        for key in sorted(set(wanted) - found):
            self.stdout.write(f"Not in the ISO or IEC lists: {wanted[key]}")

    def adopted_keys(self) -> dict[str, str]:
        """Normalised key → identifier as written, for every adoption in the demo files."""
        wanted = {}
        sources = [(path, "采用国际标准") for path in DEMO_DIR.glob("cn_standards*.csv")]
        sources += [(path, "Adopts") for path in DEMO_DIR.glob("eu_standards/*.csv")]
        for path, column in sources:
            _header, rows = read_table(path)
            for row in rows:
                text = TRAILING_NOTE.sub("", row.get(column, "")).strip()
                if not text:
                    continue
                try:
                    parsed = parse_identifier(text)
                except IdentifierError:
                    continue
                if parsed.jurisdiction == "INT":
                    wanted[parsed.key] = text
        return wanted

    @staticmethod
    def matching_rows(source: Path, wanted: dict[str, str]) -> list[tuple[str, dict]]:
        families = {}
        for key in wanted:
            families[parse_identifier(wanted[key]).family_key] = key
        exact, latest = [], {}
        with source.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                try:
                    parsed = parse_identifier(row["docid"])
                except IdentifierError:
                    continue
                if parsed.key in wanted:
                    exact.append((parsed.key, row))
                elif parsed.family_key in families and not parsed.amendments:
                    current = latest.get(parsed.family_key)
                    if current is None or row["published"] > current[1]["published"]:
                        latest[parsed.family_key] = (parsed.key, row)
        keys = {key for key, _row in exact}
        return exact + [item for item in latest.values() if item[0] not in keys]
