from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cesip import cache as page_cache
from cesip.tabular import ImportRefused, ImportReport
from sectors.imports import import_market_access, import_product_terms
from standards.imports.cen import import_cen_list
from standards.imports.harmonised import import_harmonised_list
from standards.imports.product_scopes import import_product_scopes
from standards.imports.publications import import_publications
from standards.imports.regulations import (
    import_formalities,
    import_regulations,
    import_rule_citations,
)
from standards.imports.samr import import_samr_list
from standards.imports.translations import import_translations
from standards.models import Standard, TechnicalRegulation
from standards.titles import fill_adopted_titles

DEMO_DIR = settings.BASE_DIR / "data" / "demo"


def harmonised_act(path: Path) -> TechnicalRegulation | None:
    """harmonised/2009-48-EC.csv → Directive 2009/48/EC; 2016-425.csv → (EU) 2016/425."""
    number = path.stem.replace("-", "/")
    for regulation in TechnicalRegulation.objects.filter(reference__contains=number):
        if regulation.reference.endswith(number) or f"{number} " in regulation.reference:
            return regulation
    return None


class Command(BaseCommand):
    help = (
        "Load the demo catalogue under data/demo/ (real records, each with its source; see "
        "data/demo/README.md). Idempotent; with --if-empty it does nothing when the "
        "catalogue has standards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args, if_empty: bool, verbosity: int, **options) -> None:
        self.verbosity = verbosity
        if if_empty and Standard.objects.exists():
            self.stdout.write("The catalogue already has standards; the demo was not loaded.")
            return
        steps: list[tuple[Path, Callable[[Path], ImportReport]]] = [
            (DEMO_DIR / "iso_iec" / "iso.csv", lambda p: import_publications(p, "iso")),
            (DEMO_DIR / "iso_iec" / "iec.csv", lambda p: import_publications(p, "iec")),
            *((p, import_samr_list) for p in sorted(DEMO_DIR.glob("cn_standards*.csv"))),
            *((p, import_cen_list) for p in sorted(DEMO_DIR.glob("eu_standards/*.csv"))),
            *((p, import_regulations) for p in sorted(DEMO_DIR.glob("regulations/*.csv"))),
        ]
        for path, load in steps:
            self.load(path, load)
        # Chinese files name each other's standards ("代替标准"); links to a standard in a
        # later file are made on a second pass (idempotent: rows already loaded are kept).
        for path in sorted(DEMO_DIR.glob("cn_standards*.csv")):
            self.load(path, import_samr_list)
        for path in sorted(DEMO_DIR.glob("harmonised/*.csv")):
            act = harmonised_act(path)
            if act is None:
                raise CommandError(f"{path.name}: no regulation in the catalogue has this number.")
            self.load(path, lambda p, act=act: import_harmonised_list(p, act))
        for path, load in (
            (DEMO_DIR / "cn_citations.csv", import_rule_citations),
            (DEMO_DIR / "formalities.csv", import_formalities),
            (DEMO_DIR / "product_terms.csv", import_product_terms),
            (DEMO_DIR / "product_scopes.csv", import_product_scopes),
            (DEMO_DIR / "market_access.csv", import_market_access),
        ):
            self.load(path, load)
        # Titles missing in one language: first the official title of an identical
        # adoption, then the curators' translations (last, so that they fill only what
        # is still missing). Both are part of each record as first loaded, not news: no
        # Change rows (`manage.py fill_adopted_titles` records them on a live catalogue).
        filled = fill_adopted_titles(record=False)
        self.stdout.write(
            f"titles from identical adoptions: {len(filled.filled)} "
            f"({filled.count('en')} English, {filled.count('zh_hans')} Chinese)"
        )
        self.load(DEMO_DIR / "translations.csv", lambda p: import_translations(p, record=False))
        # Fresh statistics: the planner otherwise plans the catalogue's pages for the
        # empty tables it last saw (nested loops over what is now thousands of rows).
        tables = [
            model._meta.db_table
            for app in ("standards", "sectors")
            for model in apps.get_app_config(app).get_models(include_auto_created=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        # Product words, market-access notes and titles above are written without
        # record_changes: no cached page may predate them.
        page_cache.catalogue_changed()

    def load(self, path: Path, load: Callable[[Path], ImportReport]) -> None:
        if not path.is_file():
            return
        name = path.relative_to(DEMO_DIR)
        try:
            report = load(path)
        except ImportRefused as refused:
            raise CommandError(f"{name} was not loaded:\n{refused}") from refused
        self.stdout.write(
            f"{name}: {report.rows} rows, {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
            + (f", {report.citations} citations" if report.citations else "")
            + (f" ({len(report.warnings)} warnings)" if report.warnings else "")
        )
        if self.verbosity > 1:
            for warning in report.warnings:
                self.stdout.write(f"  {warning}")
