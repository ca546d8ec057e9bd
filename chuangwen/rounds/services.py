"""The round lifecycle: create → draw (secret, committed) → teams and routes → start → publish; verify.

Views, the API and the ``chuangwen round`` command call these functions; each checks who may act (``actor``
None means the operator at the console), refuses with a clear Chinese message, and writes the audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role
from chuangwen.audit.services import record
from chuangwen.core.bounds import check_date
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rounds import routes, sampling
from chuangwen.rounds.caps import apply_declared_cap, standard_declared_cap
from chuangwen.rounds.models import (
    Finding,
    FindingStatus,
    Round,
    RoundKind,
    RoundSite,
    RoundStatus,
    Team,
    Visit,
    VisitStatus,
)
from chuangwen.sites.models import Site
from chuangwen.standards.models import Standard
from chuangwen.standards.services import freeze

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from chuangwen.accounts.models import User

# Sent after a publication has committed: the case workflow connects here (sender=Round, round=…).
round_published = Signal()

PEER_ROLES = {Role.INSPECTOR, Role.COORDINATOR, Role.HANDLER, Role.UNIT_HEAD}
MAX_DISTANCE_M = 100_000  # a district is a few kilometres across; beyond this the limit means nothing
# What a 暗访 / 回头看 may target: a whole city, district or street (the form's list and the API's refusal).
TARGET_KINDS = (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET)


class RoundError(Exception):
    """An action on a round was refused; ``message`` says why, for the person who tried."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class MissingVisits(RoundError):
    """Publishing would leave drawn sites without an accepted visit; ``entries`` lists them."""

    def __init__(self, entries: list[RoundSite]) -> None:
        self.entries = entries
        codes = "、".join(entry.site.code for entry in entries[:20])
        more = "…" if len(entries) > 20 else ""
        super().__init__(
            _("还有 %(n)d 个抽中点位没有已采纳的测评：%(codes)s%(more)s。确认缺项后仍要发布，请勾选确认。")
            % {"n": len(entries), "codes": codes, "more": more}
        )


# --- permissions ----------------------------------------------------------------------------------


def is_coordinator_of(actor: User | None, round_: Round) -> bool:
    """The coordinators of the owning office (or above) run a round; None is the console operator."""
    if actor is None:
        return True
    unit = actor.unit
    return (
        actor.role == Role.COORDINATOR and unit is not None and round_.owner_unit.path.startswith(unit.path)
    )


def _require_coordinator(actor: User | None, round_: Round) -> None:
    if not is_coordinator_of(actor, round_):
        raise RoundError(_("只有组织该批次的文明办协调员可以执行此操作。"))


def _require_status(round_: Round, *allowed: str) -> None:
    if round_.status not in allowed:
        raise RoundError(
            _("批次当前状态为“%(status)s”，不能执行此操作。") % {"status": round_.get_status_display()}
        )


def _lock(round_: Round) -> Round:
    return Round.objects.select_for_update().select_related("owner_unit", "target_unit").get(pk=round_.pk)


# --- create ---------------------------------------------------------------------------------------


def _within(unit: Unit | None, scope: Unit) -> bool:
    return unit is not None and unit.path.startswith(scope.path)


def _units_for_kind(
    data: Mapping[str, Any], actor: User, errors: dict[str, list[str]]
) -> tuple[Unit, Unit | None]:
    """The target (whose sites are drawn) and, for 互查, the inspecting street."""
    home = actor.unit
    assert home is not None
    kind = data.get("kind")
    target: Unit | None = data.get("target_unit") or home
    inspecting: Unit | None = None
    if kind == RoundKind.SELF_CHECK:
        target = inspecting = home
    elif kind == RoundKind.PEER_CHECK:
        inspecting = data.get("inspecting_unit")
        for name, unit in (("inspecting_unit", inspecting), ("target_unit", data.get("target_unit"))):
            if unit is None or unit.kind != UnitKind.STREET or not _within(unit, home):
                errors.setdefault(name, []).append(_("互查的测评单位和被测评单位都必须是本辖区内的街道"))
        if inspecting is not None and inspecting == data.get("target_unit"):
            errors.setdefault("inspecting_unit", []).append(_("互查的测评单位不能与被测评单位相同"))
    if target is None or not _within(target, home):
        errors.setdefault("target_unit", []).append(_("被测评范围必须在您的管辖范围内"))
        target = home
    elif kind in (RoundKind.UNANNOUNCED, RoundKind.REVISIT) and target.kind not in TARGET_KINDS:
        errors.setdefault("target_unit", []).append(_("被测评范围须为市、区或街道"))
    return target, inspecting


def _check_basics(data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    if not str(data.get("name") or "").strip():
        errors.setdefault("name", []).append(_("请填写批次名称"))
    if data.get("kind") not in RoundKind.values:
        errors.setdefault("kind", []).append(_("请选择批次类型"))
    start, end = data.get("period_start"), data.get("period_end")
    if start is None or end is None:
        errors.setdefault("period_start", []).append(_("请填写测评期间"))
    elif end < start:
        errors.setdefault("period_end", []).append(_("结束日期不能早于开始日期"))
    check_date(errors, "period_start", start, _("开始日期"))
    check_date(errors, "period_end", end, _("结束日期"))
    standard = data.get("standard")
    if not isinstance(standard, Standard) or not standard.site_types.exists():
        errors.setdefault("standard", []).append(_("请选择一个含有点位类型的测评标准版本"))


def default_standard() -> Standard | None:
    """The standard a new round starts from when none is chosen: the newest active version."""
    return Standard.objects.filter(is_active=True).order_by("-version").first() or Standard.objects.first()


def streets_within(unit: Unit) -> QuerySet[Unit]:
    """The streets a draw may name in its street quotas: the unit's own street(s)."""
    return Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.STREET)


def validated_draft(data: Mapping[str, Any], actor: User) -> dict[str, Any]:
    """The model fields of a draft round from ``data`` (see create_round); raises ValidationError."""
    if actor.role != Role.COORDINATOR or actor.unit is None:
        raise ValidationError(_("只有文明办协调员可以创建测评批次。"))
    errors: dict[str, list[str]] = {}
    _check_basics(data, errors)
    target, inspecting = _units_for_kind(data, actor, errors)
    raw = dict(data.get("params") or {})
    standard: Standard | None = data.get("standard")
    if isinstance(standard, Standard):
        try:
            norm = sampling.validate_params(
                raw,
                known_types=standard.site_types.values_list("code", flat=True),
                known_streets=streets_within(target).values_list("code", flat=True),
                revisit=data.get("kind") == RoundKind.REVISIT,
            )
        except sampling.ParamsError as exc:
            errors.setdefault("params", []).extend(exc.messages)
        else:
            apply_declared_cap(data.get("kind"), norm, standard, errors)
            raw.update(norm)
    if errors or standard is None:
        raise ValidationError(errors)
    return {
        "name": str(data["name"]).strip()[:200],
        "kind": data["kind"],
        "standard": standard,
        "target_unit": target,
        "inspecting_unit": inspecting,
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "params": raw,
    }


def create_round(data: Mapping[str, Any], actor: User) -> Round:
    """A draft round owned by the actor's office. ``data``: name, kind, standard, period_start, period_end,
    target_unit (暗访/回头看; default the actor's unit), inspecting_unit (互查), params (raw draw parameters,
    see sampling.normalize_params; other keys such as max_distance_m are kept). For 暗访 the declared-site
    cap defaults to, and may not exceed, the standard's ``max_declared_share``. Raises ValidationError."""
    fields = validated_draft(data, actor)
    assert actor.unit is not None  # validated_draft refuses an actor without a unit
    with transaction.atomic():
        round_ = Round.objects.create(owner_unit=actor.unit, created_by=actor, **fields)
        record(None, "round.create", obj=round_, actor=actor, detail={"kind": round_.kind})
    return round_


# --- draw -----------------------------------------------------------------------------------------


def round_type_codes(round_: Round, params: Mapping[str, Any]) -> list[str]:
    """Site types a round draws from: those with a quota, or (回头看 without quotas) all of the standard's."""
    quotas: dict[str, int] = params.get("type_quotas") or {}
    if params.get("revisit"):
        return list(round_.standard.site_types.values_list("code", flat=True))
    return [code for code, n in quotas.items() if n > 0]


def eligible_sites(round_: Round, params: Mapping[str, Any]) -> QuerySet[Site]:
    """Active sites whose area lies in the target unit's subtree and whose type the round draws."""
    return Site.objects.filter(
        active=True,
        area_unit__path__startswith=round_.target_unit.path,
        site_type__in=round_type_codes(round_, params),
    ).select_related("area_unit")


def street_code_of(area_unit: Unit, streets: Mapping[int, str]) -> str:
    """The code of the street-level unit on the area unit's path, or the area unit's own code."""
    for pk in area_unit.lineage_ids:
        if pk in streets:
            return streets[pk]
    return area_unit.code


def failed_site_ids(site_ids: Iterable[int], exclude_round: Round | None = None) -> set[int]:
    """Sites with a finding in a published round: the ones a 回头看 revisits."""
    found = Finding.objects.filter(round__status=RoundStatus.PUBLISHED, site_id__in=list(site_ids))
    if exclude_round is not None:
        found = found.exclude(round=exclude_round)
    return set(found.values_list("site_id", flat=True))


def snapshot_of(round_: Round, sites: Sequence[Site], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    ids = {pk for site in sites for pk in site.area_unit.lineage_ids}
    streets = dict(Unit.objects.filter(pk__in=ids, kind=UnitKind.STREET).values_list("pk", "code"))
    failed = failed_site_ids([s.pk for s in sites], round_) if params.get("revisit") else set()
    return sampling.eligible_snapshot(
        {
            "code": site.code,
            "type": site.site_type,
            "street": street_code_of(site.area_unit, streets),
            "declared": site.declared,
            "failed_before": site.pk in failed,
        }
        for site in sites
    )


@transaction.atomic
def draw_round(round_: Round, actor: User | None, *, seed: str | None = None) -> Round:
    """Draw the sample with a fresh secret seed; store seed, commitments, snapshot and the drawn sites.

    ``seed`` exists only so that demo data is reproducible; no page or API passes one."""
    current = _lock(round_)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.DRAFT)
    params = sampling.normalize_params(current.params, revisit=current.kind == RoundKind.REVISIT)
    if current.kind == RoundKind.UNANNOUNCED:
        # The standard freezes now, so its cap is final: it fills an empty cap and lowers a looser one. The
        # cap is part of the committed parameters, so verification needs nothing else.
        limit = standard_declared_cap(current.standard)
        if params["declared_cap"] is None or Decimal(params["declared_cap"]) > Decimal(limit):
            params["declared_cap"] = limit
    sites = list(eligible_sites(current, params))
    snapshot = snapshot_of(current, sites, params)
    seed = seed or secrets.token_hex(32)
    result = sampling.draw(seed, snapshot, params)
    if not result.selected:
        raise RoundError(_("被测评范围内没有符合条件的候选点位，未抽取任何点位。"))
    commitments = sampling.commit(seed, snapshot, params)
    by_code = {site.code: site for site in sites}
    RoundSite.objects.bulk_create(
        RoundSite(round=current, site=by_code[code], draw_order=i, reason=result.reasons[code])
        for i, code in enumerate(result.selected, start=1)
    )
    current.params = {**current.params, **params}
    current.seed, current.eligible_snapshot = seed, snapshot
    current.seed_commitment, current.sites_commitment = commitments.seed, commitments.sites
    current.params_commitment, current.commitment = commitments.params, commitments.combined
    current.status, current.drawn_at, current.drawn_by = RoundStatus.DRAWN, timezone.now(), actor
    current.save()
    freeze(current.standard, _("测评批次“%(name)s”已抽样") % {"name": current.name}, actor=actor)
    detail = {
        "seed_commitment": commitments.seed,
        "sites_commitment": commitments.sites,
        "params_commitment": commitments.params,
        "commitment": commitments.combined,
        "eligible": len(snapshot),
        "drawn": result.size,
        "shortfalls": result.shortfalls,
    }
    record(None, "round.draw", obj=current, actor=actor, detail=detail)
    return _copy_back(current, round_)


def _copy_back(current: Round, original: Round) -> Round:
    for f in current._meta.concrete_fields:
        setattr(original, f.attname, getattr(current, f.attname))
    return original


# --- teams, routes --------------------------------------------------------------------------------


def eligible_inspectors(round_: Round) -> QuerySet[User]:
    """Who may join a team: inspectors of the owning office; for 自查/互查 the inspecting unit's staff."""
    from chuangwen.accounts.models import User

    if round_.inspecting_unit_id is not None and round_.inspecting_unit is not None:
        return User.objects.filter(
            is_active=True, role__in=PEER_ROLES, unit__path__startswith=round_.inspecting_unit.path
        ).order_by("username")
    return User.objects.filter(
        is_active=True, role=Role.INSPECTOR, unit__path__startswith=round_.owner_unit.path
    ).order_by("username")


def _member_groups(people: list[User], team_size: int, teams: int) -> list[list[User]]:
    groups = [people[i * team_size : (i + 1) * team_size] for i in range(teams)]
    for i, person in enumerate(people[teams * team_size :]):  # the odd ones out join the first teams
        groups[i % teams].append(person)
    return groups


def _stops(entries: Iterable[RoundSite]) -> list[routes.Stop[int]]:
    return [routes.Stop(entry.pk, entry.site.lat, entry.site.lng) for entry in entries]


@transaction.atomic
def build_teams(
    round_: Round, inspectors: Sequence[User], team_size: int = 2, *, actor: User | None = None
) -> list[Team]:
    """Pair the inspectors into teams of ``team_size`` (extras join the first teams) and give each team a
    compact patch of the sample, ordered as a nearest-neighbour walk. Replaces any earlier teams."""
    current = _lock(round_)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.DRAWN)
    people = list({person.pk: person for person in inspectors}.values())
    allowed = set(eligible_inspectors(current).values_list("pk", flat=True))
    if team_size < 1 or len(people) < team_size:
        raise RoundError(_("至少需要 %(n)d 名测评员才能组成一个小组。") % {"n": max(team_size, 1)})
    if any(person.pk not in allowed for person in people):
        raise RoundError(_("所选人员中有人不是本批次可用的测评员。"))
    entries = list(current.entries.select_related("site"))
    n_teams = max(1, min(len(people) // team_size, len(entries)))
    current.teams.all().delete()
    teams = []
    for number, members in enumerate(_member_groups(people, team_size, n_teams), start=1):
        team = Team.objects.create(round=current, name=_("第%(n)d组") % {"n": number})
        team.members.set(members)
        teams.append(team)
    by_pk = {entry.pk: entry for entry in entries}
    for team, keys in zip(teams, routes.plan_routes(_stops(entries), n_teams), strict=True):
        for order, key in enumerate(keys, start=1):
            by_pk[key].team, by_pk[key].route_order = team, order
    RoundSite.objects.bulk_update(entries, ["team", "route_order"])
    detail = {"teams": [[m.username for m in t.members.all()] for t in teams], "entries": len(entries)}
    record(None, "round.teams", obj=current, actor=actor, detail=detail)
    return teams


def reroute(team: Team) -> None:
    """Order a team's sites again as a walk from its westernmost site."""
    entries = list(team.entries.select_related("site"))
    by_pk = {entry.pk: entry for entry in entries}
    for order, stop in enumerate(routes.walking_order(_stops(entries)), start=1):
        by_pk[stop.key].route_order = order
    RoundSite.objects.bulk_update(entries, ["route_order"])


def open_visit_exists(entry: RoundSite) -> bool:
    return (
        Visit.objects.filter(round_id=entry.round_id, site_id=entry.site_id)
        .exclude(status=VisitStatus.SENT_BACK)
        .exists()
    )


@transaction.atomic
def reassign_entry(entry: RoundSite, team: Team, actor: User | None) -> RoundSite:
    """Move one drawn site to another team of the same round; both teams' routes are ordered again."""
    current = _lock(entry.round)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.DRAWN, RoundStatus.IN_PROGRESS)
    entry = RoundSite.objects.select_related("site", "team").get(pk=entry.pk)
    if team.round_id != current.pk:
        raise RoundError(_("只能改派给本批次的小组。"))
    if open_visit_exists(entry):
        raise RoundError(_("该点位已有测评记录，不能改派。"))
    old = entry.team
    if old is not None and old.pk == team.pk:
        return entry
    entry.team = team
    entry.save(update_fields=["team"])
    for affected in (old, team):
        if affected is not None:
            reroute(affected)
    detail = {"site": entry.site.code, "from": old.name if old else "", "to": team.name}
    record(None, "round.reassign", obj=current, actor=actor, detail=detail)
    entry.refresh_from_db()
    return entry


# --- start and publish ----------------------------------------------------------------------------


@transaction.atomic
def start_round(round_: Round, actor: User | None) -> Round:
    """Drawn → in progress: every drawn site must be on a team's route."""
    current = _lock(round_)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.DRAWN)
    if not current.teams.exists() or current.entries.filter(team__isnull=True).exists():
        raise RoundError(_("请先分组：每个抽中点位都要分配给一个测评小组。"))
    current.status = RoundStatus.IN_PROGRESS
    current.save(update_fields=["status"])
    record(None, "round.start", obj=current, actor=actor)
    return _copy_back(current, round_)


def missing_entries(round_: Round) -> list[RoundSite]:
    """Drawn sites without an accepted visit, in draw order."""
    accepted = Visit.objects.filter(round=round_, status=VisitStatus.ACCEPTED).values("site_id")
    return list(round_.entries.exclude(site_id__in=accepted).select_related("site").order_by("draw_order"))


@transaction.atomic
def publish_round(round_: Round, actor: User | None, *, confirm_missing: bool = False) -> Round:
    """Reveal the seed and the findings. Sites without an accepted visit must be confirmed (MissingVisits
    lists them). Findings of accepted visits become ready for dispatch to the case workflow."""
    current = _lock(round_)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.IN_PROGRESS)
    missing = missing_entries(current)
    if missing and not confirm_missing:
        raise MissingVisits(missing)
    current.status, current.published_at, current.published_by = (
        RoundStatus.PUBLISHED,
        timezone.now(),
        actor,
    )
    current.save(update_fields=["status", "published_at", "published_by"])
    ready = Finding.objects.filter(
        round=current, status=FindingStatus.HIDDEN, visit__status=VisitStatus.ACCEPTED
    ).update(status=FindingStatus.READY)
    detail = {
        "seed": current.seed,
        "commitment": current.commitment,
        "findings_ready": ready,
        "missing": [entry.site.code for entry in missing],
    }
    record(None, "round.publish", obj=current, actor=actor, detail=detail)
    transaction.on_commit(lambda: round_published.send(sender=Round, round=current))
    from chuangwen.rankings.services import preview_ready  # here: rankings imports rounds

    preview_ready(current)
    return _copy_back(current, round_)


# --- verify ---------------------------------------------------------------------------------------


def stored_sample(round_: Round) -> list[str]:
    return list(round_.entries.order_by("draw_order").values_list("site__code", flat=True))


def verify_round(round_: Round) -> sampling.VerifyReport:
    """Recompute the commitments and the draw from the stored seed, snapshot and parameters and compare them
    with the stored commitments and drawn sites. Needs the seed: public only after publication."""
    round_.refresh_from_db()
    if not round_.seed:
        return sampling.VerifyReport([], None, _("该批次尚未抽样"))
    stored = sampling.Commitments(
        round_.seed_commitment, round_.sites_commitment, round_.params_commitment, round_.commitment
    )
    return sampling.verify(
        round_.seed, round_.eligible_snapshot, round_.params, stored, stored_sample(round_)
    )
