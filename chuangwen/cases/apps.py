from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "chuangwen.cases"
    label = "cases"
    verbose_name = _("案卷")

    def ready(self) -> None:
        from chuangwen.cases import signals

        signals.connect()
