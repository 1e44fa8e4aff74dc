from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from cesip.sources import validate_source_url
from sectors.models import CcsCode, HsCode, IcsCode, ProductTerm, Sector


class MissingChineseFilter(admin.SimpleListFilter):
    title = _("Chinese text")
    parameter_name = "chinese"
    field = "title_zh_hans"

    def lookups(self, request, model_admin):
        return [("missing", _("Missing")), ("present", _("Present"))]

    def queryset(self, request, queryset):
        missing = Q(**{self.field: ""}) | Q(**{f"{self.field}__isnull": True})
        if self.value() == "missing":
            return queryset.filter(missing)
        if self.value() == "present":
            return queryset.exclude(missing)
        return queryset


class MissingEnglishNameFilter(MissingChineseFilter):
    title = _("English text")
    parameter_name = "english"
    field = "name_en"


class MissingChineseDescriptionFilter(MissingChineseFilter):
    field = "description_zh_hans"


@admin.register(Sector)
class SectorAdmin(TabbedTranslationAdmin):
    list_display = ["name", "slug", "ordering"]
    list_editable = ["ordering"]
    search_fields = ["slug", "name_en", "name_zh_hans"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["ics_codes", "ccs_codes", "hs_codes"]


@admin.register(IcsCode)
class IcsCodeAdmin(TabbedTranslationAdmin):
    list_display = ["code", "title_en", "title_zh_hans", "level"]
    list_filter = ["level", MissingChineseFilter]
    search_fields = ["code", "title_en", "title_zh_hans"]
    autocomplete_fields = ["parent"]
    list_per_page = 100


@admin.register(CcsCode)
class CcsCodeAdmin(TabbedTranslationAdmin):
    list_display = ["code", "name_zh_hans", "name_en", "level"]
    list_filter = ["level", MissingEnglishNameFilter]
    search_fields = ["code", "name_zh_hans", "name_en"]
    autocomplete_fields = ["parent"]
    list_per_page = 100


@admin.register(HsCode)
class HsCodeAdmin(TabbedTranslationAdmin):
    list_display = ["code", "description_en", "description_zh_hans", "level"]
    list_filter = ["level", MissingChineseDescriptionFilter]
    search_fields = ["code", "description_en", "description_zh_hans"]
    autocomplete_fields = ["parent"]
    list_per_page = 100


class ProductTermAdminForm(forms.ModelForm):
    """The source must be http(s) and not on the deny-list of sources (cesip.sources);
    a refused link says why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_url"].validators = [validate_source_url]


class BroadOrNarrowFilter(admin.SimpleListFilter):
    title = _("place in the hierarchy")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("broad", _("Broad (has narrower products)")), ("narrow", _("Narrower"))]

    def queryset(self, request, queryset):
        if self.value() == "broad":
            return queryset.filter(narrower__isnull=False).distinct()
        if self.value() == "narrow":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(ProductTerm)
class ProductTermAdmin(TabbedTranslationAdmin):
    form = ProductTermAdminForm
    list_display = ["name_en", "name_zh_hans", "parent"]
    list_filter = [BroadOrNarrowFilter, "sectors"]
    list_select_related = ["parent"]
    search_fields = ["name_en", "name_zh_hans", "synonyms"]
    autocomplete_fields = ["parent", "hs_codes", "sectors"]
