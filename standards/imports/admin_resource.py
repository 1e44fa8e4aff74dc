"""The admin's import and export format (django-import-export): one row per standard,
keyed by the normalised identifier.

Every row is validated before anything is written; errors name the row, the field and
the reason; an import with any error writes nothing; re-importing the same file changes
nothing. Changes are recorded through standards.changes, like every other write.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from cesip.tabular import RowCheck, parse_date, unknown_codes
from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards import changes
from standards.identifiers import IdentifierError, describe_identifier_error, parse_identifier
from standards.imports.common import source_errors
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


class DateWidget(widgets.DateWidget):
    """Dates as every importer reads them (cesip.tabular.parse_date), exported as
    YYYY-MM-DD, with an error that says what was wrong."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return parse_date("" if value is None else str(value))


class CodeListWidget(widgets.ManyToManyWidget):
    """Codes separated by ";" (e.g. ICS "97.200.50;13.120"); unknown codes are checked
    before the row is written, see StandardResource.before_import_row."""

    def __init__(self, model, field: str = "code"):
        super().__init__(model, separator=M2M_SEPARATOR, field=field)
        self._by_code: dict[str, object] | None = None
        self._rank: dict[int, int] = {}

    def clean(self, value, row=None, **kwargs):
        # Reference tables are small: read each once per import instead of once per row.
        if self._by_code is None:
            rows = list(self.model.objects.all())
            self._by_code = {getattr(obj, self.field): obj for obj in rows}
            self._rank = {obj.pk: rank for rank, obj in enumerate(rows)}
        return [self._by_code[code] for code in split_codes(value) if code in self._by_code]

    def linked(self, value) -> list:
        """The rows a standard is linked to once `value` is saved: each once, in the
        model's own order (the order `.all()` reads them in)."""
        unique = {obj.pk: obj for obj in self.clean(value)}
        return sorted(unique.values(), key=lambda obj: self._rank[obj.pk])


class LinkedRows:
    """What a standard is linked to, read like a related manager (`.all()`)."""

    def __init__(self, rows: list):
        self.rows = rows

    def all(self) -> list:
        return self.rows


class CodeListField(fields.Field):
    """A many-to-many column whose links are known without a query while a file is
    imported: the preview's diff and the unchanged-row check read each row's links
    before and after it is written, one query per field and row otherwise. `linked`
    maps a standard's pk to its links: as loaded with the file's existing standards,
    then as written (StandardResource.after_init_instance and save_m2m); empty outside
    an import, where the field reads the database."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.linked: dict[int, list] = {}

    def get_value(self, instance):
        if instance.pk is not None and instance.pk in self.linked:
            return LinkedRows(self.linked[instance.pk])
        return super().get_value(instance)


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
    sectors = CodeListField(
        attribute="sectors", column_name="sectors", widget=CodeListWidget(Sector, "slug")
    )
    ics_codes = CodeListField(
        attribute="ics_codes", column_name="ics_codes", widget=CodeListWidget(IcsCode)
    )
    ccs_codes = CodeListField(
        attribute="ccs_codes", column_name="ccs_codes", widget=CodeListWidget(CcsCode)
    )
    hs_codes = CodeListField(
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
            "translation_verified", "stage", "status_label", "status_confirmed_on", "issued_date",
            "issued_precision",
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

    def get_queryset(self):
        """The rows with what the preview's diff and the unchanged-row check read, so
        that the file's existing standards (loaded together by CachedInstanceLoader)
        cost no query each."""
        return (
            super()
            .get_queryset()
            .select_related("body", "amendment_of")
            .prefetch_related(*self.CODE_COLUMNS)
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._keys: dict[int, str] = {}
        self._check = RowCheck("")
        self._before: dict = {}
        self._existing: set[int] = set()

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
        self._check = RowCheck(_("The same standard as row %(row)s."))
        self._existing = set()
        for field in self._code_list_fields():
            field.linked = {}
        keys = []
        for number, row in enumerate(dataset.dict, start=1):
            errors: list[tuple[str, str]] = []
            key = ""
            try:
                key = parse_identifier(row.get("identifier") or "").key
            except IdentifierError as exc:
                errors.append(("identifier", describe_identifier_error(exc)))
            for column, codes in known.items():
                errors += unknown_codes(column, split_codes(row.get(column)), codes)
            errors += source_errors("source_url", str(row.get("source_url") or ""))
            self._check.row(number, errors, key=key, column="identifier")
            keys.append(key)
        # The key column is derived, never trusted from the file.
        if "key" in dataset.headers:
            del dataset["key"]
        dataset.append_col(keys, header="key")
        existing = Standard.objects.filter(key__in=[k for k in keys if k]).values_list(
            "pk", flat=True
        )
        self._before = changes.snapshot(Standard, list(existing))

    def before_import_row(self, row, **kwargs):
        errors = self._check.errors_of(kwargs["row_number"])
        if errors:
            raise ValidationError(errors)

    def _code_list_fields(self) -> list[CodeListField]:
        return [field for field in self.fields.values() if isinstance(field, CodeListField)]

    def after_init_instance(self, instance, new, row, **kwargs):
        """An existing standard's links, from the prefetch of get_queryset: the copy
        the diff and the unchanged-row check read (django-import-export deep-copies the
        instance, which drops prefetched rows) reads them from here."""
        super().after_init_instance(instance, new, row, **kwargs)
        if not new:
            self._existing.add(instance.pk)
            for field in self._code_list_fields():
                field.linked[instance.pk] = list(getattr(instance, field.attribute).all())

    def save_m2m(self, instance, row, **kwargs):
        """The links as written, kept for the diff. A standard created by this row has
        none yet: its codes are added without reading its links first (set() would)."""
        code_fields = self._code_list_fields()
        new = instance.pk not in self._existing
        for field in code_fields:
            field.m2m_add = new
        super().save_m2m(instance, row, **kwargs)
        for field in code_fields:
            if field.column_name in row:
                field.linked[instance.pk] = field.widget.linked(row[field.column_name])
            elif new:
                field.linked[instance.pk] = []

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.get_internal_type() == "DateField":
            return DateWidget
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
