"""Forms of the survey office's pages (waves, sample plans, quotas, staff, population figures, coaching
visits). They check the shape and bounds of what was typed; the rules are ``plan``'s and ``services``', whose
``Invalid.errors`` come back onto the fields (docs/surveys.md, "Pages")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chuangwen.accounts.models import User
from chuangwen.core.bounds import BoundedDateField
from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys.models import AgeBand, Mode, Questionnaire, Sex, StaffRole
from chuangwen.surveys.plan import MAX_SAMPLE

# A cell of residents aged 18–65 in one age band and sex: far more than any street will ever hold.
POPULATION_MAX = 10_000_000
# The 10 population cells, in the order the pages and the .xlsx show them.
CELL_FIELDS = [(f"p_{a.replace('-', '_')}_{s}", a, s) for a in AgeBand.values for s in Sex.values]
PLAN_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)


def cell_label(age_band: str, sex: str) -> str:
    """「30–39 岁 女」: the column of one age band and sex."""
    return f"{AgeBand(age_band).label} {Sex(sex).label}"


def date_input() -> forms.DateInput:
    # ISO, whatever the language: a browser's date picker takes no other format for its value.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceErrorsMixin:
    """Puts the services' {field: [reasons]} on the form's fields; unknown fields become form errors."""

    def add_service_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        form: Any = self
        for name, reasons in errors.items():
            for reason in reasons:
                form.add_error(name if name in form.fields else None, reason)


def _bounded(label: Any, low: int, high: int, initial: int, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=low, max_value=high, initial=initial, help_text=help_text
    )


def plan_units(owner: Unit) -> QuerySet[Unit]:
    """The streets and communities under ``owner`` that a plan may sample."""
    return Unit.objects.filter(path__startswith=owner.path, kind__in=PLAN_KINDS, active=True).order_by("path")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name or obj.username}（{obj.unit.name}，{obj.get_role_display()}）"


class WaveForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("调查轮次名称"), max_length=100)
    questionnaire = forms.ModelChoiceField(
        label=_("问卷"),
        queryset=Questionnaire.objects.none(),
        empty_label=_("请选择问卷"),
        help_text=_("开始调查时问卷自动定稿，此后只能以新版本修改"),
    )
    starts_on = BoundedDateField(label=_("开始日期"), widget=date_input())
    ends_on = BoundedDateField(label=_("结束日期"), widget=date_input())
    modes = forms.MultipleChoiceField(
        label=_("调查方式"), choices=Mode.choices, widget=forms.CheckboxSelectMultiple
    )
    min_seconds = _bounded(_("最短用时（秒）"), 0, 3600, 120, _("少于此用时的访问标记为“用时过短”待审核"))
    max_distance_m = _bounded(
        _("位置容差（米）"), 0, 50_000, 300, _("访问定位超出样本社区边界多于此距离时标记待审核")
    )
    straightline_min = _bounded(
        _("连续同答判定题数"), 0, 100, 8, _("至少这么多道满意度题全部同一答案时标记待审核；0 表示不检查")
    )
    callback_percent = _bounded(_("回访抽取比例（%）"), 0, 100, 10)
    coaching_days = _bounded(
        _("应知应会排除期（天）"), 0, 365, 30, _("访问前这么多天内接受过应知应会入户宣传的住户不计入样本")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["questionnaire"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Questionnaire.objects.visible_to(user).order_by("code", "-version")
        if not self.is_bound:
            self.fields["modes"].initial = [Mode.INTERVIEWER]

    def quality(self) -> dict[str, int]:
        names = ("min_seconds", "max_distance_m", "straightline_min", "callback_percent", "coaching_days")
        return {name: self.cleaned_data[name] for name in names}


class PlanForm(ServiceErrorsMixin, forms.Form):
    units = UnitsField(
        label=_("样本街道或社区"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择样本街道或社区")},
    )
    total = forms.IntegerField(label=_("样本总量"), min_value=1, max_value=MAX_SAMPLE)
    minimum = forms.IntegerField(
        label=_("每层最少样本"),
        min_value=0,
        max_value=MAX_SAMPLE,
        initial=0,
        help_text=_("每个街道或社区先分得这些样本，其余按人口比例分配"),
    )

    def __init__(self, *args: Any, owner: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = plan_units(owner)

    def clean_units(self) -> list[Unit]:
        units = list(self.cleaned_data["units"])
        nested = sorted(
            {inner.name for inner in units for outer in units if inner != outer and inner.is_within(outer)}
        )
        if nested:
            raise forms.ValidationError(
                _("不能同时选择街道和它下属的社区（会重复计算）：%(names)s") % {"names": "、".join(nested)}
            )
        return units


class CellForm(ServiceErrorsMixin, forms.Form):
    target = forms.IntegerField(label=_("配额"), min_value=0, max_value=MAX_SAMPLE)


class StaffForm(ServiceErrorsMixin, forms.Form):
    ACTIONS = (("add", _("添加")), ("remove", _("移除")))

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput, initial="add")
    user = PersonChoiceField(label=_("人员"), queryset=User.objects.none(), empty_label=_("请选择人员"))
    role = forms.ChoiceField(label=_("职责"), choices=StaffRole.choices, required=False)

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "add" and not data.get("role"):
            self.add_error("role", _("请选择职责（调查员或督导）"))
        return data


class PopulationForm(ServiceErrorsMixin, forms.Form):
    """One unit's residents aged 18–65: all ten cells, or all ten left empty to clear the unit's figures."""

    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none(), empty_label=_("请选择街道或社区"))

    def __init__(self, *args: Any, scope: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = plan_units(scope)
        for name, age, sex in CELL_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=cell_label(age, sex), min_value=0, max_value=POPULATION_MAX, required=False
            )

    def cell_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _a, _s in CELL_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = [name for name, _a, _s in CELL_FIELDS]
        if any(name in self.errors for name in names):
            return data
        filled = [name for name in names if data.get(name) is not None]
        if filled and len(filled) != len(names):
            for name in names:
                if data.get(name) is None:
                    self.add_error(
                        name, _("请填写全部 10 个人数（不详时填 0；全部留空表示清除该单位的人数）")
                    )
        return data

    def counts(self) -> dict[tuple[str, str], int] | None:
        """(age band, sex) → residents, or None when every cell was left empty (clear the unit)."""
        values = {(age, sex): self.cleaned_data.get(name) for name, age, sex in CELL_FIELDS}
        if all(v is None for v in values.values()):
            return None
        return {key: int(v or 0) for key, v in values.items()}


class PopulationImportForm(forms.Form):
    file = forms.FileField(
        label=_("人口数表（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )


class CoachingForm(ServiceErrorsMixin, forms.Form):
    unit = UnitChoiceField(label=_("社区"), queryset=Unit.objects.none(), empty_label=_("请选择社区"))
    phone = forms.CharField(
        label=_("居民手机号"),
        max_length=20,
        help_text=_("只保存不可逆的哈希，用于把该住户排除在调查样本之外；号码本身不保存、不显示"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    visited_on = BoundedDateField(label=_("宣传日期"), widget=date_input())
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args: Any, scope: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Unit.objects.filter(
            path__startswith=scope.path, kind=UnitKind.COMMUNITY, active=True
        ).order_by("path")
