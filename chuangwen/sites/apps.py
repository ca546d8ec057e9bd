from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "chuangwen.sites"
    label = "sites"
    verbose_name = _("点位")

    def ready(self) -> None:
        from chuangwen.core.imports import register_sheet

        register_sheet("sites", "chuangwen.sites.spreadsheets.SiteSheet")
        from chuangwen.org.signals import boundaries_changed
        from chuangwen.sites.services import relocate_after_boundaries_changed

        boundaries_changed.connect(relocate_after_boundaries_changed, dispatch_uid="sites.relocate")
