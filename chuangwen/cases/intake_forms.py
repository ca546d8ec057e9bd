"""Forms of the other case sources: the hotline mapping step and the instructions (督办)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chuangwen.cases.hotline import FIELDS, Mapping
from chuangwen.core.bounds import BoundedDateTimeField
from chuangwen.org.models import Unit
from chuangwen.sites.models import Site

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class HotlineUploadForm(forms.Form):
    file = forms.FileField(label=_("工单文件（.xlsx 或 .csv）"))


class HotlineMappingForm(forms.Form):
    """One select per field of ours, offering the headers of the uploaded file."""

    gcj02 = forms.BooleanField(label=_("坐标为 GCJ-02（高德、腾讯地图）"), required=False)

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("（文件中没有）")), *((h, h) for h in headers if h)]
        for f in FIELDS:
            label = f"{f.label}{'*' if f.required else ''}"
            self.fields[f.name] = forms.ChoiceField(label=label, choices=choices, required=False)
        self.order_fields([f.name for f in FIELDS])

    def mapping(self) -> Mapping:
        return {f.name: self.cleaned_data.get(f.name) or "" for f in FIELDS}


class InstructionForm(forms.Form):
    text = forms.CharField(label=_("督办要求"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    deadline = BoundedDateTimeField(label=_("督办期限"), widget=_DATETIME, input_formats=_DATETIME_FORMATS)


class InstructionCaseForm(forms.Form):
    title = forms.CharField(label=_("问题"), max_length=200)
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    site = forms.ModelChoiceField(label=_("点位（可不填）"), queryset=Site.objects.none(), required=False)
    text = forms.CharField(
        label=_("督办要求"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    deadline = BoundedDateTimeField(label=_("督办期限"), widget=_DATETIME, input_formats=_DATETIME_FORMATS)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        site_field = self.fields["site"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        assert isinstance(site_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.visible_to(user).filter(active=True).order_by("path")
        site_field.queryset = Site.objects.visible_to(user).order_by("code")
