"""The evaluation standard (测评体系): version → site type → check item."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangwen.standards.exceptions import StandardFrozen

# The only things that may still change on a frozen version: which version is the active one.
MUTABLE_WHEN_FROZEN = frozenset({"is_active"})


def _standard_is_frozen(standard_ids: set[int | None]) -> bool:
    ids = {pk for pk in standard_ids if pk is not None}
    return bool(ids) and Standard.objects.filter(pk__in=ids, frozen_at__isnull=False).exists()


class FrozenGuard(models.Model):
    """Site types and check items of a frozen version can be neither saved nor deleted, by any path."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._touches_frozen():
            raise StandardFrozen()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._touches_frozen():
            raise StandardFrozen()
        return super().delete(*args, **kwargs)

    def _touches_frozen(self) -> bool:
        raise NotImplementedError


class ScoringMode(models.TextChoices):
    BINARY = "binary", _("符合/不符合")
    PER_OCCURRENCE = "per_occurrence", _("按处扣分")
    VETO = "veto", _("一票否决")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("严重")


class Standard(models.Model):
    code = models.CharField(_("标准编码"), max_length=32)
    version = models.PositiveIntegerField(_("版本号"), default=1)
    name = models.CharField(_("标准名称"), max_length=200)
    site_score_formula = models.CharField(
        _("点位得分公式"), max_length=200, default="max(0, 100 - sum(min(cap, deduct * count)))"
    )
    # Weights, penalties and other scoring parameters live here, not in code (docs/standards.md, "Scoring
    # parameters").
    parameters = models.JSONField(_("计分参数"), default=dict, blank=True)
    is_active = models.BooleanField(_("当前生效"), default=False)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    frozen_reason = models.CharField(_("冻结原因"), max_length=200, blank=True)
    derived_from = models.ForeignKey(
        "self", verbose_name=_("派生自"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("测评标准版本")
        verbose_name_plural = _("测评标准版本")
        unique_together = [("code", "version")]
        ordering = ["code", "-version"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code} v{self.version}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse any change to a frozen version except switching it on or off (every path obeys this)."""
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and not (update_fields and set(update_fields) <= MUTABLE_WHEN_FROZEN):
            stored = Standard.objects.filter(pk=self.pk, frozen_at__isnull=False).first()
            if stored is not None and self._changed_since(stored):
                raise StandardFrozen()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if _standard_is_frozen({self.pk}):
            raise StandardFrozen()
        return super().delete(*args, **kwargs)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def clean(self) -> None:
        from chuangwen.standards.services.documents import standard_model_errors

        standard_model_errors(self)

    def _changed_since(self, stored: Standard) -> bool:
        for field in self._meta.concrete_fields:
            if field.name in MUTABLE_WHEN_FROZEN:
                continue
            if getattr(self, field.attname) != getattr(stored, field.attname):
                return True
        return False


class SiteType(FrozenGuard):
    standard = models.ForeignKey(
        Standard, verbose_name=_("标准版本"), on_delete=models.CASCADE, related_name="site_types"
    )
    code = models.CharField(_("类型编码"), max_length=16)
    name = models.CharField(_("点位类型"), max_length=100)
    protocol = models.CharField(_("测评方法"), max_length=300, blank=True)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=3, default=1)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("点位类型")
        verbose_name_plural = _("点位类型")
        unique_together = [("standard", "code")]
        ordering = ["standard", "sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def _touches_frozen(self) -> bool:
        ids: set[int | None] = {self.standard_id}
        if self.pk is not None:
            ids.update(SiteType.objects.filter(pk=self.pk).values_list("standard_id", flat=True))
        return _standard_is_frozen(ids)

    def clean(self) -> None:
        from chuangwen.standards.services.documents import site_type_model_errors

        site_type_model_errors(self)


class CheckItem(FrozenGuard):
    site_type = models.ForeignKey(
        SiteType, verbose_name=_("点位类型"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("指标编码"), max_length=16)
    category = models.CharField(_("问题类别"), max_length=50)
    text = models.CharField(_("测评内容"), max_length=300)
    mode = models.CharField(_("计分方式"), max_length=16, choices=ScoringMode.choices)
    deduct = models.DecimalField(_("单次扣分"), max_digits=6, decimal_places=2, default=0)
    cap = models.DecimalField(_("扣分上限"), max_digits=6, decimal_places=2, null=True, blank=True)
    unit_label = models.CharField(_("计数单位"), max_length=20, blank=True)
    severity = models.CharField(
        _("严重程度"), max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    deadline_days = models.PositiveSmallIntegerField(_("整改时限（工作日）"), default=1)
    duty = models.CharField(_("责任类别"), max_length=30)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评指标")
        verbose_name_plural = _("测评指标")
        unique_together = [("site_type", "code")]
        ordering = ["site_type", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def _touches_frozen(self) -> bool:
        type_ids = {self.site_type_id}
        if self.pk is not None:
            type_ids.update(CheckItem.objects.filter(pk=self.pk).values_list("site_type_id", flat=True))
        standard_ids = set(
            SiteType.objects.filter(pk__in=[t for t in type_ids if t is not None]).values_list(
                "standard_id", flat=True
            )
        )
        return _standard_is_frozen(set(standard_ids))

    def clean(self) -> None:
        from chuangwen.standards.services.documents import check_item_model_errors

        check_item_model_errors(self)


# --- The indicator tree (测评项目 → 测评内容 → 测评标准) ----------------------------------------------------
# It belongs to the same version as the checklist: one frozen version holds every method's requirements, and a
# check item points to the indicators it serves (docs/materials.md).


class Method(models.TextChoices):
    """How the evaluators test an indicator (one indicator may be tested several ways)."""

    ONLINE = "online", _("网上申报")
    FIELD = "field", _("实地考察")
    SURVEY = "survey", _("问卷调查")
    NEGATIVE = "negative", _("负面清单")


class MaterialType(models.TextChoices):
    DOCUMENT = "document", _("规范文件")
    ACCOUNT = "account", _("情况说明")
    PHOTO = "photo", _("实景图片")
    TABLE = "table", _("统计表格")


class IndicatorProject(FrozenGuard):
    """测评项目: the top level of the tree (e.g. 01 公正透明的法治环境)."""

    standard = models.ForeignKey(
        Standard, verbose_name=_("标准版本"), on_delete=models.CASCADE, related_name="indicator_projects"
    )
    code = models.CharField(_("项目编号"), max_length=16)
    name = models.CharField(_("测评项目"), max_length=200)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评项目")
        verbose_name_plural = _("测评项目")
        unique_together = [("standard", "code")]
        ordering = ["standard", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def _touches_frozen(self) -> bool:
        ids: set[int | None] = {self.standard_id}
        if self.pk is not None:
            ids.update(IndicatorProject.objects.filter(pk=self.pk).values_list("standard_id", flat=True))
        return _standard_is_frozen(ids)


class IndicatorContent(FrozenGuard):
    """测评内容: the middle level (e.g. 01-03 法治宣传教育)."""

    project = models.ForeignKey(
        IndicatorProject, verbose_name=_("测评项目"), on_delete=models.CASCADE, related_name="contents"
    )
    code = models.CharField(_("内容编号"), max_length=16)
    name = models.CharField(_("测评内容"), max_length=200)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评内容")
        verbose_name_plural = _("测评内容")
        unique_together = [("project", "code")]
        ordering = ["project", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def _touches_frozen(self) -> bool:
        project_ids = {self.project_id}
        if self.pk is not None:
            stored = IndicatorContent.objects.filter(pk=self.pk).values_list("project_id", flat=True)
            project_ids.update(stored)
        ids = IndicatorProject.objects.filter(pk__in=[p for p in project_ids if p is not None])
        return _standard_is_frozen(set(ids.values_list("standard_id", flat=True)))


class Indicator(FrozenGuard):
    """测评标准: the atomic requirement, with how it is tested, its points and the evidence it asks for."""

    content = models.ForeignKey(
        IndicatorContent, verbose_name=_("测评内容"), on_delete=models.CASCADE, related_name="indicators"
    )
    # The full number as the evaluators write it (01-03-02): unique within a version; the ledger's folder.
    code = models.CharField(_("标准编号"), max_length=24)
    text = models.TextField(_("测评标准"))
    methods = models.JSONField(_("测评方法"), default=list)  # Method values, one or several
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, default=0)
    material_types = models.JSONField(_("材料类型"), default=list, blank=True)  # MaterialType values
    window_months = models.PositiveSmallIntegerField(_("材料时限（月）"), default=12)
    guidance = models.TextField(_("申报要求"), blank=True)
    check_items = models.ManyToManyField(
        CheckItem, verbose_name=_("对应实地测评指标"), blank=True, related_name="indicators"
    )
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评标准")
        verbose_name_plural = _("测评标准")
        unique_together = [("content", "code")]
        ordering = ["content", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"

    @property
    def is_online(self) -> bool:
        return Method.ONLINE in self.methods

    @property
    def method_labels(self) -> list[tuple[str, str]]:
        """(value, Chinese label) of each method, for badges."""
        return [(m, str(Method(m).label)) for m in self.methods if m in Method.values]

    @property
    def material_labels(self) -> list[str]:
        return [str(MaterialType(m).label) for m in self.material_types if m in MaterialType.values]

    def _touches_frozen(self) -> bool:
        content_ids = {self.content_id}
        if self.pk is not None:
            content_ids.update(Indicator.objects.filter(pk=self.pk).values_list("content_id", flat=True))
        ids = IndicatorProject.objects.filter(
            contents__pk__in=[c for c in content_ids if c is not None]
        ).values_list("standard_id", flat=True)
        return _standard_is_frozen(set(ids))
