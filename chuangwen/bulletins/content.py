"""A bulletin's numbers, built from the published records it cites and nothing else.

``build(bulletin)`` returns the JSON snapshot stored in ``Bulletin.content``: the overall picture (visits,
score rate, change on the previous period), the ranking with its red and black lists, the typical problems
the office picked (with the ids of their photos; documents show only the photos' public copies), the 限期整改
list, the look-back section, accountability talks and commendations of the period, and the survey and
materials figures of a cited published wave or closed 申报周期. Decimals are strings so that a document
prints what was stored.

Every section reads records inside the issuing office's subtree; the test suite recomputes each number of a
generated bulletin from the records with its own queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils import timezone

from chuangwen.bulletins.models import AccountabilityTalk, Commendation, Section, TypicalProblem
from chuangwen.cases.models import OPEN_STATES, Case, CaseEvent, PhotoFlag
from chuangwen.evidence.models import Evidence
from chuangwen.org.models import Unit
from chuangwen.rankings.models import Ranking, RankingRow
from chuangwen.rounds.models import (
    Finding,
    Judgement,
    JudgementResult,
    Round,
    RoundStatus,
    Visit,
    VisitStatus,
)

if TYPE_CHECKING:
    from chuangwen.bulletins.models import Bulletin, BulletinTemplate

# Photos per typical problem in a document: enough to show it, few enough for a page.
PHOTOS_PER_PROBLEM = 3
LOOKBACK_REASONS = {
    "verify_fail": "rework",
    "reverify_fail": "false_rectification",
}


def _d(value: Decimal | None, places: str = "0.01") -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def scope_visits(bulletin: Bulletin) -> list[int]:
    """The visits the bulletin reports on: those counted in the cited ranking, else the cited round's accepted
    visits."""
    if bulletin.ranking_id is not None:
        rows = RankingRow.objects.filter(ranking_id=bulletin.ranking_id).values_list("visit_ids", flat=True)
        return sorted({pk for ids in rows for pk in ids})
    if bulletin.round_id is not None:
        return sorted(
            Visit.objects.filter(round_id=bulletin.round_id, status=VisitStatus.ACCEPTED).values_list(
                "pk", flat=True
            )
        )
    return []


def score_rate(visit_ids: Iterable[int]) -> tuple[int, int]:
    """(conforming, applicable) judgements of the visits: 得分率 = conforming / applicable."""
    ids = list(visit_ids)
    if not ids:
        return 0, 0
    counts = dict(
        Judgement.objects.filter(visit_id__in=ids)
        .exclude(result=JudgementResult.NOT_APPLICABLE)
        .order_by()
        .values_list("result")
        .annotate(n=Count("pk"))
        .values_list("result", "n")
    )
    conforming = counts.get(JudgementResult.CONFORMING, 0)
    return conforming, conforming + counts.get(JudgementResult.NOT_CONFORMING, 0)


def _rate(conforming: int, applicable: int) -> Decimal | None:
    return Decimal(100) * conforming / applicable if applicable else None


def _previous_visits(bulletin: Bulletin) -> list[int] | None:
    if bulletin.ranking_id is not None:
        assert bulletin.ranking is not None
        previous = bulletin.ranking.previous_id
        if previous is None:
            return None
        rows = RankingRow.objects.filter(ranking_id=previous).values_list("visit_ids", flat=True)
        return sorted({pk for ids in rows for pk in ids})
    if bulletin.round_id is not None:
        assert bulletin.round is not None
        before = (
            Round.objects.filter(
                kind=bulletin.round.kind,
                owner_unit_id=bulletin.round.owner_unit_id,
                status=RoundStatus.PUBLISHED,
                published_at__lt=bulletin.round.published_at,
            )
            .order_by("-published_at")
            .first()
        )
        if before is None:
            return None
        return list(
            Visit.objects.filter(round=before, status=VisitStatus.ACCEPTED).values_list("pk", flat=True)
        )
    return None


def overview(bulletin: Bulletin, visit_ids: list[int]) -> dict[str, Any]:
    conforming, applicable = score_rate(visit_ids)
    rate = _rate(conforming, applicable)
    before = _previous_visits(bulletin)
    previous = _rate(*score_rate(before)) if before else None
    findings = Finding.objects.filter(visit_id__in=visit_ids)
    return {
        "visits": len(visit_ids),
        "sites": Visit.objects.filter(pk__in=visit_ids).values("site_id").distinct().count(),
        "conforming": conforming,
        "applicable": applicable,
        "score_rate": _d(rate, "0.1"),
        "previous_score_rate": _d(previous, "0.1"),
        "change": _d(rate - previous, "0.1") if rate is not None and previous is not None else None,
        "findings": findings.count(),
        "problems": sum(findings.values_list("count", flat=True)),
    }


def ranking_rows(ranking: Ranking) -> list[dict[str, Any]]:
    return [
        {
            "rank": row.rank,
            "unit_id": row.unit_id,
            "unit_name": row.unit_name,
            "composite": _d(row.composite),
            "composite_change": _d(row.composite_change),
            "rank_change": row.rank_change,
            "onsite": _d(row.onsite),
            "rectification": _d(row.rectification),
            "materials": _d(row.materials),
            "survey": _d(row.survey),
            "visits": row.visits,
            "cases": row.cases,
        }
        for row in RankingRow.objects.filter(ranking=ranking)
    ]


def red_black(
    rows: list[dict[str, Any]], template: BulletinTemplate
) -> tuple[list[dict[str, Any]], list[Any]]:
    """红榜: ranked units at or above the red line, best first, at most ``red_count``; 黑榜: ranked units
    below
    the black line, worst first."""
    ranked = [r for r in rows if r["rank"] is not None and r["composite"] is not None]
    red = [r for r in ranked if Decimal(r["composite"]) >= template.red_threshold][: template.red_count]
    black = [r for r in ranked if Decimal(r["composite"]) < template.black_threshold]
    black.sort(key=lambda r: (Decimal(r["composite"]), r["unit_name"]))
    return red, black


def typical(bulletin: Bulletin) -> list[dict[str, Any]]:
    out = []
    picks = TypicalProblem.objects.filter(bulletin=bulletin).select_related(
        "finding__site__responsible_unit", "finding__check_item", "finding__visit"
    )
    for pick in picks:
        finding = pick.finding
        photos = Evidence.objects.filter(judgement_id=finding.judgement_id).order_by("pk")
        site = finding.site
        out.append(
            {
                "finding_id": finding.pk,
                "site": site.name,
                "site_type": site.get_site_type_display() if hasattr(site, "get_site_type_display") else "",
                "unit_id": site.responsible_unit_id,
                "unit_name": site.responsible_unit.name if site.responsible_unit else "",
                "item_code": finding.check_item.code,
                "item": finding.check_item.text,
                "count": finding.count,
                "deduction": _d(finding.deduction),
                "visited": timezone.localtime(finding.visit.finished_at or finding.visit.received_at)
                .date()
                .isoformat(),
                "caption": pick.caption,
                "photos": list(photos.values_list("pk", flat=True)[:PHOTOS_PER_PROBLEM]),
            }
        )
    return out


def deadline_list(bulletin: Bulletin, visit_ids: list[int]) -> list[dict[str, Any]]:
    """限期整改: the cases of the reported visits' findings that were still open when the bulletin was
    built."""
    cases = (
        Case.objects.filter(finding__visit_id__in=visit_ids, state__in=OPEN_STATES)
        .select_related("unit")
        .order_by("unit__path", "deadline", "code")
    )
    return [
        {
            "code": case.code,
            "title": case.title,
            "unit_id": case.unit_id,
            "unit_name": case.unit.name if case.unit else "",
            "deadline": timezone.localtime(case.deadline).date().isoformat() if case.deadline else None,
            "state": case.get_state_display(),
        }
        for case in cases
    ]


def lookback(bulletin: Bulletin) -> list[dict[str, Any]]:
    """Problems found unfixed or fixed on paper in the period: failed verifications and call-back checks,
    flagged rectification photos, and recurrences, each case once per reason."""
    start, end = _start(bulletin.period_start), _end(bulletin.period_end)
    mine = Q(case__unit__path__startswith=bulletin.owner_unit.path)
    seen: dict[tuple[str, str], dict[str, Any]] = {}

    def add(case: Case, reason: str, at: datetime) -> None:
        key = (case.code, reason)
        if key not in seen:
            seen[key] = {
                "code": case.code,
                "title": case.title,
                "unit_id": case.unit_id,
                "unit_name": case.unit.name if case.unit else "",
                "reason": reason,
                "at": timezone.localtime(at).date().isoformat(),
            }

    events = CaseEvent.objects.filter(mine, action__in=list(LOOKBACK_REASONS), at__range=(start, end))
    for event in events.select_related("case__unit").order_by("at", "pk"):
        add(event.case, LOOKBACK_REASONS[event.action], event.at)
    flags = PhotoFlag.objects.filter(mine, created_at__range=(start, end)).select_related("case__unit")
    for flag in flags.order_by("created_at", "pk"):
        add(flag.case, "flagged_photo", flag.created_at)
    recurrences = Case.objects.filter(
        unit__path__startswith=bulletin.owner_unit.path,
        recurrence_of__isnull=False,
        opened_at__range=(start, end),
    )
    for case in recurrences.select_related("unit").order_by("opened_at", "pk"):
        add(case, "recurrence", case.opened_at)
    return sorted(seen.values(), key=lambda r: (r["unit_name"], r["at"], r["code"], r["reason"]))


def talks(bulletin: Bulletin) -> list[dict[str, Any]]:
    rows = AccountabilityTalk.objects.filter(
        owner_unit=bulletin.owner_unit, meeting_date__range=(bulletin.period_start, bulletin.period_end)
    ).select_related("unit")
    return [
        {
            "id": t.pk,
            "unit_id": t.unit_id,
            "unit_name": t.unit.name,
            "kind": t.kind,
            "kind_label": t.get_kind_display(),
            "reason": t.reason,
            "meeting_date": t.meeting_date.isoformat(),
            "follow_up_due": t.follow_up_due.isoformat(),
        }
        for t in rows.order_by("meeting_date", "pk")
    ]


def commendations(bulletin: Bulletin) -> list[dict[str, Any]]:
    rows = Commendation.objects.filter(
        owner_unit=bulletin.owner_unit, date__range=(bulletin.period_start, bulletin.period_end)
    ).select_related("unit")
    return [
        {
            "id": c.pk,
            "unit_id": c.unit_id,
            "unit_name": c.unit.name,
            "title": c.title,
            "reason": c.reason,
            "date": c.date.isoformat(),
        }
        for c in rows.order_by("date", "pk")
    ]


def survey(bulletin: Bulletin) -> dict[str, Any] | None:
    """The cited wave's published rates for the office and each unit directly below it."""
    wave = bulletin.wave
    if wave is None or not wave.results:
        return None
    units = wave.results.get("units", {})
    owner = str(wave.results.get("owner"))
    rows = [
        {"unit_id": int(pk), "unit_name": row["name"], "measures": row.get("measures", {})}
        for pk, row in units.items()
        if pk == owner or row.get("parent") == int(owner)
    ]
    return {
        "wave": wave.name,
        "measures": wave.results.get("measures", []),
        "accepted": wave.results.get("counts", {}).get("accepted", 0),
        "rows": rows,
    }


def materials(bulletin: Bulletin) -> dict[str, Any] | None:
    """The cited closed 申报周期: cells and passed cells per unit directly below the office."""
    period = bulletin.materials_period
    if period is None:
        return None
    from chuangwen.materials.models import Standing, Submission

    children = list(Unit.objects.filter(parent=bulletin.owner_unit).order_by("sort_order", "code"))
    rows = []
    for child in children:
        cells = Submission.objects.filter(period=period, unit__path__startswith=child.path)
        total = cells.count()
        if not total:
            continue
        passed = cells.filter(standing=Standing.PASSED).count()
        rows.append(
            {
                "unit_id": child.pk,
                "unit_name": child.name,
                "cells": total,
                "passed": passed,
                "rate": _d(Decimal(100) * passed / total, "0.1"),
            }
        )
    return {"period": period.name, "rows": rows}


def build(bulletin: Bulletin) -> dict[str, Any]:
    """The whole snapshot for the bulletin's sections (sections not chosen are left out)."""
    chosen = set(bulletin.sections)
    visit_ids = scope_visits(bulletin)
    out: dict[str, Any] = {
        "as_of": timezone.now().isoformat(),
        "period": [bulletin.period_start.isoformat(), bulletin.period_end.isoformat()],
        "thresholds": {
            "red": str(bulletin.template.red_threshold),
            "black": str(bulletin.template.black_threshold),
        },
        "overview": overview(bulletin, visit_ids),
    }
    rows = ranking_rows(bulletin.ranking) if bulletin.ranking is not None else []
    if rows:
        out["ranking_title"] = bulletin.ranking.title if bulletin.ranking else ""
    if chosen & {Section.RANKING, Section.RED_LIST, Section.BLACK_LIST}:
        out["ranking"] = rows
        out["red"], out["black"] = red_black(rows, bulletin.template)
    if Section.TYPICAL in chosen:
        out["typical"] = typical(bulletin)
    if Section.DEADLINE in chosen:
        out["deadline"] = deadline_list(bulletin, visit_ids)
    if Section.LOOKBACK in chosen:
        out["lookback"] = lookback(bulletin)
    if Section.TALKS in chosen:
        out["talks"] = talks(bulletin)
    if Section.COMMENDATIONS in chosen:
        out["commendations"] = commendations(bulletin)
    if Section.SURVEY in chosen:
        out["survey"] = survey(bulletin)
    if Section.MATERIALS in chosen:
        out["materials"] = materials(bulletin)
    return out
