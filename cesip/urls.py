from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView
from django.views.i18n import set_language

from cesip import views
from cesip.sitemaps import SITEMAPS

# 404, 403 and 400 are Django's own views with the templates of the same names; the 500
# page must render without the database, and says 503 when that is what failed.
handler500 = "cesip.views.server_error"

admin.site.site_header = _("CESIP catalogue administration")
admin.site.site_title = _("CESIP administration")
admin.site.index_title = _("Catalogue and accounts")

urlpatterns = [
    path("", views.root, name="root"),
    # The language switch on every page sets nothing but the visitor's language cookie:
    # it needs no CSRF token, so public pages carry none and can be cached for everyone.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
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
