from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "chuangwen.workdays"
    label = "workdays"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        # Saving or deleting a calendar row invalidates the per-process calendar cache.
        from chuangwen.workdays import signals  # noqa: F401
