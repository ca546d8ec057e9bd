"""A unit's outgoing channels (e-mail, DingTalk and WeCom robots): who keeps them and the audited writes.
The admin's 推送通道 and the API both go through here; the checks of an address are the model's ``clean``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from chuangwen.audit.services import record
from chuangwen.notify.models import Channel

# The office's coordinators and the system administrators, within their unit's subtree.
EDITOR_ROLES = frozenset({"coordinator", "admin"})
FIELDS = ("name", "kind", "target", "secret", "active")


def may_edit(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or getattr(user, "role", "") in EDITOR_ROLES)
    )


def visible_channels(user: Any) -> QuerySet[Channel]:
    from chuangwen.org.models import Unit

    channels = Channel.objects.select_related("unit")
    if user.is_superuser and user.unit_id is None:
        return channels
    return channels.filter(unit__in=Unit.objects.visible_to(user))


def save_channel(
    channel: Channel, changes: dict[str, Any], *, request: HttpRequest | None, action: str
) -> Channel:
    """Apply ``changes``, check the channel as the admin's form does (``ValidationError`` names the field),
    save and audit the names of the fields changed (never the target or secret: they are credentials)."""
    changed = [name for name in FIELDS if name in changes and getattr(channel, name) != changes[name]]
    for name in changed:
        setattr(channel, name, changes[name])
    channel.full_clean()
    with transaction.atomic():
        channel.save()
        record(request, action, obj=channel, detail={"fields": changed})
    return channel
