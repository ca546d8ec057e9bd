"""The site registry's filter (shared by the list page, its map and the API) and the site form."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuangwen.accounts.models import User
from chuangwen.org.models import Unit, UnitKind
from chuangwen.sites.models import RiskTag, Site, SiteQuerySet
from chuangwen.standards.models import SiteType

YES_NO_ANY = [("", _("全部")), ("1", _("是")), ("0", _("否"))]
ACTIVE_CHOICES = [("", _("全部")), ("1", _("启用")), ("0", _("停用"))]
TERRITORIAL_KINDS = [UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID]


def site_type_names() -> dict[str, str]:
    """Site-type code → name, from the active standard first, then from the newest versions."""
    names: dict[str, str] = {}
    rows = SiteType.objects.order_by("-standard__is_active", "standard__code", "-standard__version")
    for code, name in rows.values_list("code", "name"):
        names.setdefault(code, name)
    return names


def unit_choices(units: Any) -> list[tuple[str, str]]:
    """Units as indented choices, the viewer's own unit first and flush left."""
    units = list(units.order_by("path"))
    base = min((unit.depth for unit in units), default=0)
    return [(str(unit.pk), "　" * (unit.depth - base) + unit.name) for unit in units]


def json_list_has(field: str, value: str) -> Q:
    """A JSON list field contains ``value``; SQLite has no JSON containment, so match its stored text."""
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field}__contains": [value]})
    return Q(**{f"{field}__icontains": json.dumps(value)})


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("名称/编码/地址"), required=False, max_length=100)
    site_type = forms.ChoiceField(label=_("点位类型"), required=False)
    area = forms.ChoiceField(label=_("所在区域"), required=False)
    responsible = forms.ChoiceField(label=_("责任单位"), required=False)
    declared = forms.ChoiceField(label=_("申报点位"), required=False, choices=YES_NO_ANY)
    risk = forms.ChoiceField(label=_("风险标签"), required=False, choices=[("", _("全部")), *RiskTag.choices])
    active = forms.ChoiceField(label=_("状态"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data, label_suffix="")
        self.user = user
        visible_units = Unit.objects.visible_to(user)
        any_choice = ("", _("全部"))
        self.choice_field("area").choices = [
            any_choice,
            *unit_choices(visible_units.filter(kind__in=TERRITORIAL_KINDS)),
        ]
        self.choice_field("responsible").choices = [any_choice, *unit_choices(visible_units)]
        self.type_names = site_type_names()
        codes = set(Site.objects.visible_to(user).values_list("site_type", flat=True).distinct())
        codes.update(self.type_names)
        self.choice_field("site_type").choices = [
            any_choice,
            *((code, f"{self.type_names.get(code, code)}（{code}）") for code in sorted(codes)),
        ]

    def choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def filter(self, sites: SiteQuerySet) -> SiteQuerySet:
        """Apply the valid filters to ``sites`` (already scoped to the viewer); invalid ones are reported."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("q"):
            q = data["q"].strip()
            sites = sites.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q))
        if data.get("site_type"):
            sites = sites.filter(site_type=data["site_type"])
        for name, relation in (("area", "area_unit"), ("responsible", "responsible_unit")):
            if data.get(name):
                unit = Unit.objects.visible_to(self.user).get(pk=int(data[name]))
                sites = sites.filter(**{f"{relation}__path__startswith": unit.path})
        if data.get("declared"):
            sites = sites.filter(declared=data["declared"] == "1")
        if data.get("risk"):
            sites = sites.filter(json_list_has("risk_tags", data["risk"]))
        if data.get("active"):
            sites = sites.filter(active=data["active"] == "1")
        return sites


class SiteForm(forms.Form):
    """What a coordinator types for a site; checking and the area decision are the service's (save_site)."""

    code = forms.CharField(label=_("点位编码"), max_length=32)
    name = forms.CharField(label=_("点位名称"), max_length=200)
    site_type = forms.CharField(label=_("点位类型"), max_length=16)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    lng = forms.FloatField(label=_("经度"))
    lat = forms.FloatField(label=_("纬度"))
    coord_system = forms.ChoiceField(
        label=_("坐标系"),
        choices=[("WGS-84", _("WGS-84（GPS、天地图）")), ("GCJ-02", _("GCJ-02（高德、腾讯地图拾取）"))],
        initial="WGS-84",
        help_text=_("从手机地图拾取的坐标多为 GCJ-02，保存时自动换算为 WGS-84。"),
    )
    responsible_unit = forms.ChoiceField(label=_("责任单位"))
    declared = forms.BooleanField(label=_("申报点位"), required=False)
    risk_tags = forms.MultipleChoiceField(
        label=_("风险标签"), required=False, choices=RiskTag.choices, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    # Errors the service reports under "location" belong to the coordinates.
    SERVICE_FIELD = {"location": "lng", "polygon": None}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        self.units = {str(u.pk): u for u in Unit.objects.visible_to(user)}
        cast(forms.ChoiceField, self.fields["responsible_unit"]).choices = [
            ("", "—"),
            *unit_choices(Unit.objects.visible_to(user)),
        ]
        names = site_type_names()
        if names:
            self.fields["site_type"] = forms.ChoiceField(
                label=_("点位类型"),
                choices=[("", "—"), *((c, f"{n}（{c}）") for c, n in sorted(names.items()))],
            )

    @classmethod
    def initial_for(cls, site: Site) -> dict[str, Any]:
        return {
            "code": site.code,
            "name": site.name,
            "site_type": site.site_type,
            "address": site.address,
            "lng": site.lng,
            "lat": site.lat,
            "coord_system": "WGS-84",
            "responsible_unit": str(site.responsible_unit_id),
            "declared": site.declared,
            "risk_tags": list(site.risk_tags or []),
            "active": site.active,
        }

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape ``chuangwen.sites.services.save_site`` takes."""
        data = dict(self.cleaned_data)
        data["responsible_unit"] = self.units[data["responsible_unit"]]
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            target = self.SERVICE_FIELD.get(name, name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
