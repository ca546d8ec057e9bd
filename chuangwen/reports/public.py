"""What the public may know of a citizen report: its status, its timeline and the after-photos shown
through the privacy module's public copies (no names, no phone numbers, no internal notes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from chuangwen.cases.models import Case, CaseEvent, CaseState
from chuangwen.evidence.models import Evidence
from chuangwen.reports.models import CitizenReport

if TYPE_CHECKING:
    pass


# --- what the public sees -----------------------------------------------------------------------------------


PUBLIC_CODES = ("received", "accepted", "in_progress", "closed", "rejected", "duplicate")


@dataclass(frozen=True)
class PublicStatus:
    code: str  # received | accepted | in_progress | closed | rejected | duplicate
    label: str
    notes: str
    updated_at: datetime
    open: bool  # Open311: open / closed


def public_code(state: str) -> tuple[str, str]:
    if state == CaseState.NEW:
        return "received", _("已收到，待分拣")
    if state in (CaseState.DISPATCHED, CaseState.RETURNED):
        return "accepted", _("已受理，已派往责任单位")
    if state == CaseState.CLOSED:
        return "closed", _("已办结")
    if state == CaseState.REJECTED:
        return "rejected", _("不予受理")
    if state == CaseState.CANCELLED:
        return "rejected", _("已撤销")
    if state == CaseState.DUPLICATE:
        return "duplicate", _("重复问题，已合并办理")
    return "in_progress", _("正在办理")


def _last_event(case: Case, actions: Iterable[str]) -> CaseEvent | None:
    return case.events.filter(action__in=list(actions)).order_by("-at", "-id").first()


def public_status(report: CitizenReport) -> PublicStatus:
    """The report's state in public words; notes carry the reason of a refusal or the report it duplicates,
    never an internal name of a person or unit."""
    case = report.case
    code, label = public_code(case.state)
    notes = ""
    if case.state in (CaseState.REJECTED, CaseState.CANCELLED):
        event = _last_event(case, ["reject", "cancel"])
        notes = event.reason if event is not None else ""
    elif case.state == CaseState.DUPLICATE:
        event = _last_event(case, ["mark_duplicate"])
        target = str((event.data or {}).get("duplicate_of", "")) if event is not None else ""
        kept = CitizenReport.objects.filter(case__code=target).values_list("tracking_code", flat=True).first()
        if kept:
            notes = _("与随手拍 %(code)s 反映的是同一问题，将一并办理") % {"code": kept}
        elif target:
            notes = _("该问题已在办理中（案卷 %(code)s），将一并办理") % {"code": target}
    elif code == "closed":
        notes = _("问题已整改并经核查通过")
    elif case.state == CaseState.REWORK and report.reopened_at is not None:
        notes = _("已按您的申请重新办理")
    return PublicStatus(
        code=code, label=label, notes=notes, updated_at=case.updated_at, open=code in PUBLIC_OPEN_CODES
    )


PUBLIC_OPEN_CODES = frozenset({"received", "accepted", "in_progress"})


@dataclass(frozen=True)
class PublicStep:
    label: str
    at: datetime


def public_timeline(report: CitizenReport) -> list[PublicStep]:
    """Dates the public may see: received, sent to a unit, fixed, closed, reopened (no people, no units)."""
    words = {
        "open": _("已收到"),
        "triage_accept": _("已受理并派往责任单位"),
        "redispatch": _("已重新派遣"),
        "accept": _("责任单位已接单"),
        "rectify": _("责任单位已报告整改"),
        "verify_fail": _("核查未通过，返工整改"),
        "verify_pass": _("核查通过，已办结"),
        "reverify_fail": _("抽查复核未通过，返工整改"),
        "reopen": _("重新办理"),
        "reporter_reopen": _("市民申请重新办理"),
        "reject": _("不予受理"),
        "mark_duplicate": _("重复问题，已合并"),
        "cancel": _("已撤销"),
    }
    events = report.case.events.filter(action__in=list(words)).order_by("at", "id")
    return [PublicStep(words[event.action], event.at) for event in events]


def is_public_after_photo(evidence: Evidence) -> bool:
    """The privacy module's check (``privacy.PUBLIC_CHECKS``): a rectification photo of a closed case that
    a citizen reported is shown on the report's public status page (blurred, without metadata)."""
    return CaseEvent.objects.filter(
        action="rectify",
        photos=evidence,
        case__state=CaseState.CLOSED,
        case__citizen_report__isnull=False,
    ).exists()


def public_after_photos(report: CitizenReport) -> list[str]:
    """URLs of the rectification photos' public copies (faces and plates blurred, no EXIF) of a closed
    report, through the privacy module only; the citizen's own photos are never shown publicly."""
    from chuangwen.evidence import privacy

    if report.case.state != CaseState.CLOSED:
        return []
    photos = Evidence.objects.filter(case_events__case=report.case, case_events__action="rectify")
    urls = []
    for photo in photos.order_by("pk").distinct()[:4]:
        url = privacy.public_url(photo)
        if url:
            urls.append(str(url))
    return urls
