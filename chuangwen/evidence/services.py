"""Taking in a photo: the one path every upload goes through (phone API, later case photos).

Order of work in :func:`ingest_photo`: a resend is answered from the stored row; the round and site are
checked (secrecy: a round the user does not inspect is "not found"); the bytes are checked and re-encoded
(:mod:`chuangwen.evidence.images`); the JPEG is written durably under its SHA-256
(:mod:`chuangwen.evidence.storage`); only then the row is inserted, and the display copy, thumbnail and
perceptual hash are queued for the worker when it commits.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.evidence import capture
from chuangwen.evidence.errors import Conflict, Forbidden, InvalidField, NotFound
from chuangwen.evidence.images import PreparedPhoto, max_bytes, prepare_photo, too_large_error
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.evidence.storage import durable_write, local_root, store_original
from chuangwen.org.coords import CoordSystem, to_wgs84

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.rounds.models import Round
    from chuangwen.sites.models import Site

logger = logging.getLogger(__name__)

FIELD_PHOTO_KINDS = {EvidenceKind.PROBLEM, EvidenceKind.EXCEPTION}


@dataclass
class PhotoMeta:
    """What the phone says about a photo; coordinates in ``coord_system`` (converted to WGS-84 here)."""

    client_id: uuid.UUID
    kind: str = EvidenceKind.PROBLEM
    round_id: int | None = None
    site_id: int | None = None
    captured_at: datetime | None = None
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None
    coord_system: str = CoordSystem.WGS84
    # Capture binding (evidence.capture): the app's token, the phone clock's offset at its last sync, and
    # whether the picture came from the camera or the gallery; case_id names a case photo's target.
    case_id: int | None = None
    capture_token: str = ""
    clock_offset_ms: int | None = None
    source: str = ""


def read_upload(upload: bytes | IO[bytes]) -> bytes:
    """The uploaded bytes, refusing more than EVIDENCE_MAX_BYTES without reading them all."""
    limit = max_bytes()
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        if isinstance(size, int) and size > limit:
            raise too_large_error()
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large_error()
    return data


def stored_for(client_id: uuid.UUID, user: User) -> Evidence | None:
    """The row already stored under ``client_id`` (a resend), which must be the same person's. A first send
    (nearly every request) costs one narrow lookup; only a resend loads the row."""
    found = Evidence.objects.filter(client_id=client_id).values_list("pk", "uploader_id").first()
    if found is None:
        return None
    if found[1] != user.pk:
        raise Conflict(
            "client_id_conflict", _("客户端编号已被他人使用，请重新生成后再上传"), field="client_id"
        )
    return Evidence.objects.get(pk=found[0])


def resolve_target(meta: PhotoMeta, user: User) -> tuple[Round | None, Site | None]:
    """The round and site a field photo belongs to; a round the user does not inspect does not exist."""
    from chuangwen.rounds.models import RoundSite, RoundStatus
    from chuangwen.rounds.visits import inspecting_teams, team_for_site
    from chuangwen.sites.models import Site

    if meta.round_id is None:
        if meta.kind in FIELD_PHOTO_KINDS:
            raise InvalidField("required", _("现场照片须指明测评批次"), field="round_id")
        if meta.site_id is None:
            return None, None
        site = Site.objects.visible_to(user).filter(pk=meta.site_id).first()
        if site is None:
            raise NotFound("not_found", _("点位不存在"))
        return None, site
    round_, teams = inspecting_teams(meta.round_id, user)
    if round_ is None:  # worded exactly like a round that does not exist
        raise NotFound("not_found", _("测评批次不存在，或您不在该批次的测评小组中"))
    if not teams:
        raise Forbidden("not_on_team", _("您不在该测评批次的任何测评小组中，不能上传现场照片"))
    if round_.status not in (RoundStatus.DRAWN, RoundStatus.IN_PROGRESS):
        raise Conflict("round_closed", _("该测评批次已不在测评期间，不能再上传照片"))
    if meta.site_id is None:
        raise InvalidField("required", _("须指明照片所在的点位"), field="site_id")
    entry = (
        RoundSite.objects.filter(round=round_, site_id=meta.site_id).select_related("site").order_by().first()
    )
    if entry is None:
        raise NotFound("site_not_in_round", _("该点位不在本批次的抽中点位中"))
    if team_for_site(entry, teams) is None:  # the same rule as the visit the photo will belong to
        raise NotFound("not_assigned", _("该点位不在您小组的测评路线上"))
    return round_, entry.site


def position(meta: PhotoMeta) -> tuple[float | None, float | None]:
    """(lng, lat) in WGS-84, or (None, None) when the phone sent no position."""
    if meta.lat is None and meta.lng is None:
        return None, None
    if meta.lat is None or meta.lng is None:
        raise InvalidField(
            "value_error", _("纬度和经度须同时提供"), field="lng" if meta.lng is None else "lat"
        )
    if not -90 <= meta.lat <= 90:
        raise InvalidField("value_error", _("纬度须在 -90 到 90 之间"), field="lat")
    if not -180 <= meta.lng <= 180:
        raise InvalidField("value_error", _("经度须在 -180 到 180 之间"), field="lng")
    if meta.accuracy is not None and meta.accuracy < 0:
        raise InvalidField("value_error", _("定位精度不能为负数"), field="accuracy")
    try:
        return to_wgs84(meta.lng, meta.lat, meta.coord_system)
    except ValueError as exc:
        raise InvalidField("value_error", _("坐标系只能是 WGS-84 或 GCJ-02"), field="coord_system") from exc


def _check_meta(meta: PhotoMeta) -> datetime | None:
    if meta.kind not in EvidenceKind.values:
        raise InvalidField("value_error", _("照片类型不正确"), field="kind")
    if meta.source and meta.source not in capture.CaptureSource.values:
        raise InvalidField("value_error", _("照片来源只能是 camera 或 gallery"), field="source")
    if meta.clock_offset_ms is not None and abs(meta.clock_offset_ms) > capture.MAX_OFFSET_MS:
        raise InvalidField("value_error", _("手机时钟偏差不能超过一天"), field="clock_offset_ms")
    if len(meta.capture_token) > 500:
        raise InvalidField("value_error", _("拍摄凭据过长"), field="capture_token")
    captured = meta.captured_at
    if captured is not None and timezone.is_naive(captured):
        captured = timezone.make_aware(captured)  # a phone clock without offset: local time
    return captured


def ingest_photo(upload: bytes | IO[bytes], meta: PhotoMeta, user: User) -> tuple[Evidence, bool]:
    """Check, re-encode and durably store a photo, then insert its row; return (row, created).

    Idempotent by ``meta.client_id``: a resend (also one racing the first send) returns the stored row with
    ``created`` false. Raises :class:`~chuangwen.evidence.errors.EvidenceError` (nothing stored) otherwise.
    """
    existing = stored_for(meta.client_id, user)
    if existing is not None:
        return existing, False
    _check_meta(meta)
    target = resolve_target(meta, user)  # before the decoding: a refused target costs no pixels
    return store_prepared(prepare_upload(upload), meta, user, target)


def ingest_photos(
    uploads: Sequence[bytes | IO[bytes]], metas: Sequence[PhotoMeta], user: User
) -> list[Evidence]:
    """Several photos of one action, all or nothing: every photo is checked before any is stored, so a broken
    last photo leaves no stored first ones behind."""
    targets = []
    for meta in metas:
        _check_meta(meta)
        targets.append(resolve_target(meta, user))
    prepared = [prepare_upload(upload) for upload in uploads]
    return [
        store_prepared(photo, meta, user, target)[0]
        for photo, meta, target in zip(prepared, metas, targets, strict=True)
    ]


def store_prepared(
    photo: PreparedPhoto,
    meta: PhotoMeta,
    user: User,
    target: tuple[Round | None, Site | None] | None = None,
) -> tuple[Evidence, bool]:
    """Store a checked photo durably, then insert its row (idempotent by ``meta.client_id``). ``target`` is
    what ``resolve_target`` gave for ``meta`` when the caller already asked (its queries run once)."""
    captured = _check_meta(meta)
    round_, site = target if target is not None else resolve_target(meta, user)
    lng, lat = position(meta)
    binding = _binding(meta, user, round_, site, captured)
    name = store_original(photo.data, photo.sha256)  # durably on disk before the row exists
    fields = {
        "capture_state": binding.state,
        "capture_detail": binding.detail[:200],
        "clock_offset_ms": meta.clock_offset_ms,
        "kind": meta.kind,
        "round": round_,
        "site": site,
        "captured_at": captured,
        "lat": lat,
        "lng": lng,
        "accuracy_m": meta.accuracy,
    }
    return insert_row(meta.client_id, user, photo, name, fields)


def _binding(
    meta: PhotoMeta, user: User, round_: Round | None, site: Site | None, captured: datetime | None
) -> capture.Binding:
    if meta.case_id is not None:
        target: str | None = capture.case_target(meta.case_id)
    elif round_ is not None and site is not None:
        target = capture.visit_target(round_.pk, site.pk)
    else:
        target = None
    return capture.assess(
        meta.capture_token, meta.source, captured, meta.clock_offset_ms, user, target, timezone.now()
    )


def prepare_upload(upload: bytes | IO[bytes]) -> PreparedPhoto:
    """Read (at most EVIDENCE_MAX_BYTES) and check one upload; the JPEG to keep. Nothing is stored, so a
    caller with several photos checks them all before storing any (all or nothing)."""
    return prepare_photo(read_upload(upload))


def insert_row(
    client_id: uuid.UUID, user: User, photo: PreparedPhoto, name: str, fields: dict[str, Any]
) -> tuple[Evidence, bool]:
    """The row of a photo already stored under ``name`` (:func:`store_original`); inside the caller's
    transaction when there is one, the derivatives queued when it commits."""
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                client_id=client_id,
                uploader=user,
                file=name,
                sha256=photo.sha256,
                upload_sha256=photo.upload_sha256,
                content_type="image/jpeg",
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.data),
                exif_captured_at=photo.exif_captured_at,
                exif_lat=photo.exif_lat,
                exif_lng=photo.exif_lng,
                **fields,
            )
            transaction.on_commit(partial(enqueue_derivatives, evidence.pk))
    except IntegrityError:
        existing = stored_for(client_id, user)  # the same client_id committed by a racing request
        if existing is None:
            raise
        return existing, False
    return evidence, True


def enqueue_derivatives(evidence_id: int) -> None:
    """Queue the display copy, thumbnail and perceptual hash; a queue failure never fails the upload
    (the pages build missing derivatives on first view, and the hourly sweep queues them again)."""
    from chuangwen.evidence.tasks import make_derivatives

    try:
        make_derivatives(evidence_id)
    except Exception:
        logger.exception("could not queue derivatives of evidence %s", evidence_id)


def store_baseline(upload: bytes | IO[bytes], client_id: uuid.UUID, user: User) -> Evidence:
    """Benchmark baseline only (settings.BENCH_BASELINE): store the bytes durably and one row, no checks."""
    data = read_upload(upload)
    sha = hashlib.sha256(data).hexdigest()
    name = f"bench-baseline/{sha[:2]}/{sha[2:4]}/{sha}.bin"
    root = local_root()
    if root is not None:
        durable_write(root / name, data)
    with transaction.atomic():
        return Evidence.objects.create(
            client_id=client_id, uploader=user, file=name, sha256=sha, size_bytes=len(data)
        )
