"""sitemap.xml: every public page in both languages, with hreflang alternates."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from sectors.models import Sector
from standards.models import Standard, TechnicalRegulation


class CesipSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    limit = 20000  # per page, times two languages

    def get_urls(self, page=1, site=None, protocol=None):
        # Canonical URLs use SITE_URL, whatever host the sitemap was asked from.
        url = urlsplit(settings.SITE_URL)
        return super().get_urls(page, SimpleNamespace(domain=url.netloc), url.scheme)


class StandardSitemap(CesipSitemap):
    changefreq = "weekly"

    def items(self):
        return Standard.objects.public().only("slug", "updated_at").order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class RegulationSitemap(CesipSitemap):
    changefreq = "weekly"

    def items(self):
        return TechnicalRegulation.objects.public().only("slug", "updated_at")

    def lastmod(self, item):
        return item.updated_at


class SectorSitemap(CesipSitemap):
    changefreq = "daily"

    def items(self):
        return Sector.objects.all()


class PageSitemap(CesipSitemap):
    changefreq = "daily"

    def items(self):
        return [
            "home",
            "standards:search",
            "standards:product_finder",
            "standards:calendar",
            "standards:changes",
            "standards:glossary",
        ]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "sectors": SectorSitemap,
    "regulations": RegulationSitemap,
    "standards": StandardSitemap,
}
