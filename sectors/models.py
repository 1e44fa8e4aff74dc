from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cesip.sources import source_problem, validate_source_url


class TranslationSource(models.TextChoices):
    """How far a reader can trust a translated text."""

    OFFICIAL = "official", _("Official")
    # The official title of an identical (IDT) adoption in the other language: a GB that
    # adopts IEC 60335-1 IDT gives the IEC standard its official Chinese title.
    ADOPTION = "adoption", _("From the identical adoption")
    CURATOR = "curator", _("Curator")
    MACHINE = "machine", _("Machine")


class IcsCode(models.Model):
    """International Classification for Standards (ISO), three levels."""

    class Level(models.TextChoices):
        FIELD = "field", pgettext_lazy("ICS level", "Field")
        GROUP = "group", pgettext_lazy("ICS level", "Group")
        SUBGROUP = "subgroup", pgettext_lazy("ICS level", "Sub-group")

    code = models.CharField(_("code"), max_length=12, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    title = models.CharField(_("title"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    title_zh_hans_source = models.CharField(
        _("source of the Chinese title"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("ICS code")
        verbose_name_plural = _("ICS codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CcsCode(models.Model):
    """China Classification for Standards (中国标准文献分类法), printed on every GB."""

    class Level(models.TextChoices):
        CATEGORY = "category", pgettext_lazy("CCS level", "Category")
        GROUP = "group", pgettext_lazy("CCS level", "Group")
        CLASS = "class", pgettext_lazy("CCS level", "Class")

    code = models.CharField(_("code"), max_length=12, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    name_en_source = models.CharField(
        _("source of the English name"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("CCS code")
        verbose_name_plural = _("CCS codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HsCode(models.Model):
    """Harmonized System 2022: chapters, headings, subheadings, and national extensions."""

    class Level(models.IntegerChoices):
        CHAPTER = 2, _("Chapter")
        HEADING = 4, _("Heading")
        SUBHEADING = 6, _("Subheading")
        NATIONAL_8 = 8, _("National (8 digits)")
        NATIONAL_10 = 10, _("National (10 digits)")

    code = models.CharField(_("code"), max_length=10, unique=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    section = models.CharField(_("section"), max_length=5, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"))
    description_zh_hans_source = models.CharField(
        _("source of the Chinese description"),
        max_length=10,
        choices=TranslationSource.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("HS code")
        verbose_name_plural = _("HS codes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    code__regex=r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?)?$"
                ),
                name="hscode_digits",
                violation_error_message=_("An HS code is 2, 4, 6, 8 or 10 digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class Sector(models.Model):
    """A product sector: the way exporters enter the catalogue."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    market_access_eu_to_cn = models.TextField(
        _("market access, EU to China"),
        blank=True,
        help_text=_("What a European exporter must do to sell these products in China."),
    )
    market_access_cn_to_eu = models.TextField(
        _("market access, China to EU"),
        blank=True,
        help_text=_("What a Chinese exporter must do to sell these products in the EU."),
    )
    market_access_sources = models.TextField(
        _("market-access sources"),
        blank=True,
        help_text=_("The pages the market-access notes were written from, one URL per line."),
    )
    ics_codes = models.ManyToManyField(
        IcsCode, verbose_name=_("ICS codes"), blank=True, related_name="sectors"
    )
    ccs_codes = models.ManyToManyField(
        CcsCode, verbose_name=_("CCS codes"), blank=True, related_name="sectors"
    )
    hs_codes = models.ManyToManyField(
        HsCode, verbose_name=_("HS codes"), blank=True, related_name="sectors"
    )
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["ordering", "slug"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("standards:sector_detail", args=[self.slug])

    def clean(self) -> None:
        """Each market-access source must be a page CESIP may link: http or https, not on
        the deny-list (cesip.sources). The admin shows why a line is refused."""
        problems = [
            _("Line %(line)s: %(problem)s") % {"line": number, "problem": problem}
            for number, line in enumerate(self.market_access_sources.splitlines(), start=1)
            if (problem := source_problem(line))
        ]
        if problems:
            raise ValidationError({"market_access_sources": problems})


class ProductTerm(models.Model):
    """An everyday product word ("hair dryer", "电吹风") pointing to HS codes and sectors.

    HS wording is formal ("hair-dressing apparatus"), so these terms are what lets a
    product search reach the right codes and, through them, standards and regulations.
    Terms form a hierarchy: a broad product ("toys") has narrower ones ("plush toy",
    "ride-on toy"), and each can be scoped (ProductScope) where its HS code says too much
    or too little.
    """

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("broader product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="narrower",
        help_text=_("The broad product this one is a kind of: toys for plush toy."),
    )
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_("Other words for the same product, one per line, in either language."),
    )
    hs_codes = models.ManyToManyField(
        HsCode, verbose_name=_("HS codes"), blank=True, related_name="product_terms"
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("sectors"), blank=True, related_name="product_terms"
    )
    source_url = models.URLField(
        _("source URL"), max_length=500, blank=True, validators=[validate_source_url]
    )

    class Meta:
        verbose_name = _("product term")
        verbose_name_plural = _("product terms")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="productterm_not_its_own_parent",
                violation_error_message=_("A product cannot be its own broader product."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """No loop in the hierarchy: the broader product is not this one nor one of its
        narrower products."""
        seen, broader = {self.pk}, self.parent
        while broader is not None:
            if broader.pk in seen:
                raise ValidationError(
                    {"parent": _("This would make the product narrower than itself.")}
                )
            seen.add(broader.pk)
            broader = broader.parent
