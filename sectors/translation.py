from modeltranslation.translator import TranslationOptions, register

from sectors.models import CcsCode, HsCode, IcsCode, ProductTerm, Sector


@register(Sector)
class SectorTranslationOptions(TranslationOptions):
    fields = ("name", "summary", "market_access_eu_to_cn", "market_access_cn_to_eu")
    required_languages = {"en": ("name",), "zh-hans": ("name",)}


@register(IcsCode)
class IcsCodeTranslationOptions(TranslationOptions):
    fields = ("title",)
    required_languages = {"en": ("title",)}


@register(CcsCode)
class CcsCodeTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = {"zh-hans": ("name",)}


@register(HsCode)
class HsCodeTranslationOptions(TranslationOptions):
    fields = ("description",)
    required_languages = {"en": ("description",)}


@register(ProductTerm)
class ProductTermTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = {"en": ("name",), "zh-hans": ("name",)}
