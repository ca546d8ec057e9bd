from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "chuangwen.sites"
    label = "sites"
    verbose_name = _("点位")

    def ready(self) -> None:
        from chuangwen.core.imports import register_sheet

        register_sheet("sites", "chuangwen.sites.spreadsheets.SiteSheet")
