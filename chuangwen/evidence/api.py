"""POST /api/v1/evidence: photos from the inspector's phone, and a case's rectification and verification
photos (contract: docs/inspection-api.md §2)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import ValidationError
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.cases.case_photos import CASE_PHOTO_KINDS, site_for_case_photo
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX
from chuangwen.core.web import user_of
from chuangwen.evidence import capture
from chuangwen.evidence.capture import MAX_OFFSET_MS
from chuangwen.evidence.errors import Busy, EvidenceError, InvalidField
from chuangwen.evidence.images import max_bytes, too_large_error
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.services import PhotoMeta, ingest_photo, resolve_target, store_baseline, stored_for

# Token first: with the API-wide order (session, then token) ninja's session check refuses a token-only POST
# for want of a CSRF cookie before the token is looked at. Without a token header the session check (with
# CSRF) still applies.
router = Router(tags=["证据照片"], auth=[TokenAuth(), SessionAuth()])

# Room for the form fields and multipart headers around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


class PhotoForm(Schema):
    client_id: uuid.UUID = Field(description="手机生成的 UUID；重发同一编号返回已保存的结果")
    kind: Literal["problem", "exception", "rectification", "verification"] = Field(
        "problem",
        description="problem 问题照片 | exception 异常情况 | rectification 整改照片 | verification 核查照片",
    )
    round_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="测评批次 ID（现场照片必填；须是本人所在测评小组的批次）"
    )
    site_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="点位 ID（现场照片必填；须是该批次的抽中点位）"
    )
    case_id: int | None = Field(
        None,
        ge=1,
        le=ID_MAX,
        description="案卷 ID（整改照片、核查照片必填；须是本人现在可报告整改或核查的案卷）",
    )
    captured_at: datetime | None = Field(None, description="拍摄时间（手机时钟，ISO 8601，带时区）")
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="纬度")
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False, description="经度")
    accuracy: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False, description="定位精度（米）")
    coord_system: Literal["WGS-84", "GCJ-02"] = Field("WGS-84", description="坐标系：WGS-84 或 GCJ-02")
    capture_token: str = Field(
        "", max_length=500, description="拍摄凭据（GET /api/v1/evidence/capture-token 取得）；没有则为未绑定"
    )
    clock_offset_ms: int | None = Field(
        None,
        ge=-MAX_OFFSET_MS,
        le=MAX_OFFSET_MS,
        description="手机时钟减服务器时钟（毫秒，最近一次同步时测得），用于校正拍摄时间",
    )
    source: Literal["camera", "gallery"] | None = Field(
        None, description="照片来源：camera 相机 | gallery 相册"
    )


class CaptureTarget(Schema):
    case_id: int | None = Field(None, ge=1, le=ID_MAX, description="案卷 ID（整改、核查照片）")
    kind: Literal["rectification", "verification"] = Field("rectification", description="案卷照片的类型")
    round_id: int | None = Field(None, ge=1, le=ID_MAX, description="测评批次 ID（现场照片）")
    site_id: int | None = Field(None, ge=1, le=ID_MAX, description="点位 ID（现场照片）")


class CaptureTokenOut(Schema):
    token: str = Field(description="拍摄凭据：随本案卷或点位的每张照片上传")
    issued_at: datetime = Field(description="签发时间（服务器时钟）")
    expires_at: datetime = Field(description="失效时间")
    server_time: datetime = Field(description="服务器当前时间（用于测算手机时钟偏差）")


class EvidenceOut(Schema):
    id: int = Field(description="照片 ID")
    client_id: uuid.UUID = Field(description="客户端编号")
    sha256: str = Field(description="保存文件（重新编码后的 JPEG）的 SHA-256")
    width: int = Field(description="宽（像素）")
    height: int = Field(description="高（像素）")
    duplicate: bool = Field(description="是否为重发（此前已保存）")


def busy_response(exc: Busy) -> JsonResponse:
    """503 with Retry-After: every decoding slot of this process stayed taken; nothing was stored."""
    return ApiError(
        exc.status, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}
    ).response()


def _error(exc: EvidenceError) -> Status[dict[str, str]] | JsonResponse:
    if isinstance(exc, InvalidField):
        raise ValidationError([{"loc": ["form", exc.field or ""], "msg": exc.message, "type": exc.code}])
    if isinstance(exc, Busy):
        return busy_response(exc)
    return Status(exc.status, {"detail": exc.message, "code": exc.code})


def refuse_oversized_body(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer too_large from Content-Length alone, before a huge body is read or spooled to disk."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes() + FORM_OVERHEAD_BYTES:
            exc = too_large_error()
            return ApiError(400, exc.code, exc.message).response()
        return run(request, *args, **kwargs)

    return wrapper


def _out(evidence: Evidence, created: bool) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "client_id": evidence.client_id,
        "sha256": evidence.sha256,
        "width": evidence.width,
        "height": evidence.height,
        "duplicate": not created,
    }


@router.post(
    "",
    response={
        200: EvidenceOut,
        201: EvidenceOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        503: ErrorOut,
    },
    summary="上传现场照片（multipart，按 client_id 幂等）",
)
@decorate_view(refuse_oversized_body)
def upload_photo(
    request: HttpRequest, data: Form[PhotoForm], file: File[UploadedFile]
) -> Status[dict[str, Any]] | JsonResponse:
    user = user_of(request)
    site_id = data.site_id
    try:
        if data.kind in CASE_PHOTO_KINDS and stored_for(data.client_id, user) is None:
            site_id = site_for_case_photo(data.case_id, data.kind, user)  # a resend is answered as stored
        elif data.kind in CASE_PHOTO_KINDS:
            site_id = None
    except EvidenceError as exc:
        file.close()
        return _error(exc)
    meta = PhotoMeta(
        client_id=data.client_id,
        kind=data.kind,
        round_id=None if data.kind in CASE_PHOTO_KINDS else data.round_id,
        site_id=site_id,
        captured_at=data.captured_at,
        lat=data.lat,
        lng=data.lng,
        accuracy=data.accuracy,
        coord_system=data.coord_system,
        case_id=data.case_id if data.kind in CASE_PHOTO_KINDS else None,
        capture_token=data.capture_token,
        clock_offset_ms=data.clock_offset_ms,
        source=data.source or "",
    )
    try:
        evidence, created = ingest_photo(file, meta, user)
    except EvidenceError as exc:
        return _error(exc)
    finally:
        file.close()
    return Status(201 if created else 200, _out(evidence, created))


@router.get(
    "/capture-token",
    response={200: CaptureTokenOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="取得拍摄凭据（整改、核查照片按案卷；现场照片按批次和点位）",
)
def capture_token(
    request: HttpRequest, target: Query[CaptureTarget]
) -> Status[dict[str, Any]] | JsonResponse:
    """The same checks as an upload for that case or visit: a case the user cannot now photograph, a round
    the user does not inspect, a site off the user's route answer as they would for a photo."""
    user = user_of(request)
    try:
        if target.case_id is not None:
            site_for_case_photo(target.case_id, target.kind, user)
            bound_to = capture.case_target(target.case_id)
        else:
            meta = PhotoMeta(client_id=uuid.uuid4(), round_id=target.round_id, site_id=target.site_id)
            round_, site = resolve_target(meta, user)  # refuses a field photo without a round and a site
            assert round_ is not None and site is not None
            bound_to = capture.visit_target(round_.pk, site.pk)
    except EvidenceError as exc:
        return _error(exc)
    return Status(200, capture.issue(user, bound_to))


if settings.BENCH_BASELINE:  # the ingest benchmark's baseline; never registered in production

    @router.post("/_baseline", response={201: EvidenceOut, 400: ErrorOut}, include_in_schema=False)
    def baseline(
        request: HttpRequest, client_id: Form[uuid.UUID], file: File[UploadedFile]
    ) -> Status[dict[str, Any]] | JsonResponse:
        try:
            evidence = store_baseline(file, client_id, user_of(request))
        except EvidenceError as exc:
            return _error(exc)
        return Status(201, _out(evidence, True))
