"""曝光台 pages under /exposure/: no account, nothing but ``exposure.public_view`` of a published bulletin.

- ``/exposure/`` the bulletins on the 曝光台, newest first, 20 a page;
- ``/exposure/<public_token>/`` one bulletin, redacted (its photos as blurred public copies only);
- ``/exposure/feed.atom`` the Atom feed of the same list;
- ``/exposure/manage/<pk>/publish`` and ``…/withdraw`` (POST, the issuing office's coordinator; 404 for
  anyone else) back to the bulletin's page.

An unpublished or withdrawn bulletin is a 404 everywhere, as if it did not exist; a public URL carries the
random ``public_token``, never the database id. Public responses may be cached for a minute only, so that a
withdrawal takes effect at once in practice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from chuangwen.bulletins import exposure
from chuangwen.bulletins.models import Bulletin, Section
from chuangwen.bulletins.services import Refused
from chuangwen.core.web import user_of

PER_PAGE = 20
FEED_ENTRIES = 50
PUBLIC_CACHE = {"public": True, "max_age": 60}


@require_GET
@cache_control(**PUBLIC_CACHE)
def exposure_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(exposure.published(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "bulletins/public/list.html", {"page": page, "bulletins": page.object_list})


def _parts(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections to show, in the bulletin's order, each with its heading."""
    keys = {Section.RED_LIST: "red", Section.BLACK_LIST: "black"}
    parts = []
    for section in view["sections"]:
        if section not in Section.values:
            continue
        key = keys.get(section, section)
        if section != Section.OVERVIEW and not view.get(key):
            continue
        parts.append({"key": key, "label": Section(section).label, "rows": view.get(key)})
    return parts


@require_GET
@cache_control(**PUBLIC_CACHE)
def exposure_page(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    bulletin = get_object_or_404(exposure.published(), public_token=token)
    view = exposure.public_view(bulletin)
    return render(request, "bulletins/public/page.html", {"view": view, "parts": _parts(view)})


class StableAtomFeed(Atom1Feed):
    """An empty feed says it was last updated at the epoch, not "now": the same content gives the same bytes,
    so readers and caches see no change where there was none."""

    def latest_post_date(self) -> datetime:
        if not self.items:
            return datetime(1970, 1, 1, tzinfo=UTC)
        return super().latest_post_date()


@method_decorator(cache_control(**PUBLIC_CACHE), name="__call__")
class ExposureFeed(Feed):  # type: ignore[type-arg]  # django-stubs: Feed is generic over item and object
    feed_type = StableAtomFeed
    title = gettext_lazy("文明城市创建曝光台")
    subtitle = gettext_lazy("文明办公开发布的测评通报（已隐去个人信息）")

    def link(self) -> str:
        return reverse("exposure:list")

    def items(self) -> list[Bulletin]:
        return list(exposure.published()[:FEED_ENTRIES])

    def item_title(self, item: Bulletin) -> str:
        return f"{item.document_number} {item.title}".strip()

    def item_description(self, item: Bulletin) -> str:
        return item.public_summary

    def item_link(self, item: Bulletin) -> str:
        return reverse("exposure:page", args=[item.public_token])

    def item_guid(self, item: Bulletin) -> str:
        return f"urn:uuid:{item.public_token}"

    def item_pubdate(self, item: Bulletin) -> Any:
        return item.public_at

    def item_updateddate(self, item: Bulletin) -> Any:
        return item.public_at

    def item_author_name(self, item: Bulletin) -> str:
        return item.issuer


# --- the office's controls -----


def _managed(request: HttpRequest, pk: int) -> Bulletin:
    """A bulletin the user manages on the 曝光台; 404 for anyone else, as if it did not exist."""
    user = user_of(request)
    bulletin = Bulletin.objects.visible_to(user).filter(pk=pk).first()
    if bulletin is None or not exposure.may_manage(user, bulletin):
        raise Http404
    return bulletin


@require_POST
@login_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _managed(request, pk)
    try:
        exposure.publish(bulletin, user_of(request), request.POST.get("summary", ""))
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已在曝光台发布"))
    return redirect("bulletins:detail", pk=bulletin.pk)


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _managed(request, pk)
    try:
        exposure.withdraw(bulletin, user_of(request), request.POST.get("reason", ""))
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已从曝光台撤下"))
    return redirect("bulletins:detail", pk=bulletin.pk)
