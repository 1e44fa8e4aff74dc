from modeltranslation.translator import TranslationOptions, register, translator

from standards.models import (
    Body,
    Citation,
    ProductScope,
    RegulationFormality,
    RegulationTranslationQueue,
    Standard,
    StandardTranslationQueue,
    TechnicalRegulation,
)


class StandardTranslationOptions(TranslationOptions):
    fields = ("title", "scope", "committee_name", "proposing_body")
    required_languages = ()


class TechnicalRegulationTranslationOptions(TranslationOptions):
    fields = (
        "short_name", "title", "scope", "authority", "conformity_notes", "competent_authority",
    )  # fmt: skip
    required_languages = {"en": ("short_name", "title")}


class CitationTranslationOptions(TranslationOptions):
    fields = ("restrictions",)


class RegulationFormalityTranslationOptions(TranslationOptions):
    fields = ("basis", "condition")


@register(Body)
class BodyTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = {"en": ("name",)}


# simple-history's tables only get the per-language columns when the historical
# models are registered with the same options.
for model, options in [
    (Standard, StandardTranslationOptions),
    (TechnicalRegulation, TechnicalRegulationTranslationOptions),
    (Citation, CitationTranslationOptions),
    (RegulationFormality, RegulationFormalityTranslationOptions),
]:
    translator.register(model, options)
    translator.register(model.history.model, options)

# The translation queue proxies share the columns; registering them refreshes their field cache.
translator.register(StandardTranslationQueue, StandardTranslationOptions)
translator.register(RegulationTranslationQueue, TechnicalRegulationTranslationOptions)


@register(ProductScope)
class ProductScopeTranslationOptions(TranslationOptions):
    fields = ("reason",)
    required_languages = {"en": ("reason",), "zh-hans": ("reason",)}
