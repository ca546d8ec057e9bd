"""Forms of the 网上申报 pages. They check the shape of what was typed; the rules (titles, dates, files,
steps) are the services', whose ``MaterialInvalid.errors`` come back onto the fields."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chuangwen.core.bounds import BoundedDateField
from chuangwen.materials import services
from chuangwen.materials.files import MB
from chuangwen.standards.models import MaterialType, Standard

ACCEPT = ".pdf,.docx,.xlsx,.jpg,.jpeg,.png"
SEARCH_MAX = 100


def date_input() -> forms.DateInput:
    # ISO, whatever the language: a browser's date picker takes no other format for its value.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def accepted_help() -> str:
    """What the file field takes, shown by the field: the types and the size limit from the settings."""
    text = _("可上传 PDF、Word（.docx）、Excel（.xlsx）、JPG、PNG，每个文件不超过 %(mb)s MB")
    return str(text) % {"mb": settings.MATERIALS_MAX_BYTES // MB}


class ServiceErrorsMixin:
    """Puts the services' {field: reason} on the form's fields; unknown fields become form errors."""

    def add_service_errors(self, errors: Mapping[str, str]) -> None:
        form: Any = self
        for name, reason in errors.items():
            form.add_error(name if name in form.fields else None, reason)


def standards_with_tree() -> QuerySet[Standard]:
    return Standard.objects.filter(indicator_projects__isnull=False).distinct().order_by("code", "-version")


class PeriodForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("申报周期名称"), max_length=100)
    standard = forms.ModelChoiceField(
        label=_("测评体系版本"), queryset=Standard.objects.none(), empty_label=_("请选择含指标体系的版本")
    )
    reference_date = BoundedDateField(
        label=_("测评基准日"),
        widget=date_input(),
        help_text=_("材料所记录活动须在各指标的材料时限内、本日期之前"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["standard"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = standards_with_tree()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name, each left as it came: the services check and name every file's outcome
    (an empty or refused file is theirs to report, with the others)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if isinstance(f, UploadedFile)]


def _kind_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("材料类型"), choices=MaterialType.choices, required=False)


def _date_field() -> BoundedDateField:
    return BoundedDateField(
        label=_("活动日期"),
        required=False,
        widget=date_input(),
        help_text=_("材料所记录活动的日期"),
    )


class MaterialFieldsForm(ServiceErrorsMixin, forms.Form):
    """The fields an upload and a replacement share."""

    kind = _kind_field()
    title = forms.CharField(label=_("材料名称"), max_length=services.TITLE_MAX, required=False)
    activity_date = _date_field()
    description = forms.CharField(
        label=_("简要说明"),
        max_length=services.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    body = forms.CharField(
        label=_("说明正文"),
        max_length=services.BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("仅“情况说明”可不上传文件、直接填写正文"),
    )

    def material_fields(self, *, needs_title: bool) -> services.MaterialFields:
        """The services' checked fields; MaterialInvalid names the fields it refuses."""
        return services.clean_fields(self.cleaned_data, needs_title=needs_title)


class UploadForm(MaterialFieldsForm):
    file = MultipleFileField(
        label=_("文件"), required=False, widget=MultipleFileInput(attrs={"accept": ACCEPT, "multiple": True})
    )
    # Made when the form is drawn: the same submission sent twice makes its materials once.
    client_id = forms.UUIDField(widget=forms.HiddenInput, label=_("客户端编号"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = accepted_help() + str(_("；可一次选择多个文件"))
        self.fields["title"].help_text = _("选择了文件时可不填，默认为文件名")
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid.uuid4())

    def client_ids(self) -> list[uuid.UUID]:
        """One id per file, derived from the form's id, the file's place and name (none: the form's own)."""
        base: uuid.UUID = self.cleaned_data["client_id"]
        files: list[UploadedFile] = self.cleaned_data.get("file") or []
        if not files:
            return [base]
        return [uuid.uuid5(base, f"{index}:{upload.name}") for index, upload in enumerate(files)]


class ReplaceForm(MaterialFieldsForm):
    file = forms.FileField(
        label=_("新文件"), required=False, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = str(_("不选文件则只更新名称、日期和说明；")) + accepted_help()


class ActForm(ServiceErrorsMixin, forms.Form):
    """One review step: the action, a comment (a return needs one), and for the 网申组's return a new date."""

    action = forms.CharField(widget=forms.HiddenInput, max_length=24)
    comment = forms.CharField(
        label=_("审核意见"),
        max_length=services.COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_date = BoundedDateField(
        label=_("新的完成时限"),
        required=False,
        widget=date_input(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_date"].help_text = str(_("须为工作日；不填则为 %(n)s 个工作日后")) % {
            "n": settings.MATERIALS_RETURN_WORKDAYS
        }


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), max_length=SEARCH_MAX, required=False, strip=True)


class TaskImportForm(forms.Form):
    file = forms.FileField(
        label=_("任务分解表（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
