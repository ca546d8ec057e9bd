"""Capture binding (拍摄凭据): proof that a photo was taken in the app, for this case or visit, after the
server said so — stronger than EXIF, which anyone can rewrite.

Before taking photos the app fetches a **capture token** for its target (``case:<id>`` or
``visit:<round>:<site>``): signed by the server with the user, the target, the moment it was issued and a
random nonce. With each photo it sends the token, the phone's capture time and the **clock offset** it
measured at its last sync (phone clock minus server clock, from the server's answers), and whether the
picture came from the camera or the gallery. ``assess`` gives one of three states, stored on the photo and
shown to the verifier:

- ``bound`` 现场拍摄（已绑定）: a valid token of this user and target, and the capture time, corrected by the
  offset, lies between the token's issue and the upload (with ``SLACK`` either side);
- ``gallery`` 相册选取: the app says the picture was picked from the gallery;
- ``unbound`` 未绑定: anything else (no token — a web upload or an old app —, a token of someone else or for
  another target, expired, or a capture time outside its window); the detail says which.

A bound photo is not proof of an honest fix (the camera may be pointed at a screen; the keypoint comparison
looks for that), but its time and place come from the device at capture, not from the file.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

SALT = "chuangwen.evidence.capture"
SLACK = timedelta(minutes=2)
MAX_OFFSET_MS = 24 * 3600 * 1000  # a phone clock a day off is refused at the edge as nonsense


class CaptureState(models.TextChoices):
    BOUND = "bound", gettext_lazy("现场拍摄（已绑定）")
    GALLERY = "gallery", gettext_lazy("相册选取")
    UNBOUND = "unbound", gettext_lazy("未绑定")


class CaptureSource(models.TextChoices):
    CAMERA = "camera", gettext_lazy("相机")
    GALLERY = "gallery", gettext_lazy("相册")


def max_age() -> timedelta:
    return timedelta(seconds=int(settings.EVIDENCE_CAPTURE_TOKEN_SECONDS))


def case_target(case_id: int) -> str:
    return f"case:{case_id}"


def visit_target(round_id: int, site_id: int) -> str:
    return f"visit:{round_id}:{site_id}"


def issue(user: User, target: str, now: datetime | None = None) -> dict[str, Any]:
    """A capture token for ``target`` (the caller has checked that the user may take photos for it)."""
    now = now or timezone.now()
    payload = {"u": user.pk, "t": target, "at": now.timestamp(), "n": secrets.token_hex(8)}
    return {
        "token": signing.dumps(payload, salt=SALT),
        "issued_at": now,
        "expires_at": now + max_age(),
        "server_time": now,
    }


@dataclass(frozen=True)
class Binding:
    state: str
    detail: str


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def assess(
    token: str,
    source: str,
    captured_at: datetime | None,
    offset_ms: int | None,
    user: User,
    target: str | None,
    received_at: datetime,
) -> Binding:
    """How far the photo's capture can be trusted (see the module's text)."""
    if source == CaptureSource.GALLERY:
        return Binding(
            CaptureState.GALLERY, _("从相册选取：拍摄时间和位置只能依据照片文件（EXIF），可被改写")
        )
    if not token:
        return Binding(CaptureState.UNBOUND, _("没有拍摄凭据（网页上传或旧版应用）"))
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        return Binding(CaptureState.UNBOUND, _("拍摄凭据已过期"))
    except signing.BadSignature:
        return Binding(CaptureState.UNBOUND, _("拍摄凭据无效"))
    if payload.get("u") != user.pk or target is None or payload.get("t") != target:
        return Binding(CaptureState.UNBOUND, _("拍摄凭据不属于本人或不属于这个案卷、点位"))
    if captured_at is None:
        return Binding(CaptureState.UNBOUND, _("应用没有记录拍摄时间"))
    issued = datetime.fromtimestamp(float(payload["at"]), tz=received_at.tzinfo)
    corrected = captured_at - timedelta(milliseconds=offset_ms or 0)
    values = {"taken": _when(corrected), "issued": _when(issued), "received": _when(received_at)}
    if not issued - SLACK <= corrected <= received_at + SLACK:
        return Binding(
            CaptureState.UNBOUND,
            _("校正后的拍摄时间 %(taken)s 不在凭据签发（%(issued)s）与上传（%(received)s）之间") % values,
        )
    seconds = round((offset_ms or 0) / 1000)
    return Binding(
        CaptureState.BOUND,
        _("凭据签发于 %(issued)s，拍摄于 %(taken)s（手机时钟偏差 %(offset)s 秒已校正）")
        % {**values, "offset": seconds},
    )
