"""Who organises volunteer service: the 新时代文明实践 centre (district), institutes (streets) and stations
(communities), one per unit, and the volunteer teams of units and of the public, each with its managers.

Only staff of a unit or a unit above it (``services.is_staff_for``) create and change its body and teams; a
refusal names its field and changes nothing; every write is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.org.models import Unit, UnitKind
from chuangwen.volunteers.models import BodyKind, PracticeBody, Team, TeamKind, Volunteer
from chuangwen.volunteers.services import Refused, is_staff_for, join_team

# A practice body's kind follows the unit it belongs to.
BODY_KIND_OF_UNIT = {
    UnitKind.DISTRICT: BodyKind.CENTRE,
    UnitKind.STREET: BodyKind.INSTITUTE,
    UnitKind.COMMUNITY: BodyKind.STATION,
}
MANAGERS_MAX = 20


def _managers(user: User, unit: Unit, usernames: list[str]) -> list[User]:
    """Managers are accounts the appointing user can see: of the user's own unit or below it (a street's
    handler may run a community's station; a team's own volunteers may manage it too)."""
    names = [n.strip() for n in usernames if n.strip()]
    if len(names) > MANAGERS_MAX:
        raise Refused("invalid", _("管理员最多 %(n)d 人") % {"n": MANAGERS_MAX}, "managers")
    found = list(
        User.objects.filter(
            username__in=names, unit__path__startswith=user.unit.path if user.unit else "-", is_active=True
        )
    )
    missing = sorted(set(names) - {u.username for u in found})
    if missing:
        raise Refused(
            "invalid",
            _("账号不存在或不在本单位范围内：%(names)s") % {"names": "、".join(missing)},
            "managers",
        )
    return found


def save_body(user: User, unit: Unit, name: str, address: str = "", lat: float | None = None,
              lng: float | None = None, managers: list[str] | None = None) -> PracticeBody:  # fmt: skip
    """Create or change the practice body of a district, street or community."""
    if not is_staff_for(user, unit):
        raise Refused("forbidden", _("只能设置本单位及下级单位的文明实践阵地"), "unit")
    kind = BODY_KIND_OF_UNIT.get(unit.kind)  # type: ignore[call-overload]
    if kind is None:
        raise Refused("invalid", _("文明实践中心、所、站只设在区、街道和社区"), "unit")
    name = name.strip()
    if not name or len(name) > 100:
        raise Refused("invalid", _("请填写名称（不超过 100 字）"), "name")
    if len(address) > 200:
        raise Refused("invalid", _("地址不超过 200 字"), "address")
    if (lat is None) != (lng is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180)):  # type: ignore[operator]
        raise Refused("invalid", _("请同时填写经纬度，且坐标在地球上"), "lat")
    chosen = _managers(user, unit, managers or [])
    with transaction.atomic():
        body, created = PracticeBody.objects.update_or_create(
            unit=unit,
            defaults={"kind": kind, "name": name, "address": address.strip(), "lat": lat, "lng": lng},
        )
        body.managers.set(chosen)
        record(None, "volunteer.body_save", obj=body, actor=user, detail={"created": created})
    return body


@dataclass
class TeamDraft:
    name: str
    unit_id: int
    kind: str = TeamKind.UNIT
    description: str = ""
    services: list[str] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)


def _team_code(unit: Unit) -> str:
    count = Team.objects.filter(code__startswith=f"{unit.code}-T").count()
    return f"{unit.code}-T{count + 1:03d}"


def create_team(user: User, draft: TeamDraft) -> Team:
    unit = Unit.objects.filter(pk=draft.unit_id, active=True).first()
    if unit is None or not is_staff_for(user, unit):
        raise Refused("invalid", _("请选择本单位或下级单位"), "unit")
    if draft.kind not in TeamKind.values:
        raise Refused("invalid", _("队伍类型不正确"), "kind")
    name = draft.name.strip()
    if not name or len(name) > 100:
        raise Refused("invalid", _("请填写队伍名称（不超过 100 字）"), "name")
    if Team.objects.filter(unit=unit, name=name).exists():
        raise Refused("duplicate", _("本单位已有同名队伍"), "name")
    if len(draft.description) > 2000:
        raise Refused("invalid", _("简介不超过 2000 字"), "description")
    chosen = _managers(user, unit, draft.managers)
    body = PracticeBody.objects.filter(unit__path__in=_ancestor_paths(unit)).order_by("-unit__depth").first()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                team = Team.objects.create(
                    code=_team_code(unit),
                    name=name,
                    kind=draft.kind,
                    unit=unit,
                    body=body,
                    description=draft.description.strip(),
                    services=[s.strip() for s in draft.services if s.strip()][:20],
                )
                team.managers.set(chosen)
                record(None, "volunteer.team_create", obj=team, actor=user, detail={"unit": unit.pk})
                return team
        except IntegrityError:
            continue
    raise Refused("busy", _("请稍后重试"))


def _ancestor_paths(unit: Unit) -> list[str]:
    """The paths of the unit and every unit above it ("/1/4/17/" → "/1/", "/1/4/", "/1/4/17/")."""
    parts = [p for p in unit.path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def add_member(user: User, team: Team, number: str) -> Volunteer:
    """Staff of the team's unit add a registered volunteer by his or her volunteer number."""
    from chuangwen.volunteers.services import manages_team

    if not manages_team(user, team):
        raise Refused("forbidden", _("只有队伍管理员或所在单位可以添加队员"), "team")
    volunteer = Volunteer.objects.filter(number=number.strip(), left_at=None).first()
    if volunteer is None:
        raise Refused("invalid", _("没有这个志愿者编号"), "number")
    with transaction.atomic():
        join_team(volunteer, team)
        record(None, "volunteer.team_member_add", obj=team, actor=user, detail={"number": volunteer.number})
    return volunteer
