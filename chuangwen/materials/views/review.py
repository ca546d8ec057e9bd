"""A period's review queue (bulk 通过, per-row 退回), its board (per unit; indicators × units), the leaders'
summary and the search through the materials' text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Greatest, Lower, StrIndex, Substr
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role, User
from chuangwen.core.bounds import PAGE_MAX, clamped_number, parse_ids
from chuangwen.core.web import user_of
from chuangwen.materials import services
from chuangwen.materials.board import MatrixRow, board_matrix, board_rows, unit_rates
from chuangwen.materials.board import summary as summary_of
from chuangwen.materials.forms import SearchForm
from chuangwen.materials.models import Material, MaterialState, Period, Standing
from chuangwen.materials.views.common import (
    is_office,
    member,
    nav_flags,
    today,
    unit_id_of,
    visible_period,
)
from chuangwen.org.models import Unit

REVIEW_PAGE = 100
SEARCH_PAGE = 50
SNIPPET_BEFORE, SNIPPET_CHARS = 60, 160


def _page_number(request: HttpRequest) -> int:
    return clamped_number(request.GET.get("page"), 1, PAGE_MAX, 1)


# --- the review queue ---------------------------------------------------------------------------------------


def _queue(user: User, period: Period) -> tuple[QuerySet[Material], str]:
    """What awaits this reviewer and the bulk step: a unit head approves the unit's submitted materials; the
    网申组 passes those the units approved. Anyone else: 403."""
    materials = Material.objects.visible_to(user).filter(task__period=period)
    if user.role == Role.UNIT_HEAD:
        return materials.filter(unit_id=unit_id_of(user), state=MaterialState.SUBMITTED), "approve"
    if user.role == Role.COORDINATOR:
        return materials.filter(state=MaterialState.UNIT_APPROVED), "pass"
    raise PermissionDenied(_("只有单位负责人和文明办网申组审核申报材料。"))


def _bulk(request: HttpRequest, queue: QuerySet[Material], action: str) -> None:
    ids = list(dict.fromkeys(parse_ids(",".join(request.POST.getlist("material")))))
    if not ids:
        messages.warning(request, _("请先勾选要审核的材料。"))
        return
    found = {m.pk: m for m in queue.filter(pk__in=ids).select_related("task__period__owner_unit", "unit")}
    chosen = [found[pk] for pk in ids if pk in found]
    refusals = services.act_many(chosen, action, user_of(request))
    if len(chosen) > len(refusals):
        messages.success(request, _("已审核通过 %(n)s 份材料") % {"n": len(chosen) - len(refusals)})
    missing = [_("编号 %(id)s：材料不在待审核列表中") % {"id": pk} for pk in ids if pk not in found]
    for line in missing + refusals:
        messages.error(request, _("未通过 %(line)s") % {"line": line})


@login_required
def review_queue(request: HttpRequest, period_id: int) -> HttpResponse:
    period = visible_period(request, period_id)
    user = user_of(request)
    queue, action = _queue(user, period)
    url = reverse("materials:review", args=[period.pk])
    if request.method == "POST":
        _bulk(request, queue, action)
        return HttpResponseRedirect(url)
    ordered = queue.select_related("task__indicator", "task__period", "unit", "file").order_by(
        "task__indicator__code", "unit__path", "pk"
    )
    page = Paginator(ordered, REVIEW_PAGE).get_page(_page_number(request))
    context = {
        "period": period,
        "page": page,
        "rows": [(m, services.outside_window(m)) for m in page.object_list],
        "action": action,
        "reviewer": user.role == Role.COORDINATOR,
        **nav_flags(user),
        "here": url + (f"?page={page.number}" if page.number > 1 else ""),
        "return_due": services.default_return_due() if user.role == Role.COORDINATOR else None,
    }
    return render(request, "materials/review.html", context)


# --- the board ----------------------------------------------------------------------------------------------


def _branch(request: HttpRequest, user: User) -> Unit:
    """The unit whose level the matrix shows (``?unit=``) within the viewer's subtree, else the viewer's."""
    assert user.unit is not None
    picked = clamped_number(request.GET.get("unit"), 0, 2**63 - 1, 0)
    found = Unit.objects.visible_to(user).filter(pk=picked).first() if picked else None
    return found or user.unit


def _columns(parent: Unit, with_cells: set[int]) -> list[Unit]:
    """The unit itself (when it has cells of its own) and its children that have cells (``with_cells``: the
    units of the board's per-unit rows, which are grouped by the cells' own unit)."""
    candidates = [parent, *parent.children.filter(active=True).order_by("sort_order", "code")]
    return [u for u in candidates if u.pk in with_cells]


MATRIX_COLUMNS = 30

CELL_HTML = (
    '<td class="cw-cell cw-standing--{0}{1}" data-unit="{2}" data-standing="{0}"{3} title="{4}">{5}</td>'
)
EMPTY_CELL_HTML = '<td class="cw-cell cw-cell--none" data-unit="{0}">—</td>'


def _matrix_cells(columns: list[Unit], rows: list[MatrixRow]) -> list[SafeString]:
    """Each row's cells as HTML: a branch of the city draws thousands of cells, and tags per cell in a
    template cost fifty times more than this. Every piece of text is escaped here, once per unit, standing
    and cell; the rest is fixed markup."""
    title = str(_("%(unit)s %(code)s：%(standing)s，完成时限 %(due)s"))
    late = str(_("（已超期）"))
    labels = {s: str(s.label) for s in Standing}
    units = [(escape(u.code), u.name) for u in columns]
    out = []
    for row in rows:
        parts = []
        for (code, name), cell in zip(units, row.cells, strict=True):
            if cell is None:
                parts.append(EMPTY_CELL_HTML.format(code))
                continue
            label = labels[cell.standing]
            words = {"unit": name, "code": row.code, "standing": label, "due": cell.due_date}
            text = title % words + (late if cell.overdue else "")
            parts.append(
                CELL_HTML.format(
                    escape(cell.standing.value),
                    " cw-cell--overdue" if cell.overdue else "",
                    code,
                    ' data-overdue="1"' if cell.overdue else "",
                    escape(text),
                    escape(label),
                )
            )
        out.append(mark_safe("".join(parts)))
    return out


@login_required
def board(request: HttpRequest, period_id: int) -> HttpResponse:
    period = visible_period(request, period_id)
    user = user_of(request)
    day = today()
    parent = _branch(request, user)
    rows = board_rows(period, user, today=day)
    every_column = _columns(parent, {row.unit_id for row in rows})
    # A city's branch may have hundreds of units: the matrix shows them MATRIX_COLUMNS at a time.
    first = clamped_number(request.GET.get("from"), 0, max(0, len(every_column) - 1), 0)
    columns = every_column[first : first + MATRIX_COLUMNS]
    rates = unit_rates(period, columns, today=day)
    drill = set(Unit.objects.filter(parent__in=columns, active=True).values_list("parent_id", flat=True))
    matrix = board_matrix(period, user, columns, today=day)
    up = parent.parent if parent.parent_id and parent.pk != user.unit_id else None
    context = {
        "period": period,
        "rows": rows,
        "standings": list(Standing),
        "parent": parent,
        "up": up,
        "columns": [(unit, rates[unit.pk], unit.pk in drill and unit.pk != parent.pk) for unit in columns],
        "matrix": list(zip(matrix, _matrix_cells(columns, matrix), strict=True)),
        "today": day,
        "window": {
            "first": first + 1,
            "last": first + len(columns),
            "total": len(every_column),
            "previous": max(0, first - MATRIX_COLUMNS) if first else None,
            "next": first + MATRIX_COLUMNS if first + MATRIX_COLUMNS < len(every_column) else None,
        },
        **nav_flags(user),
    }
    return render(request, "materials/board.html", context)


@login_required
def summary(request: HttpRequest, period_id: int) -> HttpResponse:
    period = visible_period(request, period_id)
    user = user_of(request)
    if not is_office(user):
        raise PermissionDenied(_("汇总页面供文明办和领导查看。"))
    context = {
        "period": period,
        "summary": summary_of(period, user, today=today()),
        **nav_flags(user),
    }
    return render(request, "materials/summary.html", context)


# --- search -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    material: Material
    where: str
    before: str
    match: str
    after: str


FIELD_LABELS = {
    "title": gettext_lazy("材料名称"),
    "description": gettext_lazy("简要说明"),
    "body": gettext_lazy("说明正文"),
    "text": gettext_lazy("文件内容"),
}


def _split(text: str, q: str, start: int = 0) -> tuple[str, str, str] | None:
    """The words around the first match of ``q`` (case-insensitive) in ``text``."""
    at = text.lower().find(q.lower(), start)
    if at < 0:
        return None
    begin = max(0, at - SNIPPET_BEFORE)
    end = at + len(q)
    before = ("…" if begin > 0 else "") + text[begin:at]
    after = text[end : end + SNIPPET_CHARS - SNIPPET_BEFORE] + (
        "…" if len(text) > end + SNIPPET_CHARS - SNIPPET_BEFORE else ""
    )
    return before, text[at:end], after


def _hit(material: Any, q: str) -> Hit:
    for name in ("title", "description", "body", "text_snippet"):
        found = _split(getattr(material, name) or "", q)
        if found is not None:
            label = FIELD_LABELS["text" if name == "text_snippet" else name]
            return Hit(material, str(label), *found)
    return Hit(material, "", "", "", "")


def _matches(user: User, period: Period, q: str) -> QuerySet[Material]:
    """The viewer's materials of the period with ``q`` in the title, description, body or file text; only a
    snippet of the file's text is read back (it may be 200 000 characters)."""
    words = (
        Q(title__icontains=q)
        | Q(description__icontains=q)
        | Q(body__icontains=q)
        | Q(file__text__icontains=q)
    )
    at = StrIndex(Lower("file__text"), Lower(Value(q)))
    return (
        Material.objects.visible_to(user)
        .filter(task__period=period)
        .filter(words)
        .select_related("task__indicator", "unit")
        .annotate(text_at=at)
        .annotate(
            text_snippet=Substr("file__text", Greatest(F("text_at") - SNIPPET_BEFORE, 1), SNIPPET_CHARS)
        )
        .order_by("task__indicator__code", "unit__path", "pk")
    )


@login_required
def search(request: HttpRequest, period_id: int) -> HttpResponse:
    period = visible_period(request, period_id)
    user = member(request)
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = None
    hits: list[Hit] = []
    if q:
        page = Paginator(_matches(user, period, q), SEARCH_PAGE).get_page(_page_number(request))
        hits = [_hit(material, q) for material in page.object_list]
    context = {"period": period, "form": form, "q": q, "page": page, "hits": hits, **nav_flags(user)}
    return render(request, "materials/search.html", context)
