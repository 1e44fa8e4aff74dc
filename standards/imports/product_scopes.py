"""Curated scoping decisions of product terms (data/demo/product_scopes.csv, layout in
data/demo/README.md): an act or a standard family a product's sheet includes or leaves
out, with the reason in both languages and the page it rests on. All rows are checked
first; a file with any error writes nothing; loading the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cesip.sources import source_problem
from cesip.tabular import ImportReport, check_rows, differs, match_columns, pick, read_table
from sectors.models import ProductTerm
from standards.models import ProductScope, Standard, TechnicalRegulation, scope_key

PRODUCT_SCOPE_LAYOUT = {
    name: ()
    for name in (
        "product", "effect", "record", "reference", "reason_en", "reason_zh_hans", "source_url",
    )
}  # fmt: skip


def import_product_scopes(path: Path) -> ImportReport:
    """The products' scoping decisions (data/demo/README.md): for a product, an act or a
    standard family included in its sheet or excluded from it, why, and the page that
    says so. A decision on a record the catalogue does not hold (yet) is kept, with a
    warning: it applies once the record is loaded. The file holds every decision of the
    products it names: their decisions not in it are removed."""
    header, rows = read_table(Path(path))
    columns = match_columns(header, PRODUCT_SCOPE_LAYOUT, tuple(PRODUCT_SCOPE_LAYOUT))
    terms = {term.name_en.lower(): term for term in ProductTerm.objects.all()}
    # What the catalogue holds, by family: "CNCA-C22-01:2020" → "CNCA-C22-01" too.
    acts = {
        name
        for reference in TechnicalRegulation.objects.values_list("reference", flat=True)
        for name in (reference, reference.split(":")[0])
    }
    families = {key.split(":")[0] for key in Standard.objects.values_list("key", flat=True)}

    def read(row):
        errors = []
        if row["product"].lower() not in terms:
            errors.append(
                ("product", _("Unknown product “%(value)s”.") % {"value": row["product"]})
            )
        if row["effect"] not in ProductScope.Effect.values:
            errors.append(("effect", _("The effect must be include or exclude.")))
        if row["record"] not in ProductScope.Record.values:
            errors.append(("record", _("The record must be act or standard.")))
        key = ""
        try:
            key = scope_key(row["record"], row["reference"]) if row["reference"] else ""
        except ValueError as problem:
            errors.append(("reference", str(problem)))
        for column in ("reference", "reason_en", "reason_zh_hans", "source_url"):
            if not row[column]:
                errors.append((column, _("This column cannot be empty.")))
        problem = source_problem(row["source_url"]) if row["source_url"] else ""
        if problem:
            errors.append(("source_url", problem))
        return {**row, "key": key}, errors

    records = check_rows(
        [pick(row, columns) for row in rows],
        read,
        key=lambda row, record: (row["product"].lower(), row["record"], record["key"]),
        column="reference",
        same_as=_("The same decision as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    with transaction.atomic():
        stored = {
            (scope.term_id, scope.record, scope.key): scope
            for scope in ProductScope.objects.filter(
                term__in=[terms[r["product"].lower()] for r in records]
            )
        }
        kept = set()
        for row in records:
            term = terms[row["product"].lower()]
            scope = stored.get((term.pk, row["record"], row["key"])) or ProductScope(term=term)
            scope.effect, scope.record = row["effect"], row["record"]
            scope.reference, scope.key = " ".join(row["reference"].split()), row["key"]
            scope.reason_en, scope.reason_zh_hans = row["reason_en"], row["reason_zh_hans"]
            scope.reason = row["reason_en"]
            scope.source_url = row["source_url"]
            kept.add((term.pk, scope.record, scope.key))
            held = acts if scope.record == ProductScope.Record.ACT else families
            if scope.key not in held:
                report.warnings.append(
                    _("%(product)s: %(reference)s is not in the catalogue yet.")
                    % {"product": term.name_en, "reference": scope.reference}
                )
            if not differs(scope):
                report.unchanged += 1
                continue
            report.created += scope.pk is None
            report.updated += scope.pk is not None
            scope.save()
        gone = [scope.pk for key, scope in stored.items() if key not in kept]
        if gone:
            ProductScope.objects.filter(pk__in=gone).delete()
            report.updated += len(gone)
    return report
