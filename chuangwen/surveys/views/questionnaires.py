"""Questionnaire pages: the list (by code, with versions and the waves fielding them), a readable preview,
import of a YAML or XLSForm-like .xlsx file as a new version (all or nothing, every problem by place), the
starter questionnaire, downloads and 定稿. No page edits questions in place: a change is a new version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.core.web import user_of
from chuangwen.core.xlsx import XLSX_CONTENT_TYPE, ImportFileError, read_upload
from chuangwen.standards.models import Indicator, Standard
from chuangwen.surveys import plan, spec, xlsform
from chuangwen.surveys.models import Measure, Question, QuestionKind, Questionnaire, Wave
from chuangwen.surveys.services import Refused

YAML_TYPE = "application/yaml; charset=utf-8"
YAML_SUFFIXES = (".yaml", ".yml")


# --- who ----------------------------------------------------------------------------------------------------


def member(request: HttpRequest) -> User:
    """The signed-in user, if the role uses the survey pages; 403 otherwise."""
    user = user_of(request)
    if not capabilities.may_see_surveys(user):
        raise PermissionDenied(_("您的角色不使用问卷调查。"))
    return user


def runner(request: HttpRequest) -> User:
    """A coordinator of an office (questionnaires are imported for the own unit); 403 otherwise."""
    user = member(request)
    if not capabilities.may_run_surveys(user):
        raise PermissionDenied(_("只有文明办协调员可以导入问卷。"))
    return user


def owns(questionnaire: Questionnaire, user: User) -> bool:
    """A coordinator of the office that owns the questionnaire (freezes it)."""
    return user.role == Role.COORDINATOR and user.unit_id == questionnaire.owner_unit_id


def visible_questionnaire(request: HttpRequest, pk: int) -> Questionnaire:
    user = member(request)
    queryset = Questionnaire.objects.visible_to(user).select_related("owner_unit", "standard", "created_by")
    return get_object_or_404(queryset, pk=pk)


# --- forms --------------------------------------------------------------------------------------------------


def _standard_field() -> forms.ModelChoiceField[Standard]:
    return forms.ModelChoiceField(
        label=gettext_lazy("对应测评体系版本"),
        queryset=Standard.objects.order_by("code", "-version"),
        required=False,
        empty_label=gettext_lazy("不对应（不核对标准编号）"),
        help_text=gettext_lazy("选择后，题目的标准编号须是该版本测评体系中的编号；预览页可跳转到对应标准。"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("问卷文件（.yaml / .yml / .xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"] = _standard_field()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((*YAML_SUFFIXES, ".xlsx")):
            raise forms.ValidationError(_("请上传 .yaml、.yml 或 .xlsx 文件"))
        return upload


class StarterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"] = _standard_field()


# --- pages --------------------------------------------------------------------------------------------------


@dataclass
class Version:
    questionnaire: Questionnaire
    waves: list[Wave]
    may_freeze: bool


@dataclass
class Group:
    code: str
    owner: Any
    title: str
    versions: list[Version] = field(default_factory=list)


def _waves_by_questionnaire(user: User, ids: list[int]) -> dict[int, list[Wave]]:
    out: dict[int, list[Wave]] = {}
    for wave in Wave.objects.visible_to(user).filter(questionnaire_id__in=ids).order_by("-starts_on", "-pk"):
        out.setdefault(wave.questionnaire_id, []).append(wave)
    return out


@login_required
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    """The questionnaires of the user's lineage by code, newest version first, with the waves using each."""
    user = member(request)
    questionnaires = list(
        Questionnaire.objects.visible_to(user)
        .select_related("owner_unit")
        .annotate(question_count=Count("questions"))
        .order_by("owner_unit__path", "code", "-version")
    )
    waves = _waves_by_questionnaire(user, [q.pk for q in questionnaires])
    groups: dict[tuple[int, str], Group] = {}
    for q in questionnaires:
        group = groups.setdefault((q.owner_unit_id, q.code), Group(q.code, q.owner_unit, q.title))
        group.versions.append(Version(q, waves.get(q.pk, []), not q.is_frozen and owns(q, user)))
    context = {
        "groups": list(groups.values()),
        "runs": capabilities.may_run_surveys(user),
        "starter_form": StarterForm(),
    }
    return render(request, "surveys/questionnaire_list.html", context)


@dataclass
class PreviewQuestion:
    number: int
    question: Question
    measure_label: str
    indicator_text: str
    indicator_url: str
    default_scale: bool


def _preview_sections(questionnaire: Questionnaire) -> list[tuple[Any, list[PreviewQuestion]]]:
    questions = list(questionnaire.questions.order_by("position"))
    codes = {q.indicator_code for q in questions if q.indicator_code}
    texts: dict[str, str] = {}
    tree = ""
    if questionnaire.standard_id is not None and codes:
        texts = dict(
            Indicator.objects.filter(
                content__project__standard_id=questionnaire.standard_id, code__in=codes
            ).values_list("code", "text")
        )
        tree = reverse("standards:tree", args=[questionnaire.standard_id])
    scale = [(c["value"], c["label"]) for c in spec.SCALE_CHOICES]
    sections = []
    number = 0
    for section in questionnaire.sections.order_by("position"):
        items = []
        for q in (q for q in questions if q.section_id == section.pk):
            number += 1
            items.append(
                PreviewQuestion(
                    number=number,
                    question=q,
                    measure_label=str(Measure(q.measure).label) if q.measure in Measure.values else "",
                    indicator_text=texts.get(q.indicator_code, ""),
                    indicator_url=f"{tree}#indicator-{q.indicator_code}" if tree and q.indicator_code else "",
                    default_scale=q.kind == QuestionKind.SCALE
                    and [(c["value"], c["label"]) for c in q.choices] == scale,
                )
            )
        sections.append((section, items))
    return sections


@login_required
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A readable preview: sections, numbered questions, choices with their scores, skip logic as written."""
    questionnaire = visible_questionnaire(request, pk)
    user = user_of(request)
    versions = (
        Questionnaire.objects.visible_to(user)
        .filter(owner_unit_id=questionnaire.owner_unit_id, code=questionnaire.code)
        .order_by("-version")
    )
    context = {
        "questionnaire": questionnaire,
        "sections": _preview_sections(questionnaire),
        "versions": list(versions),
        "waves": _waves_by_questionnaire(user, [questionnaire.pk]).get(questionnaire.pk, []),
        "may_freeze": not questionnaire.is_frozen and owns(questionnaire, user),
        "runs": capabilities.may_run_surveys(user),
    }
    return render(request, "surveys/questionnaire_detail.html", context)


@dataclass
class ErrorLine:
    where: str
    row: int | None
    column: str
    message: str


def _error_lines(errors: list[spec.SpecError], workbook: bool) -> list[ErrorLine]:
    return [
        ErrorLine(e.where, e.row, xlsform.column_of(e) if workbook else e.field, e.message) for e in errors
    ]


def _is_workbook(upload: Any) -> bool:
    return not (upload.name or "").lower().endswith(YAML_SUFFIXES)


def _read(upload: Any) -> Any:
    """The spec in an uploaded file; ``SpecInvalid`` for an unreadable one."""
    try:
        data = read_upload(upload)
    except ImportFileError as exc:
        raise spec.SpecInvalid([spec.SpecError(_("文件"), "", str(exc))]) from None
    return xlsform.read_xlsx(data) if _is_workbook(upload) else spec.read_yaml(data)


def _loaded(request: HttpRequest, questionnaire: Questionnaire) -> HttpResponse:
    if questionnaire.version > 1:
        message = _("已导入问卷《%(title)s》（%(code)s）第 %(v)s 版；之前的版本保持不变") % {
            "title": questionnaire.title,
            "code": questionnaire.code,
            "v": questionnaire.version,
        }
    else:
        message = _("已导入问卷《%(title)s》（%(code)s）") % {
            "title": questionnaire.title,
            "code": questionnaire.code,
        }
    messages.success(request, message)
    return HttpResponseRedirect(reverse("surveys:questionnaire", args=[questionnaire.pk]))


def _import_page(
    request: HttpRequest, form: ImportForm, errors: list[ErrorLine], status: int = 200
) -> HttpResponse:
    return render(
        request, "surveys/questionnaire_import.html", {"form": form, "errors": errors}, status=status
    )


@login_required
def questionnaire_import(request: HttpRequest) -> HttpResponse:
    """GET the form; POST a file: stored as the next version of its code, or nothing stored and every problem
    listed by place (row and column for a workbook)."""
    user = runner(request)
    if request.method != "POST":
        return _import_page(request, ImportForm(), [])
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, [], status=400)
    upload = form.cleaned_data["file"]
    assert user.unit is not None
    try:
        document = _read(upload)
        questionnaire = spec.load(document, user.unit, user, standard=form.cleaned_data["standard"])
    except spec.SpecInvalid as exc:
        return _import_page(request, form, _error_lines(exc.errors, _is_workbook(upload)), status=400)
    return _loaded(request, questionnaire)


@login_required
@require_POST
def questionnaire_starter(request: HttpRequest) -> HttpResponse:
    """载入起步问卷: the starter questionnaire as a new questionnaire (or the next version of WM_RESIDENT)."""
    user = runner(request)
    form = StarterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("所选测评体系版本不存在"))
        return HttpResponseRedirect(reverse("surveys:questionnaire_list"))
    assert user.unit is not None
    try:
        questionnaire = spec.load_starter(user.unit, user, standard=form.cleaned_data["standard"])
    except spec.SpecInvalid as exc:
        return _import_page(request, ImportForm(), _error_lines(exc.errors, False), status=400)
    return _loaded(request, questionnaire)


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    return response


@login_required
def questionnaire_export_yaml(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = visible_questionnaire(request, pk)
    data = spec.write_yaml(questionnaire)
    record(request, "survey.questionnaire.export", obj=questionnaire, detail={"format": "yaml"})
    return _download(data, YAML_TYPE, f"{questionnaire.code}_v{questionnaire.version}.yaml")


@login_required
def questionnaire_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = visible_questionnaire(request, pk)
    data = xlsform.write_xlsx(questionnaire)
    record(request, "survey.questionnaire.export", obj=questionnaire, detail={"format": "xlsx"})
    return _download(data, XLSX_CONTENT_TYPE, f"{questionnaire.code}_v{questionnaire.version}.xlsx")


@login_required
@require_POST
def questionnaire_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    """定稿 by a coordinator of the owner office (opening a wave freezes its questionnaire as well)."""
    questionnaire = visible_questionnaire(request, pk)
    user = user_of(request)
    if not owns(questionnaire, user):
        raise PermissionDenied(_("只有问卷所属单位的文明办协调员可以定稿。"))
    try:
        plan.freeze(questionnaire, user)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("问卷已定稿；如需修改，请导入新版本"))
    return HttpResponseRedirect(reverse("surveys:questionnaire", args=[questionnaire.pk]))


urlpatterns: list[URLPattern] = [
    path("questionnaires/", questionnaire_list, name="questionnaire_list"),
    path("questionnaires/import/", questionnaire_import, name="questionnaire_import"),
    path("questionnaires/starter/", questionnaire_starter, name="questionnaire_starter"),
    path("questionnaires/<int:pk>/", questionnaire_detail, name="questionnaire"),
    path("questionnaires/<int:pk>/export.yaml", questionnaire_export_yaml, name="questionnaire_export_yaml"),
    path("questionnaires/<int:pk>/export.xlsx", questionnaire_export_xlsx, name="questionnaire_export_xlsx"),
    path("questionnaires/<int:pk>/freeze/", questionnaire_freeze, name="questionnaire_freeze"),
]
