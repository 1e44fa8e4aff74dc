from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cesip import views
from cesip.sitemaps import SITEMAPS

admin.site.site_header = _("CESIP catalogue administration")
admin.site.site_title = _("CESIP administration")
admin.site.index_title = _("Catalogue and accounts")

urlpatterns = [
    path("", views.root, name="root"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", views.favicon),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS}, name="sitemap_index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
    ),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("", include("standards.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)
