"""What every 网上申报 page shares: who may come in (403 for a role without the capability), the records found
only through their ``visible_to`` (404 outside the viewer's scope), and small context helpers."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.core.web import user_of
from chuangwen.materials.models import Material, Period, Task


def member(request: HttpRequest) -> User:
    """The signed-in user, if the role files or reviews materials; 403 otherwise."""
    user = user_of(request)
    if not capabilities.may_see_materials(user):
        raise PermissionDenied(_("您的角色不使用网上申报。"))
    return user


def unit_id_of(user: User) -> int:
    """The unit of a user ``member`` let in (the capability needs a unit)."""
    assert user.unit_id is not None
    return user.unit_id


def is_office(user: User) -> bool:
    """The 文明办 side (coordinators, leaders): the periods, the board and the summary of their scope."""
    return capabilities.may_oversee(user)


def nav_flags(user: User) -> dict[str, bool]:
    """Which of a period's pages its links offer: summary and ledger to the office, review to reviewers."""
    return {"office": is_office(user), "reviewer_link": user.role in (Role.UNIT_HEAD, Role.COORDINATOR)}


def runs_period(user: User, period: Period) -> bool:
    """A coordinator of the office that runs the period (or of one above it)."""
    if not capabilities.may_run_materials(user) or user.unit is None:
        return False
    return bool(period.owner_unit.path.startswith(user.unit.path))


def require_runs(user: User, period: Period) -> None:
    if not runs_period(user, period):
        raise PermissionDenied(_("只有组织本申报周期的文明办协调员可以执行此操作。"))


def visible_period(request: HttpRequest, period_id: int) -> Period:
    user = member(request)
    return get_object_or_404(
        Period.objects.visible_to(user).select_related("owner_unit", "standard"), pk=period_id
    )


def visible_task(request: HttpRequest, task_id: int) -> Task:
    user = member(request)
    queryset = Task.objects.visible_to(user).select_related(
        "period__owner_unit", "indicator__content__project", "lead_unit"
    )
    return get_object_or_404(queryset, pk=task_id)


def visible_material(request: HttpRequest, material_id: int) -> Material:
    user = member(request)
    queryset = Material.objects.visible_to(user).select_related(
        "task__period__owner_unit", "task__indicator", "unit", "file", "uploaded_by"
    )
    return get_object_or_404(queryset, pk=material_id)


def today() -> date:
    return timezone.localdate()
