"""Who may do what: the one home of the role rules that are not a case transition (those are the case
machine's table) and not a record's scope (that is each model's ``visible_to``).

Views, APIs and the navigation ask these functions; none compares role strings itself. A capability answers
for the role only — scope (which unit's records) is still the model's ``visible_to``. Superusers are system
administrators: they reach the admin and what their own role gives, except where a rule below says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chuangwen.accounts.models import Role

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

# The civilisation office (文明办) and the leaders over it: they oversee the whole campaign of their unit.
OFFICE_ROLES = frozenset({Role.COORDINATOR, Role.LEADER})
# Everyone who works inside the system sees the registry of sites and cases and the rounds, each scoped to
# the unit's subtree by ``visible_to`` (a handler sees the published rounds that scored the unit, and may be
# on a 互查 team); a volunteer and the citizen portal's account do not.
REGISTRY_ROLES = frozenset(set(Role) - {Role.VOLUNTEER, Role.CITIZEN})
ROUND_ROLES = REGISTRY_ROLES


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _role(user: Any) -> str:
    return str(getattr(user, "role", "")) if _signed_in(user) else ""


def _superuser(user: Any) -> bool:
    return _signed_in(user) and bool(getattr(user, "is_superuser", False))


def _office_with_unit(user: Any) -> bool:
    return may_oversee(user) and getattr(user, "unit_id", None) is not None


def is_coordinator(user: User | Any) -> bool:
    """The civilisation office's coordinator (文明办协调员): triage, dispatch, rounds, sites, the standard."""
    return _role(user) == Role.COORDINATOR


def may_oversee(user: User | Any) -> bool:
    """Coordinators and leaders look at the dispatch board, the citizen reports and self-check reliability."""
    return _role(user) in OFFICE_ROLES


def may_see_overview(user: User | Any) -> bool:
    """The dashboards (overview, big screen, heat map) show a unit's figures: an office role with a unit."""
    return _office_with_unit(user)


def may_instruct(user: User | Any) -> bool:
    """督办: a leader or coordinator of a unit instructs cases and opens instruction cases."""
    return _office_with_unit(user)


def may_create_rounds(user: User | Any) -> bool:
    return is_coordinator(user) and getattr(user, "unit_id", None) is not None


def may_publish_rankings(user: User | Any) -> bool:
    """Computing and publishing rankings: the coordinators, and a superuser standing in for them."""
    return is_coordinator(user) or _superuser(user)


def may_see_selfcheck(user: User | Any) -> bool:
    """Self-check reliability (自查可信度): the office roles, and a superuser."""
    return may_oversee(user) or _superuser(user)


def may_import_hotline(user: User | Any) -> bool:
    """Importing 12345 work orders: the coordinators, and a superuser standing in for them."""
    return is_coordinator(user) or _superuser(user)


def may_set_notices(user: User | Any) -> bool:
    """Choosing instant or digest notices: a unit head for the unit, a coordinator for units in scope."""
    return _role(user) in (Role.UNIT_HEAD, Role.COORDINATOR)


def may_see_registry(user: User | Any) -> bool:
    """Sites and cases lists (each then scoped to the viewer's unit)."""
    return _role(user) in REGISTRY_ROLES


def may_see_org(user: User | Any) -> bool:
    """The unit tree of the viewer's subtree (a volunteer sees the units he or she serves in)."""
    return _signed_in(user) and _role(user) != Role.CITIZEN


def may_see_standards(user: User | Any) -> bool:
    """The evaluation standard is no secret (its freeze is shown to coordinators only)."""
    return may_see_org(user)


def may_see_rounds(user: User | Any) -> bool:
    return _role(user) in ROUND_ROLES


def may_see_rankings(user: User | Any) -> bool:
    return _signed_in(user)


# 网上申报: the units' 信息员 and heads file materials; the office reviews them and runs the period.
MATERIALS_ROLES = frozenset({Role.HANDLER, Role.UNIT_HEAD, Role.COORDINATOR, Role.LEADER})


def may_see_materials(user: User | Any) -> bool:
    """网上申报 pages (each record then scoped by ``visible_to``): people of a unit who file or review."""
    return _role(user) in MATERIALS_ROLES and getattr(user, "unit_id", None) is not None


def may_run_materials(user: User | Any) -> bool:
    """Opening and archiving a period, the task split, the ledger export: the office's coordinators."""
    return is_coordinator(user) and getattr(user, "unit_id", None) is not None


def may_see_surveys(user: User | Any) -> bool:
    """问卷调查 pages: the waves of the user's lineage and their results, cut to the user's subtree; each
    respondent's answers only to the survey's own staff (``Response.visible_to``)."""
    return _role(user) in REGISTRY_ROLES and getattr(user, "unit_id", None) is not None


def may_run_surveys(user: User | Any) -> bool:
    """Questionnaires, population figures, waves and their plans: the office's coordinators (coaching visits
    are recorded by the streets' and communities' own people too: surveys/views/waves.py)."""
    return is_coordinator(user) and getattr(user, "unit_id", None) is not None


def may_see_bulletins(user: User | Any) -> bool:
    """通报 pages: the office writes them, the units' handlers and heads read and answer them (each bulletin
    then scoped by ``Bulletin.objects.visible_to``)."""
    return _role(user) in MATERIALS_ROLES and getattr(user, "unit_id", None) is not None


# 志愿服务 staff pages: the office, the units' heads and handlers who run teams and activities, and leaders.
VOLUNTEER_STAFF_ROLES = frozenset({Role.COORDINATOR, Role.LEADER, Role.UNIT_HEAD, Role.HANDLER})


def may_see_volunteer_work(user: User | Any) -> bool:
    return _role(user) in VOLUNTEER_STAFF_ROLES and getattr(user, "unit_id", None) is not None


def is_volunteer(user: User | Any) -> bool:
    """A volunteer's own pages (/v/me/): an account of the volunteer role with a volunteer record."""
    if _role(user) != Role.VOLUNTEER:
        return False
    # The record through its reverse accessor (volunteers is a higher layer than accounts).
    record = getattr(user, "volunteer", None)
    return record is not None and record.left_at is None


def may_export_personal_data(user: User | Any) -> bool:
    """个人信息导出: the office's coordinator of a unit, for one person's data inside that unit."""
    return is_coordinator(user) and getattr(user, "unit_id", None) is not None


def may_administer(user: User | Any) -> bool:
    """The Django admin (系统管理)."""
    return _signed_in(user) and bool(getattr(user, "is_staff", False))


@dataclass(frozen=True)
class Capabilities:
    """What one user may do, for templates (``{% if can.see_rounds %}``): the nav asks here, as views do."""

    user: Any

    def __getattr__(self, name: str) -> bool:
        rule = RULES.get(name)
        if rule is None:
            raise AttributeError(name)
        return rule(self.user)


RULES = {
    "coordinate": is_coordinator,
    "export_personal_data": may_export_personal_data,
    "oversee": may_oversee,
    "see_overview": may_see_overview,
    "instruct": may_instruct,
    "create_rounds": may_create_rounds,
    "publish_rankings": may_publish_rankings,
    "see_selfcheck": may_see_selfcheck,
    "see_registry": may_see_registry,
    "see_org": may_see_org,
    "see_standards": may_see_standards,
    "see_rounds": may_see_rounds,
    "see_rankings": may_see_rankings,
    "administer": may_administer,
    "import_hotline": may_import_hotline,
    "set_notices": may_set_notices,
    "see_materials": may_see_materials,
    "run_materials": may_run_materials,
    "see_surveys": may_see_surveys,
    "run_surveys": may_run_surveys,
    "see_bulletins": may_see_bulletins,
    "see_volunteer_work": may_see_volunteer_work,
    "volunteer": is_volunteer,
}
