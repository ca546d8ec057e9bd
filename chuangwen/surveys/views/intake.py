"""What the self-completion page (``public``) and the phone-interview page (``cati``) share: the JSON body
their scripts post, turned into a ``services.Submission``; the JSON answers (201 stored, 200 resend, 422 field
errors, 409 refused, 429 too many); the open quota cells a page announces before anyone answers; the runner's
messages in Chinese."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from chuangwen.reports.limits import RateLimited
from chuangwen.surveys.models import AgeBand, Response, Sex, Stratum
from chuangwen.surveys.services import Invalid, Refused, Submission

# A questionnaire of a few hundred questions with its paradata stays far below this.
MAX_BODY_BYTES = 256 * 1024
TRUE_VALUES = (True, 1, "1", "true", "on", "yes")


class BadBody(Exception):
    """The body is not a JSON object of a sensible size (a broken client, not a respondent's mistake)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def read_body(request: HttpRequest) -> dict[str, Any]:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise BadBody(_("提交的内容过大"), 413)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadBody(_("提交的内容不是有效的 JSON"), 400) from None
    if not isinstance(body, dict):
        raise BadBody(_("提交的内容应为 JSON 对象"), 400)
    return body


def client_id_of(body: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(body.get("client_id", "")))
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _text(value: Any, limit: int = 40) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def submission_from(body: dict[str, Any], stratum_id: Any, device: str = "") -> Submission:
    """The Submission a page's body describes; ``Invalid`` naming each field the body got wrong in form
    (``services.submit`` then checks the content)."""
    errors: dict[str, list[str]] = {}
    started, submitted = _moment(body.get("started_at")), _moment(body.get("submitted_at"))
    if started is None:
        errors["started_at"] = [_("开始时间缺失或格式错误")]
    if submitted is None:
        errors["submitted_at"] = [_("完成时间缺失或格式错误")]
    try:
        stratum = int(stratum_id)
    except (TypeError, ValueError):
        errors["stratum"] = [_("请选择受访者所在的社区")]
        stratum = 0
    phone = body.get("phone") or ""
    if not isinstance(phone, str) or len(phone) > 20:
        errors["phone"] = [_("手机号格式不正确，应为 11 位手机号码")]
        phone = ""
    if errors:
        raise Invalid(errors)
    assert started is not None and submitted is not None
    return Submission(
        client_id=str(body.get("client_id", "")),
        stratum_id=stratum,
        age_band=_text(body.get("age_band")),
        sex=_text(body.get("sex")),
        resident=body.get("resident") in TRUE_VALUES,
        answers=body.get("answers"),
        started_at=started,
        submitted_at=submitted,
        paradata=body.get("paradata") or {},
        phone=phone.strip(),
        device=device,
    )


# --- answers ------------------------------------------------------------------------------------------------


def stored(response: Response, created: bool, **extra: Any) -> JsonResponse:
    """201 for a response stored now, 200 for a resend of one stored before. Its status (accepted, flagged,
    excluded) is never told: a respondent kept out of the sample by a coaching visit just sees thanks."""
    body = {"status": "received", "client_id": str(response.client_id), **extra}
    return JsonResponse(body, status=201 if created else 200)


def invalid(errors: dict[str, list[str]], **extra: Any) -> JsonResponse:
    return JsonResponse({"errors": errors, **extra}, status=422, json_dumps_params={"ensure_ascii": False})


def refused(exc: Refused, **extra: Any) -> JsonResponse:
    body = {"code": exc.code, "detail": exc.message, **extra}
    return JsonResponse(body, status=409, json_dumps_params={"ensure_ascii": False})


def limited(exc: RateLimited, **extra: Any) -> JsonResponse:
    body = {"code": "rate_limited", "detail": exc.message, "field": exc.field, **extra}
    response = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(exc.retry_after_seconds)
    return response


def bad_body(exc: BadBody) -> JsonResponse:
    return JsonResponse({"detail": exc.message}, status=exc.status, json_dumps_params={"ensure_ascii": False})


# --- what the pages show ------------------------------------------------------------------------------------


def cell_key(age_band: str, sex: str) -> str:
    return f"{age_band}|{sex}"


def open_cells(stratum: Stratum) -> list[str]:
    """The age band × sex cells still taking responses (none once the stratum is full), as "18-29|m" keys;
    uses prefetched ``cells`` when there are."""
    if stratum.is_full:
        return []
    return [cell_key(c.age_band, c.sex) for c in stratum.cells.all() if not c.is_full]


def screening_choices() -> dict[str, Any]:
    return {"age_bands": list(AgeBand.choices), "sexes": list(Sex.choices)}


def group_labels() -> dict[str, dict[str, str]]:
    """How a page names a quota cell in a sentence (“30–39 岁女性”)."""
    return {
        "age_bands": {str(value): str(label) for value, label in AgeBand.choices},
        "sexes": {"m": _("男性"), "f": _("女性")},
    }


def runner_messages() -> dict[str, str]:
    """The runner's own messages (runner.js ``DEFAULT_MESSAGES``) in the page's language."""
    return {
        "required": _("此题为必答题"),
        "number": _("请填写数字"),
        "range": _("应在 {min} 到 {max} 之间"),
        "multipleHint": _("（可多选）"),
    }


def server_now() -> str:
    """The server's clock for the page: the script measures the device's offset and sends times on the
    server's clock (a phone set wrong would otherwise be refused or counted in the wrong day)."""
    return timezone.now().isoformat()
