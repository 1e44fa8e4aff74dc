from modeltranslation.translator import TranslationOptions, register

from sectors.models import Sector


@register(Sector)
class SectorTranslationOptions(TranslationOptions):
    fields = ("name", "summary")
    required_languages = ("en", "zh-hans")
