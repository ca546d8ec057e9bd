"""The forms of the 通报 pages: a new draft's template and sources (only what the office may cite), and an
office's template with its bounds. Sections and wording blocks are read by ``read_sections``/``read_wording``
from checkbox + order-number and textarea fields named per key."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from chuangwen.accounts.models import User
from chuangwen.bulletins import defaults
from chuangwen.bulletins.models import BulletinTemplate, Section
from chuangwen.materials.models import Period, PeriodState
from chuangwen.rankings.models import Ranking
from chuangwen.rounds.models import Round, RoundStatus
from chuangwen.surveys.models import Wave, WaveState

MAX_ORDER = 99
# The wording blocks in the order a page shows them: the opening, a lead paragraph per section, the closing.
WORDING_ORDER = ["opening", *Section.values, "closing"]


def citable(user: User) -> dict[str, Any]:
    """The published sources of the office's subtree the user's office may cite."""
    assert user.unit is not None
    path = user.unit.path
    return {
        "ranking": Ranking.objects.filter(rows__unit__path__startswith=path).distinct(),
        "round": Round.objects.visible_to(user).filter(
            status=RoundStatus.PUBLISHED, owner_unit__path__startswith=path
        ),
        "wave": Wave.objects.visible_to(user).filter(
            state=WaveState.PUBLISHED, owner_unit__path__startswith=path
        ),
        "materials_period": Period.objects.visible_to(user).filter(
            state=PeriodState.CLOSED, owner_unit__path__startswith=path
        ),
    }


class NewBulletinForm(forms.Form):
    template = forms.ModelChoiceField(label=_("模板"), queryset=BulletinTemplate.objects.none())
    ranking = forms.ModelChoiceField(label=_("引用排名"), queryset=Ranking.objects.none(), required=False)
    round = forms.ModelChoiceField(label=_("引用测评批次"), queryset=Round.objects.none(), required=False)
    wave = forms.ModelChoiceField(label=_("引用问卷调查轮次"), queryset=Wave.objects.none(), required=False)
    materials_period = forms.ModelChoiceField(
        label=_("引用申报周期"), queryset=Period.objects.none(), required=False
    )
    period_start = forms.DateField(
        label=_("通报期间起"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("通报期间止"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    title = forms.CharField(
        label=_("标题"), max_length=200, required=False, help_text=_("留空则按期间和类型自动生成")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert user.unit_id is not None
        templates = BulletinTemplate.objects.visible_to(user).filter(owner_unit_id=user.unit_id, active=True)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]
        for name, queryset in citable(user).items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class TemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    """The settings of a template; sections and wording come from their own fields (read_sections…)."""

    class Meta:
        model = BulletinTemplate
        fields = [
            "name",
            "red_threshold",
            "black_threshold",
            "red_count",
            "typical_count",
            "addressees",
            "issuer",
            "number_prefix",
            "reply_days",
            "schedule",
            "ranking_level",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bounds = {
            "red_threshold": (0, 100),
            "black_threshold": (0, 100),
            "red_count": (0, 50),
            "typical_count": (0, 50),
            "reply_days": (1, 60),
        }
        for name, (low, high) in bounds.items():
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, _("须在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high})
        for name in ("name", "issuer", "number_prefix"):
            if name in data and not str(data[name]).strip():
                self.add_error(name, _("不能为空"))
        return data


def section_rows(chosen: list[str]) -> list[dict[str, Any]]:
    """Every section with whether it is chosen and its order number (chosen first, in order)."""
    order = {key: i + 1 for i, key in enumerate(chosen)}
    rows = [
        {"key": key, "label": label, "on": key in order, "order": order.get(key, "")}
        for key, label in Section.choices
    ]
    return sorted(rows, key=lambda r: (not r["on"], r["order"] or 0))


def read_sections(post: QueryDict) -> list[str] | str:
    """The checked sections sorted by their order numbers (ties keep the page's order); a message when an
    order number is not a whole number from 1 to 99."""
    picked = []
    for index, key in enumerate(Section.values):
        if f"section_{key}" not in post:
            continue
        raw = post.get(f"order_{key}", "").strip() or str(MAX_ORDER)
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ORDER:
            return str(_("章节「%(s)s」的顺序须为 1 到 99 的整数") % {"s": Section(key).label})
        picked.append((int(raw), index, key))
    return [key for _order, _index, key in sorted(picked)]


def wording_rows(wording: dict[str, str]) -> list[dict[str, str]]:
    labels = {"opening": _("开头"), "closing": _("结尾"), **dict(Section.choices)}
    return [{"key": k, "label": str(labels[k]), "text": wording.get(k, "")} for k in WORDING_ORDER]


def read_wording(post: QueryDict) -> dict[str, str]:
    return {key: post.get(f"wording_{key}", "") for key in defaults.WORDING_KEYS if f"wording_{key}" in post}
