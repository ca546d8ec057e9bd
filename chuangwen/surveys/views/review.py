"""Quality control (质控) pages: a wave's review queue (flagged responses with their flags, and the call-back
list) for its supervisors and its office, one response shown against its questionnaire, and the review and
call-back forms. Respondents' answers are shown to the survey's own staff and office only
(``Response.visible_to``): anyone else gets a 404, as if the response did not exist."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuangwen.accounts.models import User
from chuangwen.audit.models import AuditEntry
from chuangwen.core.web import user_of
from chuangwen.surveys import quality, services
from chuangwen.surveys.definition import definition
from chuangwen.surveys.logic import evaluate
from chuangwen.surveys.models import (
    COUNTED_STATUSES,
    AgeBand,
    Callback,
    QuestionKind,
    Response,
    ResponseStatus,
    Sex,
    Wave,
    WaveState,
)
from chuangwen.surveys.views.questionnaires import member
from chuangwen.surveys.views.waves import wave_nav

PAGE_SIZE = 50
TABS = ("flagged", "callbacks")
FIELD_LABELS = {
    "action": gettext_lazy("审核结果"),
    "note": gettext_lazy("意见"),
    "outcome": gettext_lazy("回访结果"),
    "phone": gettext_lazy("手机号"),
}
HISTORY_LABELS = {
    "survey.response.accept": gettext_lazy("确认有效"),
    "survey.response.reject": gettext_lazy("作废"),
    "survey.callback": gettext_lazy("回访"),
}


# --- helpers ------------------------------------------------------------------------------------------------


def duration_text(seconds: int | float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    if minutes:
        return _("%(m)s 分 %(s)s 秒") % {"m": minutes, "s": rest}
    return _("%(s)s 秒") % {"s": rest}


def cell_text(response: Response) -> str:
    cell = response.cell
    return f"{AgeBand(cell.age_band).label} {Sex(cell.sex).label}"


def flag_pairs(flags: list[str]) -> list[tuple[str, str]]:
    return [(code, quality.flag_label(code)) for code in flags]


def _review_wave(request: HttpRequest, wave_id: int) -> tuple[Wave, User]:
    """The wave (404 outside the user's lineage) for its supervisors and office only (403 otherwise)."""
    user = member(request)
    wave = get_object_or_404(Wave.objects.visible_to(user).select_related("questionnaire"), pk=wave_id)
    if not services.may_review(wave, user):
        raise PermissionDenied(_("只有本轮调查的督导和组织单位的文明办协调员可以审核答卷。"))
    return wave, user


def _visible_response(request: HttpRequest, pk: int) -> Response:
    user = member(request)
    queryset = Response.objects.visible_to(user).select_related(
        "wave__questionnaire", "stratum__unit", "cell", "interviewer", "reviewed_by"
    )
    return get_object_or_404(queryset, pk=pk)


# --- the queue ----------------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    response: Response
    flags: list[tuple[str, str]]
    cell: str
    duration: str


@login_required
def review_queue(request: HttpRequest, wave_id: int) -> HttpResponse:
    """待审核: flagged responses (filtered by flag) and, on a second tab, interviews picked for call-back."""
    wave, user = _review_wave(request, wave_id)
    tab = request.GET.get("tab", "flagged")
    tab = tab if tab in TABS else "flagged"
    flag = request.GET.get("flag", "")
    flag = flag if flag in quality.FLAG_LABELS else ""
    flagged = list(
        Response.objects.filter(wave=wave, status=ResponseStatus.FLAGGED)
        .order_by("-received_at", "-pk")
        .values_list("pk", "flags")
    )
    flag_counts = Counter(code for _pk, flags in flagged for code in flags)
    if tab == "callbacks":
        ids = list(
            Response.objects.filter(wave=wave, callback=Callback.PICKED)
            .order_by("-received_at", "-pk")
            .values_list("pk", flat=True)
        )
    else:
        ids = [pk for pk, flags in flagged if not flag or flag in flags]
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    responses = Response.objects.filter(pk__in=list(page.object_list)).select_related(
        "stratum__unit", "cell", "interviewer"
    )
    rows = [
        QueueRow(r, flag_pairs(r.flags), cell_text(r), duration_text(r.duration_seconds))
        for r in responses.order_by("-received_at", "-pk")
    ]
    callbacks = Counter(
        Response.objects.filter(wave=wave).exclude(callback="").values_list("callback", flat=True)
    )
    keep = QueryDict(mutable=True)
    keep.update({k: v for k, v in (("tab", tab), ("flag", flag)) if v})
    context = {
        "wave": wave,
        "wave_nav": wave_nav(wave, user, "review"),
        "tab": tab,
        "flag": flag,
        "flag_filters": [
            (code, str(label), flag_counts.get(code, 0)) for code, label in quality.FLAG_LABELS.items()
        ],
        "flagged_total": len(flagged),
        "callback_counts": {
            "picked": callbacks.get(Callback.PICKED, 0),
            "confirmed": callbacks.get(Callback.CONFIRMED, 0),
            "failed": callbacks.get(Callback.FAILED, 0),
        },
        "rows": rows,
        "page": page,
        "keep": keep.urlencode(),
        "published": wave.state == WaveState.PUBLISHED,
    }
    return render(request, "surveys/review_queue.html", context)


# --- one response -------------------------------------------------------------------------------------------


@dataclass
class AnswerRow:
    number: int
    code: str
    text: str
    kind_label: str
    answer: str
    raw: str
    state: str  # answered | skipped (hidden by skip logic) | empty (shown, not answered)
    seconds: float | None


def _answer_text(question: dict[str, Any], value: Any) -> str:
    labels = {str(c["value"]): str(c["label"]) for c in question.get("choices", [])}
    if question["kind"] == QuestionKind.MULTIPLE and isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value)
    if question["kind"] in (QuestionKind.SINGLE, QuestionKind.SCALE):
        return labels.get(str(value), str(value))
    return str(value)


def answer_rows(response: Response) -> list[tuple[dict[str, Any], list[AnswerRow]]]:
    """The questionnaire with this response's answers: each question's chosen labels, seconds spent, and
    whether skip logic hid it."""
    defn = definition(response.wave.questionnaire)
    answers = response.answers if isinstance(response.answers, dict) else {}
    seconds = (response.paradata or {}).get("seconds") or {}
    kinds = dict(QuestionKind.choices)
    out = []
    number = 0
    for section in defn["sections"]:
        shown = evaluate(section.get("relevant"), answers)
        rows = []
        for q in section["questions"]:
            number += 1
            value = answers.get(q["code"])
            if value is not None and value != "" and value != []:
                state = "answered"
            elif not shown or not evaluate(q.get("relevant"), answers):
                state = "skipped"
            else:
                state = "empty"
            raw = (
                "、".join(str(v) for v in value)
                if isinstance(value, list)
                else ("" if value is None else str(value))
            )
            rows.append(
                AnswerRow(
                    number=number,
                    code=q["code"],
                    text=q["text"],
                    kind_label=str(kinds.get(q["kind"], q["kind"])),
                    answer=_answer_text(q, value) if state == "answered" else "",
                    raw=raw,
                    state=state,
                    seconds=seconds.get(q["code"]),
                )
            )
        out.append((section, rows))
    return out


@dataclass
class HistoryLine:
    at: Any
    who: str
    what: str


def history(response: Response) -> list[HistoryLine]:
    entries = AuditEntry.objects.filter(
        object_type=Response._meta.label_lower, object_id=str(response.pk), action__in=list(HISTORY_LABELS)
    ).order_by("seq")
    lines = []
    for entry in entries:
        what = str(HISTORY_LABELS[entry.action])
        outcome = (entry.detail or {}).get("outcome")
        if entry.action == "survey.callback" and outcome in Callback.values:
            what = f"{what}：{Callback(outcome).label}"
        lines.append(HistoryLine(entry.at, entry.actor_name, what))
    return lines


def _position(response: Response) -> dict[str, Any] | None:
    if response.lat is None or response.lng is None:
        return None
    boundary = response.stratum.unit.boundary
    outside = quality.distance_outside_m(boundary, response.lat, response.lng) if boundary else None
    return {
        "lat": response.lat,
        "lng": response.lng,
        "accuracy": response.accuracy_m,
        "outside_m": None if outside is None else round(outside),
        "too_far": outside is not None and outside > response.wave.max_distance_m,
    }


def _errors(exc: services.Invalid) -> list[str]:
    return [
        f"{FIELD_LABELS[key]}：{message}" if key in FIELD_LABELS else message
        for key, found in exc.errors.items()
        for message in found
    ]


def _response_page(
    request: HttpRequest,
    response: Response,
    *,
    review_errors: list[str] | None = None,
    callback_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = user_of(request)
    wave = response.wave
    reviews = services.may_review(wave, user) and wave.state != WaveState.PUBLISHED
    paradata = response.paradata or {}
    context = {
        "response": response,
        "wave": wave,
        "sections": answer_rows(response),
        "flags": flag_pairs(response.flags),
        "cell": cell_text(response),
        "duration": duration_text(response.duration_seconds),
        "position": _position(response),
        "clock_offset": paradata.get("clock_offset_s"),
        "history": history(response),
        "may_review_queue": services.may_review(wave, user),
        "may_accept": reviews and response.status == ResponseStatus.FLAGGED,
        "may_reject": reviews and response.status in COUNTED_STATUSES,
        "may_callback": reviews and response.callback == Callback.PICKED,
        "review_errors": review_errors or [],
        "callback_errors": callback_errors or [],
        "posted": request.POST if request.method == "POST" else {},
        "published": wave.state == WaveState.PUBLISHED,
    }
    return render(request, "surveys/review_response.html", context, status=status)


@login_required
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _response_page(request, _visible_response(request, pk))


def _reviewer(request: HttpRequest, response: Response) -> User:
    user = user_of(request)
    if not services.may_review(response.wave, user):
        raise PermissionDenied(_("只有本轮调查的督导和组织单位的文明办协调员可以审核答卷。"))
    return user


@login_required
@require_POST
def response_review(request: HttpRequest, pk: int) -> HttpResponse:
    """确认有效 (accept) or 作废 (reject, with the reason) → ``services.review``; errors on the page."""
    response = _visible_response(request, pk)
    user = _reviewer(request, response)
    action = request.POST.get("action", "")
    try:
        services.review(response, user, action, request.POST.get("note", ""))
    except services.Invalid as exc:
        return _response_page(request, response, review_errors=_errors(exc), status=400)
    except services.Refused as exc:
        return _response_page(request, response, review_errors=[exc.message], status=400)
    done = _("已确认有效") if action == "accept" else _("已作废，配额名额已释放")
    messages.success(request, _("答卷 #%(pk)s %(done)s") % {"pk": response.pk, "done": done})
    return HttpResponseRedirect(reverse("surveys:review_queue", args=[response.wave_id]))


@login_required
@require_POST
def response_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """The outcome of a call-back → ``services.record_callback`` (a failed one rejects the interview)."""
    response = _visible_response(request, pk)
    user = _reviewer(request, response)
    try:
        done = services.record_callback(
            response,
            user,
            request.POST.get("outcome", ""),
            request.POST.get("note", ""),
            request.POST.get("phone", "").strip(),
        )
    except services.Invalid as exc:
        return _response_page(request, response, callback_errors=_errors(exc), status=400)
    except services.Refused as exc:
        return _response_page(request, response, callback_errors=[exc.message], status=400)
    if done.callback == Callback.CONFIRMED:
        messages.success(request, _("答卷 #%(pk)s 回访属实") % {"pk": done.pk})
    else:
        messages.warning(request, _("答卷 #%(pk)s 回访不符，答卷已作废") % {"pk": done.pk})
    return HttpResponseRedirect(reverse("surveys:review_queue", args=[response.wave_id]) + "?tab=callbacks")


urlpatterns: list[URLPattern] = [
    path("waves/<int:wave_id>/review/", review_queue, name="review_queue"),
    path("responses/<int:pk>/", response_detail, name="response"),
    path("responses/<int:pk>/review/", response_review, name="response_review"),
    path("responses/<int:pk>/callback/", response_callback, name="response_callback"),
]
