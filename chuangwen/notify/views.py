"""The inbox: a person's own notifications, unread first, and marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.core.web import user_of
from chuangwen.notify import services
from chuangwen.notify.models import Notification

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    notifications = Notification.objects.visible_to(user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        notifications = notifications.unread()
    page = Paginator(notifications.inbox_order(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {"page": page, "only_unread": only_unread, "unread_total": services.unread_count(user)},
    )


@login_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and open its link (or go back to the inbox)."""
    notification = get_object_or_404(Notification.objects.visible_to(user_of(request)), pk=pk)
    services.mark_read(notification)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(link)
    return HttpResponseRedirect(reverse("notify:inbox"))


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    n = services.mark_all_read(user_of(request))
    if n:
        messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": n})
    return HttpResponseRedirect(reverse("notify:inbox"))
