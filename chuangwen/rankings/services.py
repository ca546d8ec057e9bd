"""Publishing a ranking: compute it once, store it as a snapshot with the previous period's comparison."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from chuangwen.accounts.capabilities import may_publish_rankings
from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.notify.services import notify
from chuangwen.rankings.compute import (
    INSUFFICIENT_SAMPLE,
    LEVELS,
    Period,
    UnitScore,
    compute,
    standard_of,
)
from chuangwen.rankings.config import ranking_config
from chuangwen.rankings.models import LevelKind, Ranking, RankingRow
from chuangwen.rounds.models import OFFICIAL_KINDS, Round

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.notify.models import Notification


ALREADY_PUBLISHED = _lazy("该周期的排名已发布，发布后不再更改；更正请在下一期体现")


def period_title(period: Period) -> str:
    if period.kind == "month":
        assert period.month is not None
        return _("%(year)d年%(month)d月") % {"year": period.month.year, "month": period.month.month}
    assert period.round_id is not None
    round_ = Round.objects.get(pk=period.round_id)
    return round_.name


def published(period: Period, level: str) -> Ranking | None:
    return Ranking.objects.filter(period_key=period.key, level=level).first()


def publish(period: Period, level: str, actor: User, request: HttpRequest | None = None) -> Ranking:
    """Compute and store the ranking of ``level`` for ``period`` (once: a second publication is refused)."""
    if not may_publish_rankings(actor):
        raise PermissionError(_("只有文明办协调员可以发布排名"))
    if published(period, level) is not None:
        raise ValidationError({"period": [str(ALREADY_PUBLISHED)]})
    standard = standard_of(period)
    config = ranking_config(standard)
    now = timezone.now()
    as_of = min(now, period.end)
    scores = compute(period, level, config=config, as_of=as_of)
    before = period.previous()
    previous = published(before, level) if before is not None else None
    old = {row.unit_id: row for row in previous.rows.all()} if previous is not None else {}
    try:
        with transaction.atomic():
            ranking = Ranking.objects.create(
                period_kind=period.kind, period_key=period.key, round_id=period.round_id, month=period.month,
                level=level, title=f"{period_title(period)} {LevelKind(level).label}{_('排名')}",
                standard=standard, config=config.as_dict(), as_of=as_of, published_at=now,
                published_by=actor, previous=previous,
            )  # fmt: skip
            RankingRow.objects.bulk_create(
                RankingRow(
                    ranking=ranking,
                    unit_id=s.unit_id,
                    unit_name=s.unit_name,
                    rank=s.rank,
                    rank_change=_rank_change(old.get(s.unit_id), s.rank),
                    composite=s.composite,
                    composite_change=_change(old.get(s.unit_id), s.composite),
                    onsite=s.onsite,
                    onsite_raw=s.onsite_raw,
                    visits=s.visits,
                    weight_sum=s.weight_sum,
                    rectification=s.rectification,
                    cases=s.cases,
                    materials=s.materials,
                    materials_counts=s.materials_counts,
                    survey=s.survey,
                    survey_wave_id=s.survey_wave_id,
                    survey_detail=s.survey_detail,
                    volunteer=s.volunteer,
                    volunteer_detail=s.volunteer_detail,
                    indicators={k: (str(v) if v is not None else None) for k, v in s.indicators.items()},
                    counts=s.counts,
                    penalty=s.penalty,
                    penalty_events=s.penalty_events,
                    visit_ids=s.visit_ids,
                    case_ids=s.case_ids,
                )
                for s in scores
            )
            record(request, "ranking.publish", obj=ranking, actor=actor, detail={"rows": len(scores)})
    except IntegrityError:
        raise ValidationError({"period": [str(ALREADY_PUBLISHED)]}) from None
    return ranking


def _rank_change(old: RankingRow | None, rank: int | None) -> int | None:
    if old is None or old.rank is None or rank is None:
        return None
    return old.rank - rank  # positive: moved up


def _change(old: RankingRow | None, value: Decimal | None) -> Decimal | None:
    if old is None or old.composite is None or value is None:
        return None
    return value - old.composite


def row_out(row: RankingRow | UnitScore) -> dict[str, Any]:
    """One line of a ranking (stored, or a live preview) as plain values, for the API and the pages."""
    indicators = row.indicators or {}
    return {
        "unit_id": row.unit_id,
        "unit_name": row.unit_name,
        "rank": row.rank,
        "rank_change": getattr(row, "rank_change", None),
        "composite": row.composite,
        "composite_change": getattr(row, "composite_change", None),
        "onsite": row.onsite,
        "onsite_raw": row.onsite_raw,
        "visits": row.visits,
        "weight_sum": row.weight_sum,
        "rectification": row.rectification,
        "cases": row.cases,
        "indicators": {k: (Decimal(v) if v is not None else None) for k, v in indicators.items()},
        "counts": dict(row.counts or {}),
        "materials": row.materials,
        "materials_counts": dict(row.materials_counts or {}),
        "survey": row.survey,
        "survey_wave_id": row.survey_wave_id,
        "survey_detail": dict(row.survey_detail or {}),
        "volunteer": row.volunteer,
        "volunteer_detail": dict(row.volunteer_detail or {}),
        "penalty": row.penalty,
        "penalty_events": dict(row.penalty_events or {}),
        "unranked_reason": unranked_reason(row),
    }


def unranked_reason(row: RankingRow | UnitScore) -> str:
    """Why a row has no rank: no counted on-site visit (样本不足); empty for a ranked row."""
    if row.rank is not None:
        return ""
    return getattr(row, "unranked_reason", "") or (str(INSUFFICIENT_SAMPLE) if row.visits == 0 else "")


# --- the preview of a round's rankings, ready when the round is published -----------------------------------


def preview_ready(round_: Round) -> None:
    """Called where a round is published: once that commits (and its cases are opened), compute the round's
    ranking preview and tell the coordinators it is ready to publish. A failure here never undoes the
    publication of the round (``robust``)."""
    if round_.kind in OFFICIAL_KINDS:
        transaction.on_commit(partial(notify_preview_ready, round_.pk), robust=True)


def notify_preview_ready(round_id: int) -> list[Notification]:
    """One inbox notice per coordinator (once per round): the preview's numbers per level and where to
    publish it."""
    round_ = Round.objects.get(pk=round_id)
    period = Period.for_round(round_)
    parts = []
    for level in LEVELS:
        scores = compute(period, level)
        ranked = sum(1 for score in scores if score.rank is not None)
        parts.append(
            _("%(level)s %(ranked)d 个单位排名、%(short)d 个样本不足")
            % {"level": LevelKind(level).label, "ranked": ranked, "short": len(scores) - ranked}
        )
    link = f"{reverse('rankings:compute')}?period={period.key}&level={LevelKind.STREET}"
    coordinators = User.objects.filter(role=Role.COORDINATOR, is_active=True)
    subject = _("排名预览已就绪：%(round)s") % {"round": round_.name}
    body = _("测评批次“%(round)s”已发布，排名预览已计算（%(parts)s），请核对后发布。") % {
        "round": round_.name,
        "parts": "；".join(parts),
    }
    return notify(
        coordinators,
        subject=subject,
        body=body,
        link=link,
        kind="ranking.preview",
        key=f"ranking.preview:{period.key}",
    )
