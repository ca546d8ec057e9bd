"""The organisation tree: 市 → 区 → 街道 → 社区 → 网格, plus departments with duty tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def path_ids(path: str) -> list[int]:
    """The primary keys of a materialised path ("/1/4/17/" → [1, 4, 17])."""
    return [int(part) for part in path.strip("/").split("/") if part]


class UnitKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    DEPARTMENT = "department", _("部门")


# Which kinds may sit under which: the tree's shape is a rule, checked on every write and import.
ALLOWED_PARENT_KINDS: dict[str, set[str]] = {
    UnitKind.CITY: set(),
    UnitKind.DISTRICT: {UnitKind.CITY},
    UnitKind.STREET: {UnitKind.DISTRICT},
    UnitKind.COMMUNITY: {UnitKind.STREET},
    UnitKind.GRID: {UnitKind.COMMUNITY},
    UnitKind.DEPARTMENT: {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET},
}


class UnitQuerySet(models.QuerySet["Unit"]):
    def visible_to(self, user: User) -> UnitQuerySet:
        """The one scoping function for units: the user's unit and everything below it."""
        unit = user.unit if user.is_authenticated else None
        if unit is None:
            return self.none()
        return self.filter(path__startswith=unit.path)


class Unit(models.Model):
    code = models.CharField(_("单位编码"), max_length=32, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("单位类型"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of primary keys ("/1/4/17/") so that a subtree is one indexed prefix query.
    path = models.CharField(_("树路径"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    duty_tags = models.JSONField(_("职责标签"), default=list, blank=True)
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    contact = models.CharField(_("联系电话"), max_length=50, blank=True)
    sort_order = models.IntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and self.parent_id and self.parent and self.parent.path.startswith(self.path or "-"):
            raise ValueError("a unit cannot be moved under its own subtree")
        super().save(*args, **kwargs)
        self._refresh_path()

    def _refresh_path(self) -> None:
        parent_path = self.parent.path if self.parent_id and self.parent else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path == self.path:
            return
        moved = bool(self.path)
        self.path, self.depth = new_path, new_path.count("/") - 2
        Unit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
        if moved:  # a moved unit takes its subtree with it
            for child in Unit.objects.filter(parent=self):
                child.parent = self
                child._refresh_path()

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)

    @property
    def lineage_ids(self) -> list[int]:
        """This unit's id and those of the units above it, top first."""
        return path_ids(self.path)

    def ancestors(self) -> list[Unit]:
        ids = self.lineage_ids[:-1]
        by_id = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
        return [by_id[i] for i in ids if i in by_id]
