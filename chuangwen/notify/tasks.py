"""Outgoing messages on the task queue (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chuangwen.notify import services
from chuangwen.notify.models import OPEN_STATUSES, Delivery


@db_task()
def send_delivery(delivery_id: int) -> None:
    """Attempt one delivery if it is due; retries follow our own back-off (services.BACKOFF), not huey's."""
    delivery = Delivery.objects.filter(
        pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=timezone.now()
    ).first()
    if delivery is not None:
        services.deliver(delivery)


@db_periodic_task(crontab(minute="*"))
def retry_deliveries() -> None:
    """Every minute: attempt the deliveries whose next attempt is due (and any the queue never ran)."""
    services.retry_due()
