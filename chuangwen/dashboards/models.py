"""The dashboards keep no data of their own, only the generation that versions their cache."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CacheGeneration(models.Model):
    """One row whose counter goes up whenever what a dashboard shows may have changed.

    Kept in the database, not the cache: with the default in-process cache every web worker (and the task
    worker, which escalates cases) must see the same generation, and a rolled-back change rolls its bump back.
    """

    value = models.PositiveBigIntegerField(_("缓存代数"), default=0)

    class Meta:
        verbose_name = _("看板缓存代数")
        verbose_name_plural = _("看板缓存代数")

    def __str__(self) -> str:
        return str(self.value)
