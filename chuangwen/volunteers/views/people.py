"""Staff pages of who organises and who serves: the 志愿服务 hub, the practice bodies (centre, institutes,
stations), the teams with their members and managers, and the register of volunteers (phones masked, ID
numbers never shown). Every read goes through the models' ``visible_to``; a row outside the viewer's subtree
is a 404; volunteers and citizens are refused (403)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports.masking import mask_phone
from chuangwen.volunteers import organisation, rules, services
from chuangwen.volunteers.models import PracticeBody, SignUp, Team, TeamKind, Volunteer

PAGE_SIZE = 50


def reader(request: HttpRequest) -> User:
    """The staff who run volunteer work and the leaders who read it; 403 for anyone else."""
    user = user_of(request)
    if not capabilities.may_see_volunteer_work(user):
        raise PermissionDenied(_("您的角色不使用志愿服务管理页面。"))
    return user


def refuse_into(form: forms.Form, exc: services.Refused) -> None:
    """A service refusal shown on the form field it names (or on the whole form)."""
    name = exc.field if exc.field in form.fields else None
    form.add_error(name, exc.message)


def _units(user: User, kinds: Sequence[str]) -> Any:
    return Unit.objects.visible_to(user).filter(kind__in=kinds, active=True).order_by("path")


@login_required
def hub(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    volunteers = Volunteer.objects.visible_to(user).filter(left_at=None)
    context = {
        "bodies": PracticeBody.objects.visible_to(user).count(),
        "teams": Team.objects.visible_to(user).filter(active=True).count(),
        "volunteers": volunteers.count(),
        "pending": SignUp.objects.visible_to(user).filter(hours_state="pending").count(),
        "may_manage": user.role in services.STAFF_ROLES,
    }
    return render(request, "volunteers/people/hub.html", context)


# --- practice bodies ----------------------------------------------------------------------------------------


class BodyForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("所在单位"), queryset=Unit.objects.none())
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=200, required=False)
    lat = forms.FloatField(label=gettext_lazy("纬度"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=gettext_lazy("经度"), required=False, min_value=-180, max_value=180)
    managers = forms.CharField(
        label=gettext_lazy("管理员账号"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("用户名，以逗号或空格分隔"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = list(organisation.BODY_KIND_OF_UNIT)
        self.fields["unit"].queryset = _units(user, kinds)  # type: ignore[attr-defined]


def _names(text: str) -> list[str]:
    return [n for n in text.replace("，", ",").replace(",", " ").split() if n]


@login_required
def body_list(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    bodies = (
        PracticeBody.objects.visible_to(user)
        .select_related("unit")
        .annotate(team_count=Count("teams", distinct=True))
        .prefetch_related("managers")
        .order_by("unit__path")
    )
    context = {"bodies": bodies, "may_manage": user.role in services.STAFF_ROLES}
    return render(request, "volunteers/people/body_list.html", context)


@login_required
def body_form(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    initial: dict[str, Any] = {}
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        body = PracticeBody.objects.visible_to(user).filter(unit_id=int(unit_id)).first()
        if body is not None:
            initial = {
                "unit": body.unit,
                "name": body.name,
                "address": body.address,
                "lat": body.lat,
                "lng": body.lng,
                "managers": " ".join(body.managers.values_list("username", flat=True)),
            }
    form = BodyForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                body = organisation.save_body(
                    user, data["unit"], data["name"], data["address"], data["lat"], data["lng"],
                    _names(data["managers"]),
                )  # fmt: skip
            except services.Refused as exc:
                refuse_into(form, exc)
            else:
                messages.success(request, _("已保存“%(name)s”") % {"name": body.name})
                return HttpResponseRedirect(reverse("volunteers:body_list"))
    context = {"form": form, "heading": _("设置文明实践阵地"), "back": reverse("volunteers:body_list")}
    return render(request, "volunteers/people/form.html", context, status=status)


# --- teams --------------------------------------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("队伍名称"), max_length=100)
    unit = forms.ModelChoiceField(label=gettext_lazy("所属单位"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("队伍类型"), choices=TeamKind.choices)
    description = forms.CharField(
        label=gettext_lazy("简介"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    managers = forms.CharField(
        label=gettext_lazy("管理员账号"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("用户名，以逗号或空格分隔"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT]
        self.fields["unit"].queryset = _units(user, kinds)  # type: ignore[attr-defined]


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    teams = (
        Team.objects.visible_to(user)
        .select_related("unit", "body")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("unit__path", "code")
    )
    query = request.GET.get("q", "").strip()[:50]
    if query:
        teams = teams.filter(Q(name__contains=query) | Q(code__contains=query))
    page = Paginator(teams, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "may_manage": user.role in services.STAFF_ROLES}
    return render(request, "volunteers/people/team_list.html", context)


@login_required
def team_new(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    form = TeamForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            draft = organisation.TeamDraft(
                name=data["name"], unit_id=data["unit"].pk, kind=data["kind"],
                description=data["description"], managers=_names(data["managers"]),
            )  # fmt: skip
            try:
                team = organisation.create_team(user, draft)
            except services.Refused as exc:
                refuse_into(form, exc)
            else:
                messages.success(request, _("已建立队伍“%(name)s”") % {"name": team.name})
                return HttpResponseRedirect(reverse("volunteers:team_detail", args=[team.pk]))
    context = {"form": form, "heading": _("新建志愿服务队"), "back": reverse("volunteers:team_list")}
    return render(request, "volunteers/people/form.html", context, status=status)


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = reader(request)
    team = get_object_or_404(Team.objects.visible_to(user).select_related("unit", "body"), pk=pk)
    may_manage = services.manages_team(user, team)
    error = ""
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(_("只有队伍管理员或所在单位可以添加队员"))
        try:
            added = organisation.add_member(user, team, request.POST.get("number", "")[:32])
        except services.Refused as exc:
            error = exc.message
        else:
            messages.success(request, _("已添加队员 %(number)s") % {"number": added.number})
            return HttpResponseRedirect(reverse("volunteers:team_detail", args=[team.pk]))
    members = [
        {"m": m, "phone": mask_phone(m.volunteer.phone), "stars": rules.stars(m.volunteer.confirmed_minutes)}
        for m in team.memberships.select_related("volunteer", "volunteer__unit").order_by("volunteer__number")
    ]
    context = {
        "team": team,
        "members": members,
        "managers": team.managers.all(),
        "may_manage": may_manage,
        "error": error,
    }
    return render(request, "volunteers/people/team_detail.html", context, status=400 if error else 200)


# --- volunteers ---------------------------------------------------------------------------------------------


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    rows = Volunteer.objects.visible_to(user).select_related("unit").filter(left_at=None)
    query = request.GET.get("q", "").strip()[:50]
    if query:
        rows = rows.filter(Q(number__contains=query) | Q(name__contains=query))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    people = [
        {
            "v": v,
            "phone": mask_phone(v.phone),
            "hours": round(v.confirmed_minutes / 60, 1),
            "stars": rules.stars(v.confirmed_minutes),
        }
        for v in page.object_list
    ]
    return render(
        request, "volunteers/people/volunteer_list.html", {"page": page, "people": people, "query": query}
    )
