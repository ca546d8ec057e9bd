from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "chuangwen.reports"
    label = "reports"
    verbose_name = _("市民随手拍")

    def ready(self) -> None:
        from chuangwen.evidence import privacy
        from chuangwen.reports.public import is_public_after_photo

        if is_public_after_photo not in privacy.PUBLIC_CHECKS:
            privacy.PUBLIC_CHECKS.append(is_public_after_photo)
