from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectConfig(AppConfig):
    name = "chuangwen.inspect"
    label = "inspect"
    verbose_name = _("现场测评")
