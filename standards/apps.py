from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = _("Standards and regulations")

    def ready(self) -> None:
        from standards.search import log  # noqa: F401 (connects the deletion signals)
