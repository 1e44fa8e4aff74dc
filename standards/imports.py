"""Importing and exporting the catalogue (CSV and XLSX).

`StandardResource` is the admin's import/export format (django-import-export): one row
per standard, keyed by the normalised identifier. Every row is validated before
anything is written; errors name the row, the field and the reason; an import with any
error writes nothing; re-importing the same file changes nothing. Changes are recorded
through standards.changes, like every other write.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards import changes
from standards.forms import describe_identifier_error
from standards.identifiers import IdentifierError, parse_identifier
from standards.models import Body, ChangeVia, Standard

M2M_SEPARATOR = ";"


class StrictForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key by natural key; an unknown value is a row error, not a crash.
    Looked-up objects are kept for the rest of the import (one query per value)."""

    def __init__(self, model, field: str):
        super().__init__(model, field=field)
        self._cache: dict[str, object] = {}

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if value not in self._cache:
            try:
                self._cache[value] = super().clean(value, row, **kwargs)
            except self.model.DoesNotExist as exc:
                raise ValueError(
                    _("Unknown %(model)s “%(value)s”.")
                    % {"model": self.model._meta.verbose_name, "value": value}
                ) from exc
        return self._cache[value]


class StrictDateWidget(widgets.DateWidget):
    """ISO dates only, with an error that says what was wrong."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError as exc:
            raise ValueError(
                _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}
            ) from exc


class CodeListWidget(widgets.ManyToManyWidget):
    """Codes separated by ";" (e.g. ICS "97.200.50;13.120"); unknown codes are checked
    before the row is written, see StandardResource.before_import_row."""

    def __init__(self, model, field: str = "code"):
        super().__init__(model, separator=M2M_SEPARATOR, field=field)
        self._by_code: dict[str, object] | None = None

    def clean(self, value, row=None, **kwargs):
        # Reference tables are small: read each once per import instead of once per row.
        if self._by_code is None:
            self._by_code = {getattr(obj, self.field): obj for obj in self.model.objects.all()}
        return [self._by_code[code] for code in split_codes(value) if code in self._by_code]


def split_codes(value) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(M2M_SEPARATOR) if part.strip()]


class StandardResource(resources.ModelResource):
    key = fields.Field(attribute="key", column_name="key", readonly=False)
    body = fields.Field(
        attribute="body", column_name="body", widget=StrictForeignKeyWidget(Body, field="code")
    )
    amendment_of = fields.Field(
        attribute="amendment_of",
        column_name="amendment_of",
        widget=StrictForeignKeyWidget(Standard, field="key"),
    )
    sectors = fields.Field(
        attribute="sectors", column_name="sectors", widget=CodeListWidget(Sector, "slug")
    )
    ics_codes = fields.Field(
        attribute="ics_codes", column_name="ics_codes", widget=CodeListWidget(IcsCode)
    )
    ccs_codes = fields.Field(
        attribute="ccs_codes", column_name="ccs_codes", widget=CodeListWidget(CcsCode)
    )
    hs_codes = fields.Field(
        attribute="hs_codes", column_name="hs_codes", widget=CodeListWidget(HsCode)
    )

    # Columns whose values must exist in a reference table, and that table's codes.
    CODE_COLUMNS = {
        "sectors": (Sector, "slug"),
        "ics_codes": (IcsCode, "code"),
        "ccs_codes": (CcsCode, "code"),
        "hs_codes": (HsCode, "code"),
    }

    class Meta:
        model = Standard
        import_id_fields = ["key"]
        fields = [
            "key", "identifier", "document_type", "body", "jurisdiction", "legal_force",
            "title_en", "title_zh_hans", "scope_en", "scope_zh_hans", "title_en_source",
            "title_zh_hans_source", "scope_en_source", "scope_zh_hans_source",
            "translation_verified", "stage", "status_label", "issued_date",
            "implementation_date", "first_issued_date", "confirmed_date", "withdrawn_date",
            "dor", "dav", "doa", "dop", "dow", "sectors", "ics_codes", "ccs_codes",
            "hs_codes", "committee_code", "committee_name_en", "committee_name_zh_hans",
            "amendment_of", "source_url", "last_verified", "published",
        ]  # fmt: skip
        export_order = fields
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._keys: dict[int, str] = {}
        self._row_errors: dict[int, dict[str, str]] = {}
        self._before: dict = {}

    def before_import(self, dataset, **kwargs):
        """Parse every identifier once, find duplicates and unknown codes, snapshot the
        records the file will touch. Errors are raised row by row in before_import_row."""
        if "identifier" not in dataset.headers:
            raise ValidationError(_("The file has no “identifier” column."))
        known = {
            column: set(model.objects.values_list(field, flat=True))
            for column, (model, field) in self.CODE_COLUMNS.items()
            if column in dataset.headers
        }
        first_row_of_key: dict[str, int] = {}
        keys = []
        for index, row in enumerate(dataset.dict, start=1):
            errors: dict[str, str] = {}
            key = ""
            try:
                key = parse_identifier(row.get("identifier") or "").key
            except IdentifierError as exc:
                errors["identifier"] = describe_identifier_error(exc)
            if key and key in first_row_of_key:
                errors["identifier"] = _("The same standard as row %(row)s.") % {
                    "row": first_row_of_key[key]
                }
            elif key:
                first_row_of_key[key] = index
            for column, codes in known.items():
                unknown = [c for c in split_codes(row.get(column)) if c not in codes]
                if unknown:
                    errors[column] = _("Unknown code(s): %(codes)s.") % {
                        "codes": ", ".join(unknown)
                    }
            keys.append(key)
            if errors:
                self._row_errors[index] = errors
        # The key column is derived, never trusted from the file.
        if "key" in dataset.headers:
            del dataset["key"]
        dataset.append_col(keys, header="key")
        existing = Standard.objects.filter(key__in=[k for k in keys if k]).values_list(
            "pk", flat=True
        )
        self._before = changes.snapshot(Standard, list(existing))

    def before_import_row(self, row, **kwargs):
        errors = self._row_errors.get(kwargs["row_number"])
        if errors:
            raise ValidationError(errors)

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.get_internal_type() == "DateField":
            return StrictDateWidget
        return super().widget_from_django_field(f, default)

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            # Identifier-derived fields (slug, family key, document type…) as in the
            # admin, even when another field failed, so only the real error is reported.
            instance.set_identifier(row["identifier"])

    def after_import(self, dataset, result, **kwargs):
        touched = [
            row.object_id
            for row in result.rows
            if row.import_type in (row.IMPORT_TYPE_NEW, row.IMPORT_TYPE_UPDATE) and row.object_id
        ]
        if touched and not result.has_errors() and not result.has_validation_errors():
            changes.record_changes(
                Standard, self._before, touched, actor=kwargs.get("user"), via=ChangeVia.IMPORT
            )
