"""Cross-cutting records: spreadsheet import jobs and their progress; Content-Security-Policy reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    UNITS = "units", _("单位")
    USERS = "users", _("用户")
    SITES = "sites", _("点位")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("等待处理")
    RUNNING = "running", _("正在处理")
    SUCCEEDED = "succeeded", _("导入成功")
    FAILED = "failed", _("导入失败")


class ImportJob(models.Model):
    """One uploaded spreadsheet, processed in the background; a page polls it to show progress."""

    kind = models.CharField(_("导入类型"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(_("上传文件"), upload_to="imports/uploads/%Y/%m/", blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    stage = models.CharField(_("当前阶段"), max_length=50, blank=True)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    created_count = models.PositiveIntegerField(_("新增数"), default=0)
    updated_count = models.PositiveIntegerField(_("更新数"), default=0)
    message = models.TextField(_("结果说明"), blank=True)
    error_report = models.FileField(_("错误报告"), upload_to="imports/errors/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def percent(self) -> int:
        """0–100 for a progress bar."""
        if self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)


class CspReport(models.Model):
    """One violation of the Content-Security-Policy as a browser reported it (docs/security.md).

    Everything here was sent by a browser, anonymously: it is a lead to follow, never a fact to trust.
    """

    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)
    document_uri = models.CharField(_("页面地址"), max_length=2000, blank=True)
    violated_directive = models.CharField(_("违反的指令"), max_length=200, blank=True, db_index=True)
    effective_directive = models.CharField(_("生效指令"), max_length=100, blank=True)
    blocked_uri = models.CharField(_("被拦截的资源"), max_length=2000, blank=True)
    source_file = models.CharField(_("来源文件"), max_length=2000, blank=True)
    line_number = models.PositiveIntegerField(_("行号"), null=True, blank=True)
    column_number = models.PositiveIntegerField(_("列号"), null=True, blank=True)
    sample = models.CharField(_("代码片段"), max_length=200, blank=True)
    disposition = models.CharField(_("处置方式"), max_length=16, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=500, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("内容安全策略报告")
        verbose_name_plural = _("内容安全策略报告")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.violated_directive or self.effective_directive} {self.blocked_uri}"


class ApiWrite(models.Model):
    """One applied write of the administrative API, by the client's id: a resend of the same ``client_id``
    answers from what was done instead of doing it twice (``core/api_writes.py``)."""

    client_id = models.UUIDField(_("客户端编号"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调用者"), on_delete=models.CASCADE, related_name="+"
    )
    operation = models.CharField(_("操作"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("API 写操作")
        verbose_name_plural = _("API 写操作")

    def __str__(self) -> str:
        return f"{self.operation} {self.client_id}"
