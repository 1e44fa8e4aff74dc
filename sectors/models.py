from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.Model):
    """A product sector: the way exporters enter the catalogue."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["ordering", "slug"]

    def __str__(self) -> str:
        return self.name
