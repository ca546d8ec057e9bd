"""A bulletin's page: the snapshot rendered section by section, the workflow buttons, the documents (render
progress, downloads, re-render), the recipients with read receipts and rectification reports, and the reply
form of a unit that owes one. Opening it as a user of a recipient unit is that unit's read receipt."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.bulletins import exposure, rendering, services
from chuangwen.bulletins.models import Bulletin, Recipient, RenderState, ReplyState
from chuangwen.bulletins.views.common import (
    member,
    office_bulletin,
    posted_version,
    show_refusal,
    visible_bulletin,
)
from chuangwen.bulletins.views.display import sections_of
from chuangwen.core.web import user_of
from chuangwen.evidence.models import Evidence

FORMATS = {
    "docx": ("docx_name", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": ("pdf_name", "application/pdf"),
    "xlsx": ("xlsx_name", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
REPLY_OPEN = (ReplyState.AWAITING, ReplyState.RETURNED)


def documents_of(bulletin: Bulletin) -> list[tuple[str, str]]:
    """(format, label) of the documents stored for the bulletin."""
    labels = {"docx": _("Word 文档"), "pdf": "PDF", "xlsx": _("排名表（Excel）")}
    return [(fmt, labels[fmt]) for fmt, (field, _type) in FORMATS.items() if getattr(bulletin, field)]


def _recipient_rows(bulletin: Bulletin, user: User) -> list[Recipient]:
    rows = list(
        Recipient.objects.visible_to(user)
        .filter(bulletin=bulletin)
        .select_related("unit", "read_by", "replied_by")
        .prefetch_related("reply_photos")
    )
    wanted = {photo.pk for row in rows for photo in row.reply_photos.all()}
    shown = set(Evidence.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
    for row in rows:
        # Only the photos the viewer may open (the evidence views would answer 404 for the others).
        row.photo_ids = [p.pk for p in row.reply_photos.all() if p.pk in shown]  # type: ignore[attr-defined]
        row.reason_text = "、".join(services.reason_labels(row.reasons))  # type: ignore[attr-defined]
    return rows


def _may_reply(recipient: Recipient | None, user: User) -> bool:
    return (
        recipient is not None
        and recipient.unit_id == user.unit_id
        and user.role in (Role.HANDLER, Role.UNIT_HEAD)
        and recipient.reply_state in REPLY_OPEN
    )


def _back(bulletin: Bulletin) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("bulletins:detail", args=[bulletin.pk]))


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = visible_bulletin(request, pk)
    user = user_of(request)
    recipient = services.mark_read(bulletin, user)
    office = services.is_office_of(user, bulletin.owner_unit_id)
    context: dict[str, Any] = {
        "bulletin": bulletin,
        "sections": sections_of(bulletin, user),
        "actions": services.allowed_actions(bulletin, user),
        "office": office,
        "reviews": office and user.role == Role.COORDINATOR,
        "recipients": _recipient_rows(bulletin, user),
        "recipient": recipient,
        "may_reply": _may_reply(recipient, user),
        "documents": documents_of(bulletin),
        "may_expose": exposure.may_manage(user, bulletin),
    }
    return render(request, "bulletins/detail.html", context)


@login_required
@require_GET
def render_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The documents' box (state, progress bar, links): polled every 2 s while queued or running."""
    bulletin = visible_bulletin(request, pk)
    office = services.is_office_of(user_of(request), bulletin.owner_unit_id)
    context = {"bulletin": bulletin, "documents": documents_of(bulletin), "office": office}
    return render(request, "bulletins/partials/render_status.html", context)


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """One workflow step (提交审核, 审核通过, 退回修改, 签发, 印发)."""
    bulletin = office_bulletin(request, pk)
    user = user_of(request)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    version = posted_version(request)
    try:
        if action == "issue":
            bulletin = services.issue_safely(bulletin, user, version=version)
        else:
            bulletin = services.transition(bulletin, action, user, reason=reason, version=version)
    except services.Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("通报状态：%(s)s") % {"s": bulletin.get_state_display()})
    return _back(bulletin)


@login_required
@require_POST
def rerender(request: HttpRequest, pk: int) -> HttpResponse:
    """重新生成文档 of the current version (a draft's preview, or an issued bulletin whose render failed)."""
    bulletin = office_bulletin(request, pk)
    if bulletin.render_state in (RenderState.QUEUED, RenderState.RUNNING):
        messages.error(request, _("文档正在生成，请稍候"))
        return _back(bulletin)
    rendering.request_render(bulletin)
    messages.success(request, _("已开始生成文档"))
    return _back(bulletin)


@login_required
@require_GET
def download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """A stored document of the bulletin, to those who see it; each download is audited as an export."""
    bulletin = visible_bulletin(request, pk)
    if fmt not in FORMATS:
        raise Http404
    field, content_type = FORMATS[fmt]
    name = getattr(bulletin, field)
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        raise Http404 from exc
    detail = {"format": fmt, "version": bulletin.render_version}
    record(request, "bulletin.export", obj=bulletin, detail=detail)
    filename = f"{bulletin.document_number or bulletin.title}.{fmt}".replace("/", "-")
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """报送整改报告 by the recipient unit's handler or head (photos may be attached through the API)."""
    bulletin = visible_bulletin(request, pk)
    recipient = services.recipient_for(bulletin, user_of(request))
    if recipient is None:
        raise PermissionDenied(_("本单位不是该通报的送达单位"))
    try:
        services.reply(recipient, user_of(request), request.POST.get("text", ""))
    except services.Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("整改报告已报送"))
    return _back(bulletin)


@login_required
@require_POST
def review(request: HttpRequest, pk: int, recipient_id: int) -> HttpResponse:
    """The office accepts a unit's rectification report, or returns it with a note."""
    bulletin = office_bulletin(request, pk)
    recipient = get_object_or_404(
        Recipient.objects.visible_to(member(request)).select_related("bulletin"),
        pk=recipient_id,
        bulletin=bulletin,
    )
    accept = request.POST.get("decision") == "accept"
    try:
        services.review_reply(recipient, user_of(request), accept, request.POST.get("note", ""))
    except services.Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("已认可整改报告") if accept else _("已退回整改报告"))
    return _back(bulletin)
