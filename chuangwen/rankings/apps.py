from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingsConfig(AppConfig):
    name = "chuangwen.rankings"
    label = "rankings"
    verbose_name = _("排名与指数")
