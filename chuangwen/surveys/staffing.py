"""A wave's staff (interviewers and supervisors): who may be on it, adding one (or changing the role) and
removing one — the wave page's staff form and the API, with one audit entry each (``survey.wave.staff``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from chuangwen.accounts.capabilities import REGISTRY_ROLES
from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.surveys.models import WaveStaff, WaveState
from chuangwen.surveys.services import Refused

if TYPE_CHECKING:
    from chuangwen.surveys.models import Wave


def candidates(wave: Wave) -> QuerySet[User]:
    """Who may be on the wave's staff: people of the office's tree whose role uses the survey pages."""
    return (
        User.objects.filter(
            unit__path__startswith=wave.owner_unit.path, is_active=True, role__in=list(REGISTRY_ROLES)
        )
        .select_related("unit")
        .order_by("unit__path", "username")
    )


def on_staff(wave: Wave) -> QuerySet[User]:
    """Anyone on the staff, also someone who has since moved out of the office's tree (so can be removed)."""
    return User.objects.filter(survey_roles__wave=wave)


def add(wave: Wave, person: User, role: str, *, request: HttpRequest | None = None) -> None:
    """Put ``person`` (one of ``candidates``) on the staff as ``role``; refused once results are published."""
    if wave.state == WaveState.PUBLISHED:
        raise Refused("published", _("本轮调查结果已发布，不能再添加人员"))
    WaveStaff.objects.update_or_create(wave=wave, user=person, defaults={"role": role})
    record(request, "survey.wave.staff", obj=wave, detail={"user": person.pk, "action": "add", "role": role})


def remove(wave: Wave, person: User, *, request: HttpRequest | None = None) -> None:
    removed, _kinds = WaveStaff.objects.filter(wave=wave, user=person).delete()
    if not removed:
        name = person.full_name or person.username
        raise Refused("not_staff", _("%(name)s 不是本轮调查的人员") % {"name": name})
    record(request, "survey.wave.staff", obj=wave, detail={"user": person.pk, "action": "remove"})
