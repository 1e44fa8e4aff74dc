import re
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from modeltranslation.admin import TabbedTranslationAdmin, TranslationTabularInline
from simple_history.admin import SimpleHistoryAdmin

from cesip.tabular import ImportPreview, ImportRefused
from sectors.admin import ProductTermAdmin
from sectors.models import ProductTerm
from standards import changes
from standards.forms import (
    HarmonisedListForm,
    PublicationListForm,
    RegulationAdminForm,
    StandardAdminForm,
)
from standards.identifiers import IdentifierError, parse_identifier
from standards.imports.admin_resource import StandardResource
from standards.imports.harmonised import import_harmonised_list
from standards.imports.publications import preview_publications
from standards.models import (
    Adoption,
    Body,
    Change,
    ChangeVia,
    Citation,
    ProductScope,
    RegulationFormality,
    RegulationTranslationQueue,
    Replacement,
    Standard,
    StandardTranslationQueue,
    Status,
    TechnicalRegulation,
)
from standards.tasks import CURATED_LISTS, LIST_NAMES, import_publication_list


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.with_current_status(self.value())
        return queryset


class TranslationFilter(admin.SimpleListFilter):
    title = _("translation")
    parameter_name = "translation"

    def lookups(self, request, model_admin):
        return [
            ("missing-zh", _("Chinese title missing")),
            ("missing-en", _("English title missing")),
            ("machine", _("Machine translation")),
            ("unverified", _("Not verified")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "missing-zh":
            return queryset.missing_title("zh-hans")
        if value == "missing-en":
            return queryset.missing_title("en")
        if value == "machine":
            return queryset.filter(Q(title_en_source="machine") | Q(title_zh_hans_source="machine"))
        if value == "unverified":
            return queryset.filter(translation_verified=False)
        return queryset


class ChangeRecordingAdmin(admin.ModelAdmin):
    """Admin saves go through standards.changes: a snapshot before, Change rows after the
    form, its many-to-many fields and its inlines are all saved."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history looks the id up unchecked: "abc" would be a 500.
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError as error:
            raise Http404 from error
        return super().history_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        obj._snapshot_before = changes.snapshot(type(obj), [obj.pk])
        if not change and hasattr(obj, "curator_id") and not obj.curator_id:
            obj.curator = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        linked = self._linked_standards(obj, formsets)
        before = {**obj._snapshot_before, **changes.snapshot(Standard, linked)}
        super().save_related(request, form, formsets, change)
        changes.record_changes(type(obj), before, [obj.pk], actor=request.user, via=ChangeVia.ADMIN)
        if linked:
            changes.record_changes(
                Standard, before, linked, actor=request.user, via=ChangeVia.ADMIN
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Citation:
            return super().save_formset(request, form, formset, change)
        # Citations are records of their own with their own Change rows.
        instances = formset.save(commit=False)
        before = changes.snapshot(Citation, [c.pk for c in instances])
        for obj in formset.deleted_objects:
            obj.delete()
        for citation in instances:
            citation.save()
        formset.save_m2m()
        changes.record_changes(
            Citation, before, [c.pk for c in instances], actor=request.user, via=ChangeVia.ADMIN
        )

    def _linked_standards(self, obj, formsets) -> list[int]:
        """Old standards whose "replaced by" changes when replacement inlines change."""
        if not isinstance(obj, Standard):
            return []
        pks = set(obj.replacements.values_list("old_id", flat=True))
        for formset in formsets:
            if formset.model is Replacement:
                for form in formset.forms:
                    old = form.cleaned_data.get("old") if form.is_valid() else None
                    if old:
                        pks.add(old.pk)
        return sorted(pks - {obj.pk})

    def _bulk_update(self, request, queryset, message, **values) -> None:
        pks = list(queryset.values_list("pk", flat=True))
        before = changes.snapshot(self.model, pks)
        queryset.model.objects.filter(pk__in=pks).update(**values)
        changes.record_changes(self.model, before, pks, actor=request.user, via=ChangeVia.ADMIN)
        self.message_user(request, message % {"count": len(pks)}, messages.SUCCESS)

    @admin.action(description=_("Publish selected records"), permissions=["change"])
    def publish(self, request, queryset):
        self._bulk_update(request, queryset, _("%(count)s records published."), published=True)

    @admin.action(description=_("Unpublish selected records"), permissions=["change"])
    def unpublish(self, request, queryset):
        self._bulk_update(request, queryset, _("%(count)s records unpublished."), published=False)

    @admin.action(description=_("Mark translation verified"), permissions=["change"])
    def mark_translation_verified(self, request, queryset):
        self._bulk_update(
            request,
            queryset,
            _("%(count)s translations marked verified."),
            translation_verified=True,
        )


class AdoptionInline(admin.TabularInline):
    model = Adoption
    fk_name = "standard"
    autocomplete_fields = ["adopted"]
    extra = 0
    verbose_name = _("adopts")
    verbose_name_plural = _("adopts (ISO/IEC Guide 21)")


class ReplacementInline(admin.TabularInline):
    model = Replacement
    fk_name = "new"
    autocomplete_fields = ["old"]
    extra = 0
    verbose_name = _("replaces")
    verbose_name_plural = _("replaces")


class CitationInline(TranslationTabularInline):
    model = Citation
    autocomplete_fields = ["standard", "regulation", "replaces"]
    extra = 0
    fields = [
        "regulation", "standard", "kind", "oj_reference", "date_cited", "presumption_ends",
        "restrictions", "replaces",
    ]  # fmt: skip


class StandardCitationInline(CitationInline):
    fk_name = "standard"


class RegulationCitationInline(CitationInline):
    fk_name = "regulation"


class RegulationFormalityInline(TranslationTabularInline):
    """The formalities the act requires (standards.formalities explains each kind)."""

    model = RegulationFormality
    extra = 0
    fields = ["formality", "basis", "condition", "source_url"]


@admin.register(Body)
class BodyAdmin(TabbedTranslationAdmin):
    list_display = ["code", "name", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["code", "name_en", "name_zh_hans"]


@admin.register(Standard)
class StandardAdmin(
    ChangeRecordingAdmin, ImportExportModelAdmin, SimpleHistoryAdmin, TabbedTranslationAdmin
):
    form = StandardAdminForm
    change_list_template = "admin/standards/standard/change_list.html"
    resource_classes = [StandardResource]
    formats = [CSV, XLSX]
    list_display = [
        "identifier", "title", "jurisdiction", "legal_force", "status_display", "published",
    ]  # fmt: skip
    list_filter = [
        "sectors", "jurisdiction", StatusFilter, "legal_force", "document_type", "body",
        TranslationFilter, "published",
    ]  # fmt: skip
    list_select_related = ["body"]
    search_fields = ["identifier", "key", "title_en", "title_zh_hans"]
    autocomplete_fields = [
        "body", "amendment_of", "ics_codes", "ccs_codes", "hs_codes", "sectors", "curator",
    ]  # fmt: skip
    readonly_fields = ["key", "family_key", "slug", "created_at", "updated_at"]
    inlines = [AdoptionInline, ReplacementInline, StandardCitationInline]
    actions = ["publish", "unpublish", "mark_translation_verified"]
    fieldsets = [
        (None, {"fields": ["identifier", "body", "document_type", "jurisdiction", "legal_force"]}),
        (_("Title and scope"), {"fields": [
            "title", "scope", ("title_en_source", "title_zh_hans_source"),
            ("scope_en_source", "scope_zh_hans_source"), "translation_verified",
        ]}),
        (_("Status"), {"fields": ["stage", "status_label", "amendment_of"]}),
        (_("Dates"), {"fields": [
            ("issued_date", "issued_precision", "implementation_date"),
            ("first_issued_date", "confirmed_date"),
            "withdrawn_date", ("dor", "dav", "doa"), ("dop", "dow"),
        ]}),
        (_("Classification"), {"fields": [
            "sectors", "ics_codes", "ccs_codes", "hs_codes", "committee_code", "committee_name",
        ]}),
        (_("Provenance"), {"fields": [
            "source_url", "last_verified", "curator", "published", "key", "family_key", "slug",
            "created_at", "updated_at",
        ]}),
    ]  # fmt: skip

    @admin.display(description=_("status"))
    def status_display(self, obj: Standard) -> str:
        return obj.get_status_display()

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_list_view)
        return [
            path("import-list/", view, name="standards_standard_import_list"),
            *super().get_urls(),
        ]

    def import_list_view(self, request):
        """Upload a list (ISO, IEC, ETSI, SAMR, CEN/CENELEC): a preview first, then the
        import runs in the background (large lists take a minute or two)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        ctx = {**self.admin_site.each_context(request), "opts": self.opts,
               "title": _("Import a publication list")}  # fmt: skip
        if request.POST.get("token"):
            upload = _uploaded_list(request.POST["token"])
            list_name = request.POST.get("list_name", "")
            if upload is None or list_name not in LIST_NAMES:
                raise Http404
            import_publication_list.enqueue(
                str(upload), list_name, request.user.pk, request.POST.get("skip_invalid") == "1"
            )
            self.message_user(
                request,
                _("The import has started; the records appear as the worker writes them."),
                messages.SUCCESS,
            )
            return redirect("admin:standards_standard_changelist")
        form = PublicationListForm(request.POST or None, request.FILES or None)
        if form.is_valid():
            upload = _store_upload(form.cleaned_data["file"])
            list_name = form.cleaned_data["list_name"]
            try:
                if list_name in CURATED_LISTS:
                    ctx["preview"] = _dry_run_preview(CURATED_LISTS[list_name], upload)
                else:
                    ctx["preview"] = preview_publications(
                        upload, list_name, skip_invalid=form.cleaned_data["skip_invalid"]
                    )
                ctx["token"] = upload.stem
            except ImportRefused as refused:
                upload.unlink(missing_ok=True)
                ctx["refused"] = refused
        ctx["form"] = form
        return TemplateResponse(request, "admin/standards/standard/import_list.html", ctx)

    def get_search_results(self, request, queryset, search_term):
        """An identifier in any spelling ("gb6675.1", "GB／T 6675.1—2014") finds its
        record and its editions; words search both title languages."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            parsed = parse_identifier(search_term)
        except IdentifierError:
            return results, may_have_duplicates
        return results | queryset.matching_identifier(parsed), may_have_duplicates


UPLOAD_DIR_NAME = "list-imports"


def _store_upload(uploaded) -> Path:
    """Keep an uploaded list under MEDIA_ROOT until it is confirmed and imported."""
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if uploaded.name.lower().endswith(".xlsx") else ".csv"
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    return path


def _uploaded_list(token: str) -> Path | None:
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        return None
    for suffix in (".csv", ".xlsx"):
        path = Path(settings.MEDIA_ROOT) / UPLOAD_DIR_NAME / f"{token}{suffix}"
        if path.is_file():
            return path
    return None


def _dry_run_preview(importer, upload: Path) -> ImportPreview:
    """Run the import in a transaction that is rolled back: exactly what it would do."""
    report = importer(upload, dry_run=True)
    return ImportPreview(
        rows=report.rows,
        new=report.created,
        existing=report.updated + report.unchanged,
        warnings=report.warnings,
        citations=report.citations,
    )


@admin.register(TechnicalRegulation)
class TechnicalRegulationAdmin(
    ChangeRecordingAdmin, ExportMixin, SimpleHistoryAdmin, TabbedTranslationAdmin
):
    form = RegulationAdminForm
    formats = [CSV, XLSX]
    list_display = ["reference", "short_name", "jurisdiction", "kind", "applies_from", "published"]
    list_filter = ["jurisdiction", "kind", "sectors", TranslationFilter, "published"]
    search_fields = [
        "reference",
        "short_name_en",
        "short_name_zh_hans",
        "title_en",
        "title_zh_hans",
    ]
    autocomplete_fields = ["sectors", "hs_codes", "successor", "curator"]
    prepopulated_fields = {"slug": ["reference"]}
    inlines = [RegulationFormalityInline, RegulationCitationInline]
    actions = ["publish", "unpublish", "mark_translation_verified"]
    change_form_template = "admin/standards/technicalregulation/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_harmonised_view)
        return [
            path(
                "<int:pk>/import-harmonised/",
                view,
                name="standards_technicalregulation_import_harmonised",
            ),
            *super().get_urls(),
        ]

    def import_harmonised_view(self, request, pk: int):
        """Upload the Commission's summary list for this act: a preview, then the import."""
        regulation = self.get_object(request, str(pk))
        if regulation is None:
            raise Http404
        if not self.has_change_permission(request, regulation):
            raise PermissionDenied
        ctx = {
            **self.admin_site.each_context(request), "opts": self.opts,
            "original": regulation,
            "title": _("Import the list of harmonised standards"),
        }  # fmt: skip
        if request.POST.get("token"):
            upload = _uploaded_list(request.POST["token"])
            if upload is None:
                raise Http404
            try:
                report = import_harmonised_list(upload, regulation, actor=request.user)
            except ImportRefused as refused:  # the catalogue changed since the preview
                ctx["refused"] = refused
                ctx["form"] = HarmonisedListForm()
                return TemplateResponse(
                    request, "admin/standards/technicalregulation/import_harmonised.html", ctx
                )
            finally:
                upload.unlink(missing_ok=True)
            self.message_user(
                request,
                _("%(rows)s rows imported: %(new)s new standards, %(citations)s citations written.")
                % {"rows": report.rows, "new": report.created, "citations": report.citations},
                messages.SUCCESS,
            )
            return redirect("admin:standards_technicalregulation_change", regulation.pk)
        form = HarmonisedListForm(request.POST or None, request.FILES or None)
        if form.is_valid():
            upload = _store_upload(form.cleaned_data["file"])
            try:
                ctx["preview"] = _dry_run_preview(
                    lambda path, dry_run: import_harmonised_list(path, regulation, dry_run=dry_run),
                    upload,
                )
                ctx["token"] = upload.stem
            except ImportRefused as refused:
                upload.unlink(missing_ok=True)
                ctx["refused"] = refused
        ctx["form"] = form
        return TemplateResponse(
            request, "admin/standards/technicalregulation/import_harmonised.html", ctx
        )

    fieldsets = [
        (None, {"fields": ["reference", "slug", "jurisdiction", "kind", "authority"]}),
        (_("Title and scope"), {"fields": [
            "short_name", "title", "scope", ("title_en_source", "title_zh_hans_source"),
            ("scope_en_source", "scope_zh_hans_source"), "translation_verified",
        ]}),
        (_("Dates"), {"fields": [
            ("adopted_date", "in_force_date"), ("applies_from", "transition_ends"),
            "repealed_date", "successor",
        ]}),
        (_("Conformity"), {"fields": ["conformity_route", "conformity_notes", "marking"]}),
        (_("Scope by sector and product"), {"fields": ["sectors", "hs_codes"]}),
        (_("Provenance"), {"fields": ["source_url", "last_verified", "curator", "published"]}),
    ]  # fmt: skip


@admin.register(Citation)
class CitationAdmin(ChangeRecordingAdmin, SimpleHistoryAdmin, TabbedTranslationAdmin):
    list_display = ["regulation", "standard", "kind", "date_cited", "presumption_ends"]
    list_filter = ["kind", "regulation"]
    list_select_related = ["regulation", "standard"]
    search_fields = ["standard__identifier", "regulation__reference", "oj_reference"]
    autocomplete_fields = ["regulation", "standard", "replaces"]

    def save_related(self, request, form, formsets, change):
        admin.ModelAdmin.save_related(self, request, form, formsets, change)
        changes.record_changes(
            Citation,
            form.instance._snapshot_before,
            [form.instance.pk],
            actor=request.user,
            via=ChangeVia.ADMIN,
        )


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The change log is written by the system; everyone reads it, nobody edits it."""

    list_display = ["occurred_on", "created_at", "kind", "standard", "regulation", "via", "actor"]
    list_filter = ["kind", "via", "sectors"]
    list_select_related = ["standard", "regulation", "actor"]
    search_fields = ["standard__identifier", "regulation__reference"]
    readonly_fields = [f.name for f in Change._meta.fields] + ["sectors"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TranslationQueueAdmin(admin.ModelAdmin):
    """Records whose Chinese or English title is missing, machine-made or unverified."""

    list_display = ["__str__", "awaiting", "title_en", "title_zh_hans", "title_en_source",
                    "title_zh_hans_source", "translation_verified"]  # fmt: skip
    list_editable = ["title_en", "title_zh_hans", "title_en_source", "title_zh_hans_source",
                     "translation_verified"]  # fmt: skip
    list_filter = [TranslationFilter]
    actions = ["mark_translation_verified"]

    def get_queryset(self, request):
        # Titles awaiting translation first, then machine translations, then the rest.
        missing = Q()
        for field in ("title_en", "title_zh_hans"):
            missing |= Q(**{field: ""}) | Q(**{f"{field}__isnull": True})
        machine = Q(title_en_source="machine") | Q(title_zh_hans_source="machine")
        # ModelAdmin.get_queryset orders before the annotation exists: order after it.
        return (
            self.model._default_manager.get_queryset()
            .needs_translation()
            .annotate(
                queue_rank=models.Case(
                    models.When(missing, then=0),
                    models.When(machine, then=1),
                    default=2,
                    output_field=models.IntegerField(),
                )
            )
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request):
        return ["queue_rank", "pk"]

    @admin.display(description=_("awaiting translation"), ordering="queue_rank")
    def awaiting(self, obj) -> str:
        """The languages whose title is missing."""
        names = [
            str(label)
            for field, label in (("title_en", _("English")), ("title_zh_hans", _("Chinese")))
            if not getattr(obj, field)
        ]
        return ", ".join(names) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StandardTranslationQueue)
class StandardTranslationQueueAdmin(ChangeRecordingAdmin, TranslationQueueAdmin):
    search_fields = ["identifier", "title_en", "title_zh_hans"]


@admin.register(RegulationTranslationQueue)
class RegulationTranslationQueueAdmin(ChangeRecordingAdmin, TranslationQueueAdmin):
    search_fields = ["reference", "title_en", "title_zh_hans"]


class ProductScopeInline(TranslationTabularInline):
    """The product's scoping decisions, each with its source; the key is read from the
    reference (ProductScope.clean)."""

    model = ProductScope
    extra = 0
    fields = ["effect", "record", "reference", "key", "reason", "source_url"]
    readonly_fields = ["key"]


# A product term's scoping decisions name acts and standards, which sectors does not
# know: its admin gains them here, where both are known.
admin.site.unregister(ProductTerm)


@admin.register(ProductTerm)
class ProductTermWithScopeAdmin(ProductTermAdmin):
    list_display = [*ProductTermAdmin.list_display, "scoped"]
    inlines = [*ProductTermAdmin.inlines, ProductScopeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(scope_count=Count("scopes"))

    @admin.display(description=_("scoping decisions"), ordering="scope_count")
    def scoped(self, obj) -> int:
        return obj.scope_count
