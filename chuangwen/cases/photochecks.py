"""Automatic checks of rectification photos (照片自动核验): doubts are stored as ``PhotoFlag`` rows and
shown to the verifier, who decides; a flag never blocks an action.

``check_photos(event)`` is the one check. It runs after a ``rectify`` commits (``signals.py``) and again when
a photo's perceptual hash arrives from the worker, so a photo hashed late is still compared. Re-running it
creates nothing twice (unique event + photo + kind). ``flags_for(case, user)`` is what a viewer may see of the
flags: a photo of another case is named only when the viewer may see that case; ``review`` arranges them for
the case page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image

from chuangwen.cases.models import Case, CaseEvent, PhotoCheck, PhotoCheckState, PhotoFlag, PhotoFlagKind
from chuangwen.evidence import forensics
from chuangwen.evidence.derivatives import hamming, phash, similar
from chuangwen.evidence.models import Evidence
from chuangwen.org.distance import haversine_m
from chuangwen.rounds.models import Finding

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

logger = logging.getLogger(__name__)

K = PhotoFlagKind


def max_distance_m() -> float:
    return float(settings.CASES_PHOTO_MAX_DISTANCE_M)


def max_phash_bits() -> int:
    return int(settings.CASES_PHASH_MAX_DISTANCE)


# --- which photos -------------------------------------------------------------------------------------------


def problem_photos(case: Case) -> QuerySet[Evidence]:
    """The photos of the problem: the finding's judgement's, and those given when the case was opened."""
    opened = CaseEvent.photos.through.objects.filter(caseevent__case_id=case.pk, caseevent__action="open")
    where = Q(pk__in=opened.values("evidence_id"))
    if case.finding_id is not None:
        where |= Q(judgement__finding__pk=case.finding_id)
    return Evidence.objects.filter(where).order_by("pk")


def other_case_photos(case: Case) -> QuerySet[Evidence]:
    """Every photo in the history of another case, and the problem photos behind other cases."""
    on_events = CaseEvent.photos.through.objects.exclude(caseevent__case_id=case.pk).values("evidence_id")
    judgements = Finding.objects.filter(case__isnull=False).exclude(case__pk=case.pk).values("judgement_id")
    return Evidence.objects.filter(Q(pk__in=on_events) | Q(judgement_id__in=judgements))


def cases_holding(evidence_id: int, case: Case, within: QuerySet[Case]) -> QuerySet[Case]:
    """The cases other than ``case`` (among ``within``) whose history or problem photos hold the photo."""
    holds = Q(events__photos__pk=evidence_id) | Q(finding__judgement__evidence__pk=evidence_id)
    return within.exclude(pk=case.pk).filter(holds).distinct().order_by("pk")


def case_location(case: Case) -> tuple[float, float] | None:
    """(lat, lng) of the problem: the case's own position, else its site's."""
    if case.lat is not None and case.lng is not None:
        return case.lat, case.lng
    if case.site is not None and case.site.lat is not None and case.site.lng is not None:
        return case.site.lat, case.site.lng
    return None


def photo_location(photo: Evidence) -> tuple[float, float, float] | None:
    """(lat, lng, accuracy in metres): the phone's fix, else the EXIF position (accuracy unknown: 0)."""
    if photo.lat is not None and photo.lng is not None:
        return photo.lat, photo.lng, photo.accuracy_m or 0.0
    if photo.exif_lat is not None and photo.exif_lng is not None:
        return photo.exif_lat, photo.exif_lng, 0.0
    return None


# --- the checks ---------------------------------------------------------------------------------------------


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _before_open(case: Case, photo: Evidence) -> PhotoFlag | None:
    """EXIF time, else the phone's time, else the server's receipt (uploaded with the report: practically
    never earlier than the opening, unless the photo reached the server before the case existed)."""
    sources = (
        (photo.exif_captured_at, _("EXIF 拍摄时间")),
        (photo.captured_at, _("手机拍摄时间")),
        (photo.received_at, _("服务器接收时间")),
    )
    taken, source = next((value, label) for value, label in sources if value is not None)
    if taken is None or taken >= case.opened_at:
        return None
    detail = _("%(source)s %(taken)s 早于立案时间 %(opened)s") % {
        "source": source,
        "taken": _when(taken),
        "opened": _when(case.opened_at),
    }
    return PhotoFlag(evidence=photo, kind=K.BEFORE_OPEN, detail=detail)


def _place(where: tuple[float, float] | None, photo: Evidence) -> PhotoFlag | None:
    if where is None:
        return None  # nothing to compare with
    taken = photo_location(photo)
    if taken is None:
        return PhotoFlag(evidence=photo, kind=K.NO_LOCATION, detail=_("照片没有定位信息，无法核对拍摄地点"))
    lat, lng, accuracy = taken
    distance = haversine_m(lat, lng, where[0], where[1])
    limit = max_distance_m()
    if distance - accuracy <= limit:
        return None
    detail = _("距问题位置约 %(distance)s 米（定位精度 %(accuracy)s 米，允许 %(limit)s 米）") % {
        "distance": round(distance),
        "accuracy": round(accuracy),
        "limit": round(limit),
    }
    return PhotoFlag(evidence=photo, kind=K.FAR_FROM_SITE, detail=detail)


# --- is it a copy? -----------------------------------------------------------------------------------------


class Prints:
    """The photos of one check prepared for the keypoint comparison, each read and prepared once."""

    def __init__(self) -> None:
        self._done: dict[int, forensics.Prepared | None] = {}

    def of(self, photo: Evidence) -> forensics.Prepared | None:
        if photo.pk not in self._done:
            self._done[photo.pk] = _prepare(photo)
        return self._done[photo.pk]


def _prepare(photo: Evidence) -> forensics.Prepared | None:
    """The stored original prepared for comparison; None when it cannot be read (the hashes decide)."""
    try:
        with default_storage.open(photo.file.name, "rb") as handle:
            return forensics.prepare_bytes(handle.read())
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        logger.warning("photo %s cannot be compared: %s", photo.pk, exc)
        return None


def _copy_of(
    reference: Evidence, photo: Evidence, prints: Prints
) -> tuple[bool, forensics.Comparison | None]:
    """Is ``photo`` a copy of ``reference``? By keypoints when both can be aligned: a copy changes nothing
    after alignment, a genuine fix from the same spot changes the problem's place. Photos too plain to align
    fall back to their perceptual hashes (within ``CASES_PHASH_MAX_DISTANCE`` bits)."""
    ref, target = prints.of(reference), prints.of(photo)
    if ref is not None and target is not None:
        result = forensics.compare(ref, target)
        if result.verdict != "unrelated":
            return result.is_copy, result
    close = (
        bool(reference.phash and photo.phash) and hamming(reference.phash, photo.phash) <= max_phash_bits()
    )
    return close, None


def comparison_summary(result: forensics.Comparison | None) -> dict[str, Any]:
    if result is None:
        return {}
    return {
        "changed": result.changed,
        "inliers": result.inliers,
        "mirrored": result.mirrored,
        "overlap": result.overlap,
    }


def copy_detail(summary: dict[str, Any], bits: int | None) -> str:
    """How the copy was recognised (``comparison_summary``, else the hash distance), in words the verifier
    can check against the comparison image."""
    if not summary:
        return _("感知哈希相差 %(bits)s 位") % {"bits": bits}
    detail = _("对齐后仅 %(share)s%% 的区域不同，%(inliers)s 个特征点吻合") % {
        "share": round(float(summary["changed"]) * 100),
        "inliers": summary["inliers"],
    }
    return detail + (_("，已被镜像翻转") if summary.get("mirrored") else "")


def _same_as_problem(problem: QuerySet[Evidence], photo: Evidence, prints: Prints) -> PhotoFlag | None:
    for other in problem:
        copied, result = _copy_of(other, photo, prints)
        if not copied:
            continue
        bits = hamming(other.phash, photo.phash) if other.phash and photo.phash else None
        summary = comparison_summary(result)
        detail = _("与问题照片是同一张照片（%(how)s）") % {"how": copy_detail(summary, bits)}
        return PhotoFlag(
            evidence=photo,
            kind=K.SAME_AS_PROBLEM,
            other_evidence_id=other.pk,
            detail=detail,
            comparison=summary,
        )
    return None


def reused_detail(code: str, how: str) -> str:
    return _("与案卷 %(code)s 的照片是同一张照片（%(how)s）") % {"code": code, "how": how}


def reuse_candidates(photo: Evidence, others: QuerySet[Evidence], prints: Prints) -> list[int]:
    """The stored photos of ``others`` nearest to this one and to its mirror image by perceptual hash, found
    through the hash's band index (no scan): the few worth the keypoint comparison."""
    hashes = [photo.phash]
    prepared = prints.of(photo)
    if prepared is not None:
        hashes.append(phash(Image.fromarray(np.ascontiguousarray(prepared.grey[:, ::-1]))))
    bits, limit = int(settings.CASES_REUSE_CANDIDATE_BITS), int(settings.CASES_REUSE_CANDIDATES)
    return [pk for pk, _distance in similar(hashes, bits, others.exclude(pk=photo.pk), limit)]


def _reused(case: Case, others: QuerySet[Evidence], photo: Evidence, prints: Prints) -> PhotoFlag | None:
    ranked = reuse_candidates(photo, others, prints)
    candidates = Evidence.objects.in_bulk(ranked)
    for other_id in ranked:
        other = candidates[other_id]
        copied, result = _copy_of(other, photo, prints)
        if not copied:
            continue
        holder = cases_holding(other_id, case, Case.objects.all()).first()
        if holder is None:  # cannot happen for rows of ``others``; be safe rather than name nothing
            continue
        summary = comparison_summary(result)
        detail = reused_detail(holder.code, copy_detail(summary, hamming(other.phash, photo.phash)))
        return PhotoFlag(
            evidence=photo, kind=K.REUSED, other_evidence_id=other_id, detail=detail, comparison=summary
        )
    return None


def _flags_of(case: Case, photo: Evidence, prints: Prints) -> list[PhotoFlag]:
    found = [_before_open(case, photo), _place(case_location(case), photo)]
    if photo.phash:  # not yet computed: the worker's photo_hashed signal runs the checks again
        found.append(_same_as_problem(problem_photos(case), photo, prints))
        found.append(_reused(case, other_case_photos(case), photo, prints))
    return [flag for flag in found if flag is not None]


def check_photos(event: CaseEvent) -> list[PhotoFlag]:
    """Check every photo of one ``rectify`` event, store the doubts found, and return all flags of the event.

    Details are written in the site's language whoever triggered the check. Other events have no checks."""
    if event.action != "rectify":
        return []
    case = Case.objects.select_related("site").get(pk=event.case_id)
    found: list[PhotoFlag] = []
    prints = Prints()
    with translation.override(settings.LANGUAGE_CODE):
        for photo in event.photos.order_by("pk"):
            found.extend(_flags_of(case, photo, prints))
    for flag in found:
        flag.case, flag.event = case, event
    PhotoFlag.objects.bulk_create(found, ignore_conflicts=True)
    return list(PhotoFlag.objects.filter(event=event))


def events_to_recheck(photo: Evidence) -> QuerySet[CaseEvent]:
    """The rectify events whose checks depend on this photo: those carrying it, and those of the cases whose
    problem photo it is (a problem photo hashed after the fix was reported)."""
    as_problem = Case.objects.filter(
        Q(events__action="open", events__photos__pk=photo.pk) | Q(finding__judgement__evidence__pk=photo.pk)
    )
    return (
        CaseEvent.objects.filter(action="rectify")
        .filter(Q(photos__pk=photo.pk) | Q(case__in=as_problem.values("pk")))
        .distinct()
        .order_by("pk")
    )


# --- where the checks stand ---------------------------------------------------------------------------------

State = PhotoCheckState


def stale_after_s() -> int:
    """A check waiting or running longer than this may be queued again (the worker may be down)."""
    return int(settings.CASES_PHOTO_CHECK_STALE_SECONDS)


def mark_queued(event: CaseEvent) -> PhotoCheck:
    """The checks of a fix are (again) waiting for the worker: the page says so until they have run."""
    fresh = {"state": State.PENDING, "queued_at": timezone.now(), "started_at": None, "finished_at": None}
    check, _created = PhotoCheck.objects.update_or_create(event=event, defaults={**fresh, "error": ""})
    return check


def mark_running(event: CaseEvent) -> None:
    now = timezone.now()
    check, _created = PhotoCheck.objects.get_or_create(event=event, defaults={"queued_at": now})
    PhotoCheck.objects.filter(pk=check.pk).update(
        state=State.RUNNING, started_at=now, finished_at=None, attempts=F("attempts") + 1
    )


def mark_finished(event: CaseEvent, error: str = "") -> None:
    state = State.FAILED if error else State.DONE
    PhotoCheck.objects.filter(event=event).update(state=state, finished_at=timezone.now(), error=error[:300])


def can_requeue(check: PhotoCheck, now: datetime) -> bool:
    """A failed check, or one left waiting or running too long, may be queued again."""
    if check.state == State.FAILED:
        return True
    since = check.started_at if check.state == State.RUNNING and check.started_at else check.queued_at
    return check.state != State.DONE and (now - since).total_seconds() > stale_after_s()


# --- what the viewer sees -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagView:
    evidence_id: int
    event_id: int
    kind: str
    label: str
    detail: str
    other_evidence_id: int | None
    flag_id: int = 0
    comparison: dict[str, Any] = field(default_factory=dict)

    @property
    def comparable(self) -> bool:
        """A keypoint comparison the viewer may see drawn: both photos visible to the viewer."""
        return bool(self.comparison) and self.other_evidence_id is not None


def _reused_view(flag: PhotoFlag, visible: QuerySet[Case]) -> tuple[str, int | None]:
    """A reused photo names the other case only to a viewer who may see it; else the bare label."""
    other = flag.other_evidence
    if other is not None and other.phash and flag.evidence.phash:
        holder = cases_holding(other.pk, flag.case, visible).first()
        if holder is not None:
            how = copy_detail(flag.comparison, hamming(flag.evidence.phash, other.phash))
            return reused_detail(holder.code, how), other.pk
    return str(K.REUSED.label), None


def flags_for(case: Case, user: User) -> list[FlagView]:
    """The flags of a case the viewer may see (``case`` must come from ``Case.objects.visible_to(user)``)."""
    visible = Case.objects.visible_to(user)
    views = []
    rows = case.photo_flags.select_related("evidence", "other_evidence", "case")
    for flag in rows.order_by("event_id", "evidence_id", "kind"):
        detail, other_id = flag.detail, flag.other_evidence_id
        if flag.kind == K.REUSED:
            detail, other_id = _reused_view(flag, visible)
        label = str(K(flag.kind).label)
        views.append(
            FlagView(
                flag.evidence_id, flag.event_id, flag.kind, label, detail, other_id, flag.pk, flag.comparison
            )
        )
    return views


def comparison_image(case: Case, user: User, flag_id: int) -> bytes | None:
    """The drawn keypoint comparison of one flag of ``case`` (which must come from ``visible_to(user)``):
    the other photo, this one aligned onto it, and where they differ. None when the flag has no comparison
    the viewer may see (another unit's photo, a decision by hashes) or a photo cannot be read."""
    view = next((f for f in flags_for(case, user) if f.flag_id == flag_id and f.comparable), None)
    if view is None or view.other_evidence_id is None:
        return None
    photos = Evidence.objects.in_bulk([view.evidence_id, view.other_evidence_id])
    reference = _prepare(photos[view.other_evidence_id])
    candidate = _prepare(photos[view.evidence_id])
    if reference is None or candidate is None:
        return None
    return forensics.comparison_image(reference, candidate, forensics.compare(reference, candidate))


@dataclass(frozen=True)
class CheckedPhoto:
    """One rectification photo with what the verifier checks by eye: when and where it was taken."""

    photo: Evidence
    event: CaseEvent
    flags: list[FlagView]
    check: PhotoCheck
    taken: datetime | None = None
    taken_source: str = ""
    position: tuple[float, float, float] | None = None
    distance_m: int | None = None


def capture_time(photo: Evidence) -> tuple[datetime | None, str]:
    """The capture time the checks trust first (EXIF, then the phone's clock) and where it came from."""
    if photo.exif_captured_at is not None:
        return photo.exif_captured_at, _("EXIF")
    if photo.captured_at is not None:
        return photo.captured_at, _("手机")
    return None, ""


def _checked(
    case: Case, photo: Evidence, event: CaseEvent, flags: list[FlagView], check: PhotoCheck
) -> CheckedPhoto:
    taken, source = capture_time(photo)
    taken_at, where = photo_location(photo), case_location(case)
    distance = None
    if taken_at is not None and where is not None:
        distance = round(haversine_m(taken_at[0], taken_at[1], where[0], where[1]))
    return CheckedPhoto(photo, event, flags, check, taken, source, taken_at, distance)


def checks_of(events: list[CaseEvent]) -> dict[int, PhotoCheck]:
    """The check of each rectify event; one never queued counts as waiting since the fix was reported."""
    found = {check.event_id: check for check in PhotoCheck.objects.filter(event__in=events)}
    return {event.pk: found.get(event.pk) or PhotoCheck(event=event, queued_at=event.at) for event in events}


def review(case: Case, user: User, events: Iterable[CaseEvent]) -> dict[str, Any]:
    """What the case page shows the verifier: each rectification photo with its check state, flags, capture
    time and place, and the state and number of flags of the latest report of a fix (the one verified)."""
    flags = flags_for(case, user)
    by_photo: dict[tuple[int, int], list[FlagView]] = {}
    for flag in flags:
        by_photo.setdefault((flag.event_id, flag.evidence_id), []).append(flag)
    rectify = [event for event in events if event.action == "rectify"]
    checks = checks_of(rectify)
    checked = [
        _checked(case, photo, event, by_photo.get((event.pk, photo.pk), []), checks[event.pk])
        for event in rectify
        for photo in event.photos.all()
    ]
    latest = checks[rectify[-1].pk] if rectify else None
    now = timezone.now()
    return {
        "checked_photos": checked,
        "latest_check": latest,
        "latest_flag_count": sum(1 for flag in flags if latest and flag.event_id == latest.event_id),
        "checks_final": all(check.is_final for check in checks.values()),
        "requeue_events": [pk for pk, check in checks.items() if can_requeue(check, now)],
        "now": now,
    }
