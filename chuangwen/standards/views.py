"""Pages of the evaluation standard: reference data that every signed-in user may read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from chuangwen.accounts import capabilities
from chuangwen.core.web import user_of
from chuangwen.standards.models import CheckItem, Indicator, SiteType, Standard
from chuangwen.standards.services.indicators import indicator_tree, tree_totals


def sees_freeze(request: HttpRequest) -> bool:
    """Whether a version is frozen tells that a round has drawn with it; rounds are secret until published,
    so only the offices that run rounds see the freeze (system admins have no business role)."""
    return capabilities.is_coordinator(user_of(request))


@login_required
def standard_list(request: HttpRequest) -> HttpResponse:
    standards = Standard.objects.annotate(
        site_type_count=Count("site_types", distinct=True), item_count=Count("site_types__items")
    ).order_by("code", "-version")
    return render(
        request, "standards/list.html", {"standards": standards, "show_freeze": sees_freeze(request)}
    )


@login_required
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    items = CheckItem.objects.order_by("sort_order", "code")
    site_types = SiteType.objects.order_by("sort_order", "code").prefetch_related(Prefetch("items", items))
    standard = get_object_or_404(
        Standard.objects.select_related("derived_from").prefetch_related(Prefetch("site_types", site_types)),
        pk=pk,
    )
    indicator_count = Indicator.objects.filter(content__project__standard=standard).count()
    context = {"standard": standard, "show_freeze": sees_freeze(request), "indicator_count": indicator_count}
    return render(request, "standards/detail.html", context)


@login_required
def standard_tree(request: HttpRequest, pk: int) -> HttpResponse:
    """测评体系: projects → contents → indicators, every method in one tree, with point totals."""
    standard = get_object_or_404(Standard, pk=pk)
    totals = tree_totals(indicator_tree(standard))
    context = {"standard": standard, "show_freeze": sees_freeze(request), **totals}
    return render(request, "standards/tree.html", context)
