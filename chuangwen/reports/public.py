"""What the public may know of a citizen report: its status, its timeline and the after-photos shown
through the privacy module's public copies (no names, no phone numbers, no internal notes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from chuangwen.cases.models import CaseEvent, CaseState
from chuangwen.evidence.models import Evidence
from chuangwen.reports.models import CitizenReport

# --- what the public sees -----------------------------------------------------------------------------------


PUBLIC_CODES = ("received", "accepted", "in_progress", "closed", "rejected", "duplicate")
# The events whose words the public status shows: the reason of a refusal, the target of a duplicate.
REFUSALS = ("reject", "cancel")
MARK_DUPLICATE = "mark_duplicate"


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


def public_status(report: CitizenReport) -> PublicStatus:
    """The report's state in public words; notes carry the reason of a refusal or the report it duplicates,
    never an internal name of a person or unit."""
    return public_statuses([report])[0]


def public_statuses(reports: Iterable[CitizenReport]) -> list[PublicStatus]:
    """``public_status`` of each report (with its case loaded), in order, in at most two more queries
    whatever their number (the list endpoints: Open311 ``GET requests``, the triage list)."""
    reports = list(reports)
    final = [
        r.case_id
        for r in reports
        if r.case.state in (CaseState.REJECTED, CaseState.CANCELLED, CaseState.DUPLICATE)
    ]
    refusals: dict[int, CaseEvent] = {}
    duplicates: dict[int, CaseEvent] = {}
    if final:
        events = CaseEvent.objects.filter(case_id__in=final, action__in=[*REFUSALS, MARK_DUPLICATE])
        for event in events.order_by("at", "id"):  # the last one of each kind wins
            (duplicates if event.action == MARK_DUPLICATE else refusals)[event.case_id] = event
    targets = {str((e.data or {}).get("duplicate_of", "")) for e in duplicates.values()} - {""}
    kept = dict(
        CitizenReport.objects.filter(case__code__in=targets).values_list("case__code", "tracking_code")
        if targets
        else ()
    )
    return [_status(report, refusals, duplicates, kept) for report in reports]


def _status(
    report: CitizenReport,
    refusals: dict[int, CaseEvent],
    duplicates: dict[int, CaseEvent],
    kept: dict[str, str],
) -> PublicStatus:
    case = report.case
    code, label = public_code(case.state)
    notes = ""
    if case.state in (CaseState.REJECTED, CaseState.CANCELLED):
        event = refusals.get(case.pk)
        notes = event.reason if event is not None else ""
    elif case.state == CaseState.DUPLICATE:
        event = duplicates.get(case.pk)
        target = str((event.data or {}).get("duplicate_of", "")) if event is not None else ""
        if kept.get(target):
            notes = _("与随手拍 %(code)s 反映的是同一问题，将一并办理") % {"code": kept[target]}
        elif target:
            notes = _("该问题已在办理中（案卷 %(code)s），将一并办理") % {"code": target}
    elif code == "closed":
        notes = _("问题已整改并经核查通过")
    elif case.state == CaseState.REWORK and report.reopened_at is not None:
        notes = _("已按您的申请重新办理")
    return PublicStatus(code=code, label=label, notes=notes, updated_at=case.updated_at, open=case.is_open)


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


# The rule of a public after-photo, as seen from a case event: a rectification photo of a closed case that a
# citizen reported.
AFTER_PHOTO_EVENT = {
    "action": "rectify",
    "case__state": CaseState.CLOSED,
    "case__citizen_report__isnull": False,
}


def is_public_after_photo(evidence: Evidence) -> bool:
    """The privacy module's check (``privacy.PUBLIC_CHECKS``): a rectification photo of a closed case that
    a citizen reported is shown on the report's public status page (blurred, without metadata)."""
    return CaseEvent.objects.filter(photos=evidence, **AFTER_PHOTO_EVENT).exists()


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


def first_public_after_photos(reports: Iterable[CitizenReport]) -> dict[int, str]:
    """The first of ``public_after_photos`` of each closed report, by report pk, in one query: the photos are
    picked by the very rule of ``is_public_after_photo``, so the privacy module's public copy
    (``evidence:public``, which checks the rule again when it serves) is linked without asking per photo."""
    by_case = {report.case_id: report.pk for report in reports if report.case.state == CaseState.CLOSED}
    if not by_case:
        return {}
    rule = {f"case_events__{name}": value for name, value in AFTER_PHOTO_EVENT.items()}
    rows = (
        Evidence.objects.filter(case_events__case_id__in=by_case, **rule)
        .order_by("pk")
        .values_list("case_events__case_id", "pk")
        .distinct()
    )
    first: dict[int, str] = {}
    for case_id, photo_pk in rows:
        first.setdefault(by_case[case_id], reverse("evidence:public", args=[photo_pk]))
    return first
