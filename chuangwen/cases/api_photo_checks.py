"""API of the case page's 「重新自动核验」 (docs/cases.md, "Photo checks"): queue a fix's photo checks again,
through ``cases.photo_recheck`` like the page; scoped by ``Case.objects.visible_to``; idempotent by
``client_id``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from chuangwen.cases import photo_recheck
from chuangwen.cases.models import Case
from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, Duplicate, not_found, once
from chuangwen.core.bounds import IdPath
from chuangwen.core.web import user_of

router = Router(tags=["案卷"])


class RecheckIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId


class RecheckOut(Schema):
    case_id: int = Field(description="案卷 ID")
    event_id: int = Field(description="整改记录 ID")
    queued: bool = Field(description="true 已重新排队；false 核验正在进行，无需重新排队")
    duplicate: Duplicate


@router.post(
    "/{case_id}/photo-checks/{event_id}/recheck",
    response={200: RecheckOut, **WRITE_ERRORS},
    summary="重新排队整改照片的自动核验（失败或等待过久时；按 client_id 幂等）",
)
def recheck(request: HttpRequest, case_id: IdPath, event_id: IdPath, data: RecheckIn) -> dict[str, Any]:
    user = user_of(request)
    case = Case.objects.visible_to(user).filter(pk=case_id).first()
    event = photo_recheck.rectify_event(case, event_id) if case is not None else None
    if case is None or event is None:
        raise not_found(_("没有找到该案卷的整改记录"))
    queued: list[bool] = []

    def apply() -> str:
        queued.append(photo_recheck.requeue(case, event, user, request))
        return str(event.pk)

    _id, duplicate = once(user.pk, data.client_id, "cases.photo_recheck", apply)
    return {"case_id": case.pk, "event_id": event.pk, "queued": bool(queued and queued[0]),
            "duplicate": duplicate}  # fmt: skip
