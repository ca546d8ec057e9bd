from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    name = "chuangwen.standards"
    label = "standards"
    verbose_name = _("测评体系")

    def ready(self) -> None:
        from chuangwen.standards import signals

        signals.connect()  # a frozen version's indicator links cannot change either
