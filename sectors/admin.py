from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin

from sectors.models import Sector


@admin.register(Sector)
class SectorAdmin(TabbedTranslationAdmin):
    list_display = ["name", "slug", "ordering"]
    list_editable = ["ordering"]
    search_fields = ["slug", "name_en", "name_zh_hans"]
    prepopulated_fields = {"slug": ["name"]}
