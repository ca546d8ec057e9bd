from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "chuangwen.evidence"
    label = "evidence"
    verbose_name = _("证据")

    def ready(self) -> None:
        from chuangwen.evidence.images import limit_pillow_pixels

        limit_pillow_pixels()  # every Image.open of the process refuses decompression bombs
