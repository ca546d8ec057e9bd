from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "chuangwen.bulletins"
    label = "bulletins"
    verbose_name = _("通报")

    def ready(self) -> None:
        from chuangwen.bulletins.exposure import is_public_photo
        from chuangwen.evidence import privacy

        # The typical problems' photos of a bulletin on the 曝光台 are served as blurred public copies.
        if is_public_photo not in privacy.PUBLIC_CHECKS:
            privacy.PUBLIC_CHECKS.append(is_public_photo)
