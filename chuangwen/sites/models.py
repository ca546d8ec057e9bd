"""Sites (点位): places that can be inspected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


class RiskTag(models.TextChoices):
    OLD_ESTATE = "老旧小区", _("老旧小区")
    TUBE_BUILDING = "筒子楼", _("筒子楼")
    NEAR_MARKET = "农贸周边", _("农贸周边")
    NEAR_SCHOOL = "学校周边", _("学校周边")
    CITY_EDGE = "城乡结合部", _("城乡结合部")
    CONSTRUCTION = "施工区域", _("施工区域")


class SiteQuerySet(models.QuerySet["Site"]):
    def visible_to(self, user: User) -> SiteQuerySet:
        """The one scoping function for sites: the area or the responsible unit lies in the user's subtree."""
        unit = user.unit if user.is_authenticated else None
        if unit is None:
            return self.none()
        prefix = unit.path
        return self.filter(
            Q(area_unit__path__startswith=prefix) | Q(responsible_unit__path__startswith=prefix)
        )


class Site(models.Model):
    code = models.CharField(_("点位编码"), max_length=32, unique=True)
    name = models.CharField(_("点位名称"), max_length=200)
    # The site type's stable code (e.g. "ZD"); its checklist comes from the standard version a round uses.
    site_type = models.CharField(_("点位类型"), max_length=16, db_index=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lng = models.FloatField(_("经度（WGS-84）"))
    lat = models.FloatField(_("纬度（WGS-84）"))
    polygon = models.JSONField(_("范围（GeoJSON）"), null=True, blank=True)
    area_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="area_sites"
    )
    area_note = models.CharField(_("区域判定说明"), max_length=200, blank=True)
    responsible_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="responsible_sites"
    )
    declared = models.BooleanField(_("申报点位"), default=False)
    risk_tags = models.JSONField(_("风险标签"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("点位")
        verbose_name_plural = _("点位")
        ordering = ["code"]
        indexes = [models.Index(fields=["site_type", "active"])]

    def __str__(self) -> str:
        return self.name
