"""What every 通报 page shares: who may come in (403 for a role without the capability), bulletins found only
through ``visible_to`` (404 outside the viewer's scope), and a refusal shown as a message naming its field."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.bulletins import services
from chuangwen.bulletins.models import Bulletin
from chuangwen.core.web import user_of

# The Chinese name of each field a service refusal may concern (services.Refused.field).
FIELD_LABELS = {
    "sections": gettext_lazy("章节"),
    "wording": gettext_lazy("文字段落"),
    "title": gettext_lazy("标题"),
    "typical": gettext_lazy("典型问题"),
    "version": gettext_lazy("版本号"),
    "reason": gettext_lazy("退回意见"),
    "note": gettext_lazy("审核意见"),
    "text": gettext_lazy("整改报告"),
    "photos": gettext_lazy("整改照片"),
    "ranking": gettext_lazy("引用排名"),
    "round": gettext_lazy("引用测评批次"),
    "wave": gettext_lazy("引用问卷调查轮次"),
    "materials_period": gettext_lazy("引用申报周期"),
    "period_start": gettext_lazy("通报期间起"),
    "period_end": gettext_lazy("通报期间止"),
    "corrects": gettext_lazy("更正的通报"),
    "action": gettext_lazy("操作"),
}


def member(request: HttpRequest) -> User:
    """The signed-in user, if the role uses bulletins; 403 otherwise."""
    user = user_of(request)
    if not capabilities.may_see_bulletins(user):
        raise PermissionDenied(_("您的角色不使用通报。"))
    return user


def office_unit(user: User) -> int:
    """The unit of an office user (the capability needs a unit)."""
    assert user.unit_id is not None
    return user.unit_id


def visible_bulletin(request: HttpRequest, pk: int) -> Bulletin:
    user = member(request)
    queryset = Bulletin.objects.visible_to(user).select_related(
        "template", "owner_unit", "created_by", "reviewed_by", "signed_by", "issued_by", "corrects"
    )
    return get_object_or_404(queryset, pk=pk)


def office_bulletin(request: HttpRequest, pk: int) -> Bulletin:
    """A bulletin the user sees, of the user's own office (403 for the others who see it)."""
    bulletin = visible_bulletin(request, pk)
    if not services.is_office_of(user_of(request), bulletin.owner_unit_id):
        raise PermissionDenied(_("只有发文单位文明办可以办理该通报"))
    return bulletin


def refusal_text(exc: services.Refused) -> str:
    """「字段：说明」 when the refusal concerns a field, else the message alone."""
    label = FIELD_LABELS.get(exc.field)
    return f"{label}：{exc.message}" if label else exc.message


def show_refusal(request: HttpRequest, exc: services.Refused) -> None:
    messages.error(request, refusal_text(exc))


def posted_version(request: HttpRequest) -> int | None:
    """The optimistic ``version`` the form carried (None when absent or not a number: then no check)."""
    raw = request.POST.get("version", "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None
