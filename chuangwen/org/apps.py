from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "chuangwen.org"
    label = "org"
    verbose_name = _("组织机构")

    def ready(self) -> None:
        from chuangwen.core.imports import register_sheet

        register_sheet("units", "chuangwen.org.spreadsheets.UnitSheet")
        register_sheet("users", "chuangwen.org.spreadsheets.UserSheet")
