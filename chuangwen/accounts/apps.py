from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "chuangwen.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        # Connects the permission-change audit handlers.
        from chuangwen.accounts import signals  # noqa: F401
        from chuangwen.accounts.first_admin import production_start_refusal
        from chuangwen.core import start_checks

        start_checks.register(production_start_refusal)
