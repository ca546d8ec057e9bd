"""Forms of the round pages; every rule is checked again by rounds/services.py (the forms only collect)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chuangwen.core.bounds import BoundedDateField
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rounds.models import RoundKind
from chuangwen.rounds.sampling import COUNT_MAX
from chuangwen.rounds.services import (
    MAX_DISTANCE_M,
    TARGET_KINDS,
    standard_declared_cap,
    streets_within,
)
from chuangwen.standards.models import Standard

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

DEFAULT_MAX_DISTANCE_M = 300
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(forms.Form):
    """A new round: the basics, then one quota field per site type and one cap field per street."""

    name = forms.CharField(label=_("批次名称"), max_length=200)
    kind = forms.ChoiceField(label=_("批次类型"), choices=RoundKind.choices)
    standard = forms.ModelChoiceField(
        label=_("测评标准版本"),
        queryset=Standard.objects.order_by("code", "-version"),
        widget=forms.HiddenInput,
    )
    period_start = BoundedDateField(label=_("开始日期"), widget=DATE)
    period_end = BoundedDateField(label=_("结束日期"), widget=DATE)
    target_unit = forms.ModelChoiceField(
        label=_("被测评范围"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("暗访、回头看默认为本单位全辖区；互查时选择被查的街道；自查固定为本单位。"),
    )
    inspecting_unit = forms.ModelChoiceField(
        label=_("测评单位（仅互查）"), queryset=Unit.objects.none(), required=False
    )
    declared_cap = forms.CharField(
        label=_("申报点位占比上限"),
        required=False,
        help_text=_(
            "0 到 1 之间，例如 0.3 表示抽中的点位中申报点位最多占 30%。默认取测评标准的规定值；"
            "暗访时不能超过该值，留空即按该值抽样。"
        ),
    )
    street_max = forms.IntegerField(
        label=_("每个街道最多抽取"),
        required=False,
        min_value=0,
        max_value=COUNT_MAX,
        help_text=_("留空表示不限；下面可按街道单独设置。"),
    )
    failed_share = forms.CharField(
        label=_("问题点位复查比例（仅回头看）"),
        required=False,
        initial="1",
        help_text=_("0 到 1 之间；1 表示以往测评中有问题的点位全部复查。"),
    )
    random_extra = forms.IntegerField(
        label=_("另随机抽取其他点位数（仅回头看）"),
        required=False,
        initial=0,
        min_value=0,
        max_value=COUNT_MAX,
    )
    max_distance_m = forms.IntegerField(
        label=_("到场距离上限（米）"),
        min_value=10,
        max_value=MAX_DISTANCE_M,
        initial=DEFAULT_MAX_DISTANCE_M,
        help_text=_("测评员定位距点位超过该距离时须说明原因。"),
    )

    def __init__(self, *args: Any, user: User, standard: Standard | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.standard_obj = standard
        home = user.unit
        units = Unit.objects.visible_to(user)
        self.fields["target_unit"].queryset = units.filter(kind__in=TARGET_KINDS)  # type: ignore[attr-defined]
        self.fields["inspecting_unit"].queryset = units.filter(kind=UnitKind.STREET)  # type: ignore[attr-defined]
        if standard is not None:
            self.fields["standard"].initial = standard.pk
            self.fields["declared_cap"].initial = standard_declared_cap(standard)
        self.type_fields: list[str] = []
        for site_type in standard.site_types.order_by("sort_order", "code") if standard else []:
            name = f"quota_{site_type.code}"
            self.fields[name] = forms.IntegerField(
                label=f"{site_type.name}（{site_type.code}）",
                required=False,
                min_value=0,
                max_value=COUNT_MAX,
            )
            self.type_fields.append(name)
        self.street_fields: list[str] = []
        for street in streets_within(home).order_by("path") if home else []:
            name = f"street_{street.code}"
            self.fields[name] = forms.IntegerField(
                label=street.name, required=False, min_value=0, max_value=COUNT_MAX
            )
            self.street_fields.append(name)

    def bound_type_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.type_fields]

    def bound_street_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.street_fields]

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        types = {n.removeprefix("quota_"): data[n] for n in self.type_fields if data.get(n) is not None}
        streets = {n.removeprefix("street_"): data[n] for n in self.street_fields if data.get(n) is not None}
        return {
            "type_quotas": types,
            "street_quotas": streets,
            "street_max": data.get("street_max"),
            "declared_cap": data.get("declared_cap") or None,
            "failed_share": data.get("failed_share") or None,
            "random_extra": data.get("random_extra") or 0,
            "max_distance_m": data.get("max_distance_m") or DEFAULT_MAX_DISTANCE_M,
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        keys = ("name", "kind", "standard", "period_start", "period_end", "target_unit", "inspecting_unit")
        return {**{key: data.get(key) for key in keys}, "params": self.params()}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class TeamsForm(forms.Form):
    inspectors = forms.ModelMultipleChoiceField(
        label=_("测评员"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    team_size = forms.IntegerField(label=_("每组人数"), min_value=1, max_value=10, initial=2)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["inspectors"]
        field.queryset = people  # type: ignore[attr-defined]
        field.label_from_instance = lambda user: (  # type: ignore[attr-defined]
            f"{user.display_name}（{user.unit.name if user.unit else ''}）"
        )


class PublishForm(forms.Form):
    confirm_missing = forms.BooleanField(label=_("确认在缺少部分点位测评的情况下发布"), required=False)
