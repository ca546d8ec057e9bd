"""Residents' service requests (点单 → 派单 → 接单 → 评单): the public submission, the one door through
which a request changes state (``transition``, reading ``request_machine.TRANSITIONS``), what a viewer may
do and see.

Every refusal is a ``services.Refused`` naming the field; nothing is written then. A request a staff member
may not see is never found (``visible``): the pages and the API answer 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.core.bounds import date_error
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports import limits
from chuangwen.reports.masking import mask_phone
from chuangwen.volunteers import request_machine as machine
from chuangwen.volunteers import services
from chuangwen.volunteers.models import (
    Activity,
    RequestEvent,
    RequestState,
    ServiceRequest,
    Team,
)
from chuangwen.volunteers.request_machine import Actor, Requester, Transition
from chuangwen.volunteers.services import Refused

if TYPE_CHECKING:
    from django.db.models import QuerySet


class ServiceCategory(models.TextChoices):
    """What a resident may ask for (the public form's fixed list)."""

    ELDERLY = "elderly", gettext_lazy("助老助残")
    ENVIRONMENT = "environment", gettext_lazy("环境整治")
    CIVILITY = "civility", gettext_lazy("文明劝导")
    SORTING = "sorting", gettext_lazy("垃圾分类宣传")
    POLICY = "policy", gettext_lazy("政策宣讲")
    CHILDREN = "children", gettext_lazy("关爱儿童")
    OTHER = "other", gettext_lazy("其他")


DESCRIPTION_MAX, NAME_MAX, REASON_MAX, COMMENT_MAX = 1000, 50, 500, 300
CODE_PREFIX = "XQ"
FIELD_LABELS: dict[str, Any] = {
    "unit": gettext_lazy("所在社区"),
    "category": gettext_lazy("服务类别"),
    "description": gettext_lazy("需求内容"),
    "requester_name": gettext_lazy("联系人"),
    "requester_phone": gettext_lazy("联系电话"),
    "wanted_on": gettext_lazy("希望服务日期"),
    "client_id": gettext_lazy("提交请求编号"),
    "reason": gettext_lazy("理由"),
    "team": gettext_lazy("服务队伍"),
    "activity": gettext_lazy("服务活动"),
    "note": gettext_lazy("说明"),
    "rating": gettext_lazy("评价"),
    "rating_comment": gettext_lazy("评价意见"),
    "version": gettext_lazy("版本号"),
    "action": gettext_lazy("操作"),
    "limit": gettext_lazy("提交次数"),
}


def refusal_text(exc: Refused) -> str:
    """「字段：说明」 when the refusal concerns a field, else the message alone."""
    label = FIELD_LABELS.get(exc.field)
    return f"{label}：{exc.message}" if label and not exc.message.startswith(str(label)) else exc.message


# --- who sees what ------------------------------------------------------------------------------------------


def visible(user: User) -> QuerySet[ServiceRequest]:
    """The requests of the staff's unit subtree (``visible_to``), and those dispatched to a team the user
    manages; nothing for anyone else."""
    if not user.is_authenticated:
        return ServiceRequest.objects.none()
    mine = Q(team__managers=user)
    if user.role in services.STAFF_ROLES:
        mine |= Q(pk__in=ServiceRequest.objects.visible_to(user).values("pk"))
    found = ServiceRequest.objects.filter(pk__in=ServiceRequest.objects.filter(mine).values("pk"))
    return found.select_related("unit", "team", "activity")


def may_use(user: User) -> bool:
    """Staff roles, and anyone who manages a team, use the staff pages and the API of requests."""
    return bool(
        user.is_authenticated
        and (user.role in services.STAFF_ROLES or Team.objects.filter(managers=user).exists())
    )


def phone_for(user: Any, request: ServiceRequest) -> str:
    """The requester's number in full to the staff of the request's community (detail page only)."""
    if isinstance(user, User) and services.is_staff_for(user, request.unit):
        return request.requester_phone
    return mask_phone(request.requester_phone)


def allowed_actions(request: ServiceRequest, actor: Actor) -> list[Transition]:
    return machine.available(request, actor)


def dispatch_teams(request: ServiceRequest) -> QuerySet[Team]:
    """The teams a request may go to: active teams of its community (the station's) or below, and of the
    units above it (the street's, the district's)."""
    line = Q(unit__path__startswith=request.unit.path) | Q(unit_id__in=request.unit.lineage_ids)
    return Team.objects.filter(line, active=True).select_related("unit").order_by("unit__path", "code")


def counts_by_state(queryset: QuerySet[ServiceRequest]) -> dict[str, int]:
    rows = queryset.order_by().values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def find_by_token(token: str) -> ServiceRequest | None:
    if not token or len(token) > 64:
        return None
    return ServiceRequest.objects.select_related("unit", "team").filter(access_token=token).first()


def communities() -> QuerySet[Unit]:
    return Unit.objects.filter(kind=UnitKind.COMMUNITY, active=True).order_by("path")


# --- 点单 ---------------------------------------------------------------------------------------------------


@dataclass
class Submission:
    unit_id: int | None
    category: str
    description: str
    requester_name: str
    requester_phone: str
    client_id: uuid.UUID
    wanted_on: date | None = None


def request_limits(ip: str | None, device: str | None) -> list[limits.Limit]:
    """The limits a public submission falls under: its sender address and its device."""
    window = settings.VOLUNTEER_WINDOW_SECONDS
    found = []
    if ip:
        message = _("提交过于频繁：同一网络 %(window)s内最多提交 %(n)d 个服务需求，请于 %(when)s 后再试")
        limit = settings.VOLUNTEER_REQUEST_ADDRESS_LIMIT
        key = f"vrequest:address:{limits.keyed_hash('address', ip)}"
        found.append(limits.Limit("address", key, max(1, limit), max(1, window), message))
    if device:
        message = _("提交过于频繁：同一设备 %(window)s内最多提交 %(n)d 个服务需求，请于 %(when)s 后再试")
        limit = settings.VOLUNTEER_REQUEST_DEVICE_LIMIT
        key = f"vrequest:device:{limits.keyed_hash('device', device)}"
        found.append(limits.Limit("device", key, max(1, limit), max(1, window), message))
    return found


def _check(sub: Submission, today: date) -> tuple[Unit, str, str, str, str]:
    unit = None
    if sub.unit_id is not None and 1 <= sub.unit_id < 2**63:
        unit = communities().filter(pk=sub.unit_id).first()
    if unit is None:
        raise Refused("invalid", _("请选择所在社区"), "unit")
    if sub.category not in ServiceCategory.values:
        raise Refused("invalid", _("请选择服务类别"), "category")
    description = (sub.description or "").strip()
    if not description or len(description) > DESCRIPTION_MAX:
        raise Refused(
            "invalid", _("请填写需求内容（不超过 %(n)d 字）") % {"n": DESCRIPTION_MAX}, "description"
        )
    name = (sub.requester_name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise Refused("invalid", _("请填写联系人（不超过 %(n)d 字）") % {"n": NAME_MAX}, "requester_name")
    phone = (sub.requester_phone or "").strip()
    if not services.PHONE_RE.match(phone):
        raise Refused("invalid", _("请填写 11 位手机号码"), "requester_phone")
    if sub.wanted_on is not None:
        reason = date_error(sub.wanted_on, str(FIELD_LABELS["wanted_on"]))
        if reason is not None:
            raise Refused("invalid", reason, "wanted_on")
        if sub.wanted_on < today:
            raise Refused("invalid", _("希望服务日期不能早于今天"), "wanted_on")
    return unit, sub.category, description, name, phone


def _next_code(day: date) -> str:
    prefix = f"{CODE_PREFIX}{day:%Y%m%d}"
    last = ServiceRequest.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def submit(
    sub: Submission,
    *,
    ip: str | None = None,
    device: str | None = None,
    submitted_by: User | None = None,
    now: datetime | None = None,
) -> ServiceRequest:
    """A new request in 待审核. The same ``client_id`` sent again answers the request it made (a resend after
    a lost answer creates nothing and counts nothing). Checked field by field, then counted against the
    address and device limits, then written with the next code of the day (XQ + yyyymmdd + 4 digits)."""
    now = now or timezone.now()
    done = ServiceRequest.objects.filter(client_id=sub.client_id).first()
    if done is not None:
        return done
    unit, category, description, name, phone = _check(sub, timezone.localdate(now))
    try:
        limits.take(request_limits(ip, device), now)
    except limits.RateLimited as exc:
        raise Refused("limited", exc.message, "limit") from None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                made = ServiceRequest.objects.create(
                    code=_next_code(timezone.localdate(now)),
                    client_id=sub.client_id,
                    unit=unit,
                    category=category,
                    description=description,
                    requester_name=name,
                    requester_phone=phone,
                    wanted_on=sub.wanted_on,
                    submitted_by=submitted_by if submitted_by and submitted_by.is_authenticated else None,
                    created_at=now,
                    updated_at=now,
                )
                RequestEvent.objects.create(
                    request=made, action="submit", from_state="", to_state=made.state,
                    actor=made.submitted_by, at=now,
                )  # fmt: skip
                record(
                    None, "volunteer.request_submit", obj=made, actor=made.submitted_by,
                    detail={"code": made.code, "unit": unit.pk, "category": category},
                )  # fmt: skip
                return made
        except IntegrityError:
            done = ServiceRequest.objects.filter(client_id=sub.client_id).first()
            if done is not None:  # the same submission, sent twice at once
                return done
            continue  # two requests took the same code at once: take the next
    raise Refused("busy", _("提交人数较多，请稍后重试"))


# --- the workflow -------------------------------------------------------------------------------------------


def _as_actor(user_or_token: User | Requester | str) -> Actor:
    return Requester(user_or_token) if isinstance(user_or_token, str) else user_or_token


def _check_inputs(
    locked: ServiceRequest,
    step: Transition,
    actor: Actor,
    *,
    reason: str,
    team_id: int | None,
    activity_id: int | None,
    rating: int | None,
) -> dict[str, Any]:
    """The fields the step changes, from what the actor gave (refused field by field)."""
    updates: dict[str, Any] = {}
    if step.needs_reason and not reason:
        raise Refused("invalid", _("请填写理由"), "reason")
    if len(reason) > (COMMENT_MAX if step.takes_rating else REASON_MAX):
        limit = COMMENT_MAX if step.takes_rating else REASON_MAX
        field = "rating_comment" if step.takes_rating else "reason"
        raise Refused("invalid", _("不能超过 %(n)d 字") % {"n": limit}, field)
    if step.needs_team:
        team = dispatch_teams(locked).filter(pk=team_id).first() if team_id and 0 < team_id < 2**63 else None
        if team is None:
            raise Refused("invalid", _("请选择本社区或其上级单位的服务队伍"), "team")
        updates["team"] = team
    if step.action == "decline":
        updates["team"] = None
    if step.takes_activity and activity_id is not None:
        activity = None
        if 0 < activity_id < 2**63 and locked.team_id is not None:
            activity = Activity.objects.filter(pk=activity_id, team_id=locked.team_id).first()
        if activity is None:
            raise Refused("invalid", _("请选择本队伍的活动"), "activity")
        updates["activity"] = activity
    if step.takes_rating:
        if rating is None or not 1 <= rating <= 5:
            raise Refused("invalid", _("请选择 1–5 星"), "rating")
        updates["rating"], updates["rating_comment"] = rating, reason
    return updates


def transition(
    request: ServiceRequest,
    action: str,
    user_or_token: User | Requester | str,
    *,
    version: int | None = None,
    reason: str = "",
    team_id: int | None = None,
    activity_id: int | None = None,
    rating: int | None = None,
    now: datetime | None = None,
) -> ServiceRequest:
    """Take one step of the table. ``reason`` is the reason (不予受理, 退回), the note (服务完成, 撤销) or the
    rating's comment (评单). A ``version`` other than the request's current one is refused (``conflict``):
    someone else acted meanwhile. Writes the request, one ``RequestEvent`` and one audit entry together."""
    now = now or timezone.now()
    actor = _as_actor(user_or_token)
    step = machine.TRANSITIONS.get(action)
    if step is None:
        raise Refused("invalid", _("未知的操作"), "action")
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("unit", "team")
            .get(pk=request.pk)
        )
        if version is not None and version != locked.version:
            raise Refused("conflict", _("该服务需求刚被他人办理，请刷新后再试"), "version")
        if locked.state not in step.sources:
            raise Refused(
                "state",
                _("该服务需求当前为「%(s)s」，不能%(a)s")
                % {"s": locked.get_state_display(), "a": step.label},
            )
        if not machine.who_may(locked, step, actor):
            raise Refused("forbidden", _("只有%(who)s可以%(a)s") % {"who": step.who.label, "a": step.label})
        updates = _check_inputs(
            locked, step, actor, reason=reason, team_id=team_id, activity_id=activity_id, rating=rating
        )
        before = locked.state
        for name, value in updates.items():
            setattr(locked, name, value)
        locked.state, locked.version, locked.updated_at = step.target, locked.version + 1, now
        locked.save(update_fields=["state", "version", "updated_at", *updates])
        user = actor if isinstance(actor, User) else None
        note = reason
        if step.needs_team and locked.team is not None:
            note = _("派往 %(team)s") % {"team": locked.team.name}
        RequestEvent.objects.create(
            request=locked, action=step.action, from_state=before, to_state=step.target,
            actor=user, note=note[:500], at=now,
        )  # fmt: skip
        detail: dict[str, Any] = {"code": locked.code, "from": before, "to": step.target}
        if reason and not step.takes_rating:
            detail["reason"] = reason[:200]
        for name in ("team", "activity"):
            if name in updates:
                detail[name] = updates[name].pk if updates[name] is not None else None
        if step.takes_rating:
            detail["rating"] = locked.rating
        record(
            None,
            f"volunteer.request_{step.action}",
            obj=locked,
            actor=user,
            actor_name="" if user is not None else "requester",
            detail=detail,
        )
    return locked


# --- what the pages show ------------------------------------------------------------------------------------


def event_label(action: str) -> str:
    if action == "submit":
        return _("提交需求")
    step = machine.TRANSITIONS.get(action)
    return str(step.label) if step is not None else action


def timeline(request: ServiceRequest, *, public: bool) -> list[dict[str, Any]]:
    """The history, oldest first; the public page shows no staff names and no internal notes but the
    reasons a requester is owed (不予受理, 撤销)."""
    rows = []
    for event in request.events.select_related("actor"):
        item: dict[str, Any] = {
            "at": event.at,
            "action": event.action,
            "label": event_label(event.action),
            "to_state": RequestState(event.to_state).label if event.to_state else "",
            "note": event.note,
            "actor": event.actor.display_name if event.actor is not None else "",
        }
        if public:
            item["actor"] = ""
            if event.action not in ("reject", "cancel", "complete", "dispatch"):
                item["note"] = ""
        rows.append(item)
    return rows


def category_label(code: str) -> str:
    return str(ServiceCategory(code).label) if code in ServiceCategory.values else code
