from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The top of the house: the demo district builder (``demo-data``) and ``up``, which sets the embedded
    default up and runs it. Nothing else imports this app."""

    name = "chuangwen.demo"
    label = "demo"
    verbose_name = _("演示数据")
