"""Visits: what an inspector's phone submits (docs/inspection-api.md §3) and the coordinator's review.

:func:`submit_visit` is idempotent by ``client_id``: a resend, even one racing the first send, returns the
stored visit. Everything a visit creates (the visit, its judgements, its hidden findings, the links of its
photos and the audit entry) is written in one transaction, or nothing is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.evidence.models import Evidence
from chuangwen.org.coords import to_wgs84
from chuangwen.org.distance import haversine_m
from chuangwen.rounds import scoring
from chuangwen.rounds.models import (
    Finding,
    FindingStatus,
    Judgement,
    JudgementResult,
    Round,
    RoundSite,
    RoundStatus,
    Team,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from chuangwen.rounds.visit_payload import VisitIn, VisitInvalid, error, parse_visit
from chuangwen.standards.models import CheckItem, ScoringMode, SiteType

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.sites.models import Site

__all__ = [
    "ReviewRefused",
    "VisitInvalid",
    "VisitRefused",
    "accept_visit",
    "can_review",
    "send_back_visit",
    "submit_visit",
]

DEFAULT_MAX_DISTANCE_M = 300
OPEN_STATUSES = (RoundStatus.DRAWN, RoundStatus.IN_PROGRESS)


class VisitRefused(Exception):
    """A submission the server refuses: ``status`` 403, 404 or 409, a ``code`` and a Chinese ``detail``."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "code": self.code, **self.extra}


def max_distance_m(round_: Round) -> float:
    value = (round_.params or {}).get("max_distance_m", DEFAULT_MAX_DISTANCE_M)
    try:
        return float(value)
    except (TypeError, ValueError):
        return float(DEFAULT_MAX_DISTANCE_M)


# --- where the visit belongs ----------------------------------------------------------------------------


def not_found() -> VisitRefused:
    # The same words whether the round does not exist or is secret: nothing about it may leak.
    return VisitRefused(404, "not_found", _("测评批次不存在，或您不在该批次的测评小组中"))


def inspecting_teams(round_id: int, user: User) -> tuple[Round | None, list[Team]]:
    """The one rule for field work (visits and their photos): the round as the user may see it, and the
    user's teams in it. No round: it does not exist for the user; no teams: the user may not submit to it."""
    teams = list(Team.objects.filter(round_id=round_id, members=user).select_related("round").order_by("pk"))
    if teams:  # team members always see their round (Round.objects.fully_visible_to)
        return teams[0].round, teams
    return Round.objects.visible_to(user).filter(pk=round_id).first(), []


def _round_and_teams(round_id: int, user: User) -> tuple[Round, list[Team]]:
    round_, teams = inspecting_teams(round_id, user)
    if round_ is None:
        raise not_found()
    if not teams:
        detail = _("只有本批次测评小组的督查员可以提交测评结果")
        raise VisitRefused(403, "not_on_team", detail)
    return round_, teams


def _stored(client_id: UUID, user: User) -> Visit | None:
    return Visit.objects.visible_to(user).filter(client_id=client_id).first()


def team_for_site(entry: RoundSite, teams: list[Team]) -> Team | None:
    """The one rule for who works at a drawn site (visits and their photos): of the user's teams, the one
    the site is assigned to (a site not yet assigned: the user's first team); None when the site is on
    another team's route."""
    if entry.team_id is None:
        return teams[0] if teams else None
    return next((team for team in teams if team.pk == entry.team_id), None)


def _entry(round_: Round, teams: list[Team], site_id: int) -> tuple[RoundSite, Team]:
    entry = RoundSite.objects.filter(round=round_, site_id=site_id).select_related("site").first()
    if entry is None:
        raise VisitRefused(404, "site_not_in_round", _("该点位不在本批次的抽中点位中"))
    team = team_for_site(entry, teams)
    if team is None:
        raise VisitRefused(404, "not_assigned", _("该点位不在您小组的测评路线上"))
    return entry, team


def _round_open(round_: Round) -> None:
    if not Round.objects.filter(pk=round_.pk, status__in=OPEN_STATUSES).exists():
        raise VisitRefused(409, "round_closed", _("该批次当前不接受测评结果（未开始、已发布或已取消）"))


def _already_visited(round_: Round, site: Site, client_id: UUID) -> None:
    # An integrity rule, so unscoped on purpose; only team members (who see the whole round) get its answer.
    # The visit being resent is not "another" visit: a resend racing its first send must find it, not refuse.
    others = Visit.objects.filter(round=round_, site=site).exclude(client_id=client_id)
    if others.exclude(status=VisitStatus.SENT_BACK).exists():
        detail = _("本批次已提交过该点位的测评；如需重测，请联系文明办退回原测评")
        raise VisitRefused(409, "already_visited", detail)


def check_items(round_: Round, site: Site) -> dict[str, CheckItem]:
    """The checklist of the site's type in the round's standard version, by item code."""
    site_type = SiteType.objects.filter(standard=round_.standard, code=site.site_type).first()
    if site_type is None:
        return {}
    return {item.code: item for item in CheckItem.objects.filter(site_type=site_type)}


# --- the rules of §3 --------------------------------------------------------------------------------------


@dataclass
class Position:
    lat: float | None
    lng: float | None
    distance_m: float | None


def _position(data: VisitIn, site: Site) -> tuple[Position, list[dict[str, Any]]]:
    if data.lat is None and data.lng is None:
        return Position(None, None, None), []
    if data.lat is None or data.lng is None:
        field = "lat" if data.lat is None else "lng"
        return Position(None, None, None), [error([field], _("经纬度须同时提供"))]
    lng, lat = to_wgs84(data.lng, data.lat, data.coord_system)
    return Position(lat, lng, haversine_m(lat, lng, site.lat, site.lng)), []


def _position_rules(data: VisitIn, position: Position, limit: float) -> list[dict[str, Any]]:
    if data.far_reason.strip():
        return []
    if position.distance_m is None:
        return [error(["far_reason"], _("没有定位时须说明原因"))]
    if position.distance_m > limit:
        msg = _("当前位置距点位约 %(d)d 米，超过 %(limit)d 米，须说明原因") % {
            "d": round(position.distance_m),
            "limit": round(limit),
        }
        return [error(["far_reason"], msg)]
    return []


def _exception_rules(data: VisitIn) -> list[dict[str, Any]]:
    errors = []
    if not data.exception_reason.strip():
        errors.append(error(["exception_reason"], _("拒访或无法调查时须填写原因")))
    if not data.exception_photo_ids:
        errors.append(error(["exception_photo_ids"], _("拒访或无法调查时须至少拍摄一张照片")))
    if data.judgements:
        errors.append(error(["judgements"], _("拒访或无法调查的测评不填写判定")))
    return errors


def _judgement_rules(data: VisitIn, items: dict[str, CheckItem]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, judgement in enumerate(data.judgements):
        item = items.get(judgement.item_code)
        if item is None:
            errors.append(error(["judgements", i, "item_code"], _("不是该点位类型的测评指标")))
            continue
        if judgement.item_code in seen:
            errors.append(error(["judgements", i, "item_code"], _("同一测评指标重复判定")))
        seen.add(judgement.item_code)
        if judgement.result != JudgementResult.NOT_CONFORMING:
            continue
        if item.mode == ScoringMode.PER_OCCURRENCE and judgement.count < 1:
            errors.append(error(["judgements", i, "count"], _("判为不符合时须填写问题数量（至少 1）")))
        if not judgement.photo_ids:
            errors.append(error(["judgements", i, "photo_ids"], _("判为不符合时须至少拍摄一张问题照片")))
    missing = [code for code in items if code not in seen]
    if missing:
        msg = _("以下测评指标尚未判定：%(codes)s") % {"codes": "、".join(missing)}
        errors.append(error(["judgements"], msg, "missing"))
    return errors


def _photo_rules(data: VisitIn) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    seen: set[UUID] = set()
    cited: list[tuple[list[str | int], UUID]] = [
        (["exception_photo_ids", j], pid) for j, pid in enumerate(data.exception_photo_ids)
    ]
    for i, judgement in enumerate(data.judgements):
        cited += [(["judgements", i, "photo_ids", j], pid) for j, pid in enumerate(judgement.photo_ids)]
    for loc, pid in cited:
        if pid in seen:
            errors.append(error(loc, _("同一张照片不能重复引用")))
        seen.add(pid)
    return errors


def validate_rules(data: VisitIn, items: dict[str, CheckItem], site: Site, limit: float) -> Position:
    """Every rule of §3 except the photos' arrival; all broken rules are reported together."""
    position, errors = _position(data, site)
    errors += _position_rules(data, position, limit) if not errors else []
    if data.outcome == VisitOutcome.DONE:
        if not items:
            errors.append(error(["site_id"], _("本批次的测评标准中没有该点位类型的测评指标")))
        errors += _judgement_rules(data, items)
    else:
        errors += _exception_rules(data)
    errors += _photo_rules(data)
    if data.started_at and data.finished_at and data.finished_at < data.started_at:
        errors.append(error(["finished_at"], _("完成时间不能早于开始时间")))
    if errors:
        raise VisitInvalid(errors)
    return position


# --- photos ----------------------------------------------------------------------------------------------


def cited_photo_ids(data: VisitIn) -> list[UUID]:
    ids = list(data.exception_photo_ids) if data.outcome != VisitOutcome.DONE else []
    for judgement in data.judgements:
        ids += judgement.photo_ids
    return ids


def _photos(data: VisitIn, user: User, round_: Round, site: Site) -> dict[UUID, Evidence]:
    """The cited photos, by client id: 409 while some have not arrived, 422 when one belongs elsewhere."""
    wanted = cited_photo_ids(data)
    found = {
        ev.client_id: ev
        for ev in Evidence.objects.visible_to(user).filter(client_id__in=wanted, uploader=user)
    }
    missing = [str(pid) for pid in wanted if pid not in found]
    if missing:
        detail = _("还有 %(n)d 张照片没有上传，请先上传照片再提交") % {"n": len(missing)}
        raise VisitRefused(409, "photos_missing", detail, missing=missing)
    taken = [
        error(["photo_ids"], _("照片 %(id)s 已用于其他测评或其他点位") % {"id": pid})
        for pid, ev in found.items()
        if ev.visit_id is not None
        or ev.round_id not in (None, round_.pk)
        or ev.site_id not in (None, site.pk)
    ]
    if taken:
        raise VisitInvalid(taken)
    return found


# --- storing ---------------------------------------------------------------------------------------------


@dataclass
class _Checked:
    """A submission that passed every check, ready to be stored."""

    data: VisitIn
    entry: RoundSite
    team: Team
    position: Position
    items: dict[str, CheckItem]


def _scored(
    data: VisitIn, items: dict[str, CheckItem]
) -> list[tuple[CheckItem, Any, scoring.ScoredJudgement]]:
    rows = []
    for judgement in data.judgements:
        item = items[judgement.item_code]
        rule = scoring.ItemRule(mode=item.mode, deduct=item.deduct, cap=item.cap)
        count = scoring.occurrences(rule, judgement.result, judgement.count)
        rows.append((item, judgement, scoring.ScoredJudgement(rule, judgement.result, count)))
    return rows


def _create_visit(checked: _Checked, user: User) -> Visit:
    data, entry, position = checked.data, checked.entry, checked.position
    rows = _scored(data, checked.items) if data.outcome == VisitOutcome.DONE else []
    result = scoring.score_visit(s for _i, _j, s in rows) if rows else None
    visit = Visit.objects.create(
        client_id=data.client_id,
        round=entry.round,
        site=entry.site,
        team=checked.team,
        inspector=user,
        outcome=data.outcome,
        exception_reason=data.exception_reason.strip() if data.outcome != VisitOutcome.DONE else "",
        lat=position.lat,
        lng=position.lng,
        accuracy_m=data.accuracy,
        distance_m=position.distance_m,
        far_reason=data.far_reason.strip(),
        note=data.note.strip(),
        started_at=data.started_at,
        finished_at=data.finished_at,
        score=result.score if result else None,
        score_rate=result.score_rate if result else None,
    )
    for item, judgement_in, scored in rows:
        judgement = Judgement.objects.create(
            visit=visit, check_item=item, result=scored.result, count=scored.count, note=judgement_in.note
        )
        _link_photos(judgement_in.photo_ids, visit, judgement)
        if scored.result == JudgementResult.NOT_CONFORMING:
            _create_finding(judgement, scored)
    if data.outcome != VisitOutcome.DONE:
        _link_photos(data.exception_photo_ids, visit, None)
    return visit


def _create_finding(judgement: Judgement, scored: scoring.ScoredJudgement) -> Finding:
    """A hidden finding: nobody outside the round sees it until publication hands it to the case workflow."""
    visit = judgement.visit
    return Finding.objects.create(
        judgement=judgement,
        round=visit.round,
        visit=visit,
        site=visit.site,
        check_item=judgement.check_item,
        count=scored.count,
        deduction=scoring.item_deduction(scored.rule, scored.result, scored.count),
        status=FindingStatus.HIDDEN,
    )


def _link_photos(ids: list[UUID], visit: Visit, judgement: Judgement | None) -> None:
    if not ids:
        return
    linked = Evidence.objects.filter(client_id__in=ids, uploader=visit.inspector, visit__isnull=True).update(
        visit=visit, judgement=judgement, round=visit.round, site=visit.site
    )
    if linked != len(set(ids)):
        raise VisitInvalid([error(["photo_ids"], _("有照片已被其他测评引用，请重新拍摄"))])


def _store(checked: _Checked, user: User, request: HttpRequest | None) -> tuple[Visit, bool]:
    data, entry = checked.data, checked.entry
    with transaction.atomic():
        # The drawn-site row is the lock: two phones submitting the same site queue here.
        RoundSite.objects.select_for_update().filter(pk=entry.pk).order_by("pk").first()
        stored = _stored(data.client_id, user)
        if stored is not None:
            return stored, False
        _round_open(entry.round)  # again under the lock: publication may have happened meanwhile
        _already_visited(entry.round, entry.site, data.client_id)
        visit = _create_visit(checked, user)
        detail = {
            "client_id": str(visit.client_id),
            "round_id": visit.round_id,
            "site_id": visit.site_id,
            "outcome": visit.outcome,
            "score": visit.score,
            "score_rate": visit.score_rate,
            "distance_m": round(visit.distance_m) if visit.distance_m is not None else None,
        }
        record(request, "visit_submitted", obj=visit, actor=user, detail=detail)
        transaction.on_commit(lambda: _announce_if_all_in(visit.round_id))
        return visit, True


def _announce_if_all_in(round_id: int) -> None:
    from chuangwen.rounds.notices import announce_if_all_in

    announce_if_all_in(round_id)


def submit_visit(
    payload: VisitIn | Mapping[str, Any], user: User, *, request: HttpRequest | None = None
) -> tuple[Visit, bool]:
    """Store one inspection visit; return ``(visit, created)``.

    Raises :class:`VisitInvalid` (422, nothing written) for a payload that breaks a rule, and
    :class:`VisitRefused` for 403 (not an inspector of the round), 404 (round or site out of reach),
    409 ``round_closed`` / ``already_visited`` / ``photos_missing`` / ``client_id_conflict``.
    """
    data = parse_visit(payload)
    round_, teams = _round_and_teams(data.round_id, user)
    stored = _stored(data.client_id, user)
    if stored is not None:
        return stored, False
    entry, team = _entry(round_, teams, data.site_id)
    _round_open(round_)
    _already_visited(round_, entry.site, data.client_id)
    items = check_items(round_, entry.site)
    position = validate_rules(data, items, entry.site, max_distance_m(round_))
    _photos(data, user, round_, entry.site)
    try:
        return _store(_Checked(data, entry, team, position, items), user, request)
    except IntegrityError:
        stored = _stored(data.client_id, user)
        if stored is None:
            detail = _("该提交编号（client_id）已被使用，请重新生成后提交")
            raise VisitRefused(409, "client_id_conflict", detail) from None
        return stored, False


# --- review ----------------------------------------------------------------------------------------------


class ReviewRefused(Exception):
    """A review action that is not allowed now; the message (Chinese) says why."""


def can_review(visit: Visit, user: User) -> bool:
    """Coordinators of the round's office review its visits until the round is published."""
    from chuangwen.accounts.models import Role

    if user.role != Role.COORDINATOR:
        return False
    rounds = Round.objects.fully_visible_to(user).filter(pk=visit.round_id, status__in=OPEN_STATUSES)
    return rounds.exists()


def _check_reviewer(visit: Visit, user: User) -> None:
    if not Visit.objects.visible_to(user).filter(pk=visit.pk).exists():
        raise ReviewRefused(_("测评记录不存在"))
    if not can_review(visit, user):
        raise ReviewRefused(_("只有文明办协调员可以在批次发布前审核测评"))


def _transition(visit: Visit, user: User, from_states: tuple[str, ...], **changes: Any) -> None:
    now = timezone.now()
    updated = Visit.objects.filter(pk=visit.pk, status__in=from_states).update(
        reviewed_by=user, reviewed_at=now, **changes
    )
    if updated == 0:
        current = Visit.objects.filter(pk=visit.pk).values_list("status", flat=True).first()
        label = VisitStatus(current).label if current else ""
        raise ReviewRefused(_("该测评已被他人处理（当前状态：%(status)s），请刷新后查看") % {"status": label})
    visit.refresh_from_db()


def accept_visit(visit: Visit, user: User, *, request: HttpRequest | None = None) -> Visit:
    """A coordinator accepts a submitted visit (its findings go out when the round is published)."""
    _check_reviewer(visit, user)
    with transaction.atomic():
        _transition(visit, user, (VisitStatus.SUBMITTED,), status=VisitStatus.ACCEPTED, review_note="")
        record(request, "visit_accepted", obj=visit, actor=user, detail={"round_id": visit.round_id})
    return visit


def send_back_visit(visit: Visit, note: str, user: User, *, request: HttpRequest | None = None) -> Visit:
    """A coordinator sends a visit back with a reason: its findings are deleted (they never reach
    publication) and the team may visit the site again with a new submission."""
    note = (note or "").strip()
    if not note:
        raise ReviewRefused(_("退回须填写原因"))
    if len(note) > 500:
        raise ReviewRefused(_("退回原因过长，最多 500 个字符"))
    _check_reviewer(visit, user)
    with transaction.atomic():
        states = (VisitStatus.SUBMITTED, VisitStatus.ACCEPTED)
        _transition(visit, user, states, status=VisitStatus.SENT_BACK, review_note=note)
        removed, _by_model = Finding.objects.filter(visit=visit).delete()
        detail = {"round_id": visit.round_id, "note": note, "findings_removed": removed}
        record(request, "visit_sent_back", obj=visit, actor=user, detail=detail)
    return visit
