"""Any saved or deleted CalendarDay bumps the calendar version, so cached lookups are rebuilt."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from chuangwen.workdays.models import CalendarDay
from chuangwen.workdays.services import invalidate


@receiver(post_save, sender=CalendarDay, dispatch_uid="workdays_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="workdays_deleted")
def _calendar_changed(sender: type[CalendarDay], **kwargs: Any) -> None:
    invalidate()
