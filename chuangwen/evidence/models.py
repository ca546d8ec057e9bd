"""Evidence (证据): photos stored under their content hash, with where/when they were taken and by whom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuangwen.evidence.capture import CaptureState

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


class EvidenceKind(models.TextChoices):
    PROBLEM = "problem", _("问题照片")
    EXCEPTION = "exception", _("异常情况照片")
    RECTIFICATION = "rectification", _("整改照片")
    VERIFICATION = "verification", _("核查照片")


class EvidenceQuerySet(models.QuerySet["Evidence"]):
    def visible_to(self, user: User) -> EvidenceQuerySet:
        """The one scoping function for evidence: photos of visits the user may see, photos in the history of
        cases the user may see and the problem photos behind them, and the user's own uploads that nothing
        cites yet. (Cases come from published rounds only, so this reveals no secret round.)"""
        if not user.is_authenticated or user.unit_id is None:
            return self.none()
        from chuangwen.cases.models import Case
        from chuangwen.rounds.models import Visit

        cases = Case.objects.visible_to(user)
        on_cases = Evidence.objects.filter(case_events__case__in=cases).values("pk")
        return self.filter(
            Q(visit__in=Visit.objects.visible_to(user))
            | Q(pk__in=on_cases)
            | Q(judgement__finding__case__in=cases)
            | Q(visit__isnull=True, uploader=user)
        )


class Evidence(models.Model):
    client_id = models.UUIDField(_("客户端编号"), unique=True)
    kind = models.CharField(
        _("类型"), max_length=16, choices=EvidenceKind.choices, default=EvidenceKind.PROBLEM
    )
    sha256 = models.CharField(_("内容哈希（SHA-256）"), max_length=64, db_index=True)
    upload_sha256 = models.CharField(_("上传文件哈希"), max_length=64, blank=True)
    file = models.FileField(_("原图（重新编码）"), upload_to="evidence/", max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=50, default="image/jpeg")
    width = models.PositiveIntegerField(_("宽（像素）"), default=0)
    height = models.PositiveIntegerField(_("高（像素）"), default=0)
    size_bytes = models.PositiveIntegerField(_("大小（字节）"), default=0)
    display_file = models.FileField(
        _("展示图（带水印）"), upload_to="evidence/display/", blank=True, max_length=200
    )
    thumb_file = models.FileField(_("缩略图"), upload_to="evidence/thumb/", blank=True, max_length=200)
    # Faces and number plates blurred, no metadata; made on first public request (chuangwen.evidence.privacy).
    public_file = models.FileField(
        _("公开图（人脸、车牌已模糊）"), upload_to="evidence/public/", blank=True, max_length=200
    )
    phash = models.CharField(_("感知哈希"), max_length=16, blank=True, db_index=True)
    # The hash cut into four 16-bit bands, each indexed: a photo within 7 bits of another has a band within
    # one bit of the other's, so near copies are found by index lookups, not a scan (derivatives.similar).
    phash_band0 = models.PositiveIntegerField(_("感知哈希第 1 段"), null=True, blank=True, db_index=True)
    phash_band1 = models.PositiveIntegerField(_("感知哈希第 2 段"), null=True, blank=True, db_index=True)
    phash_band2 = models.PositiveIntegerField(_("感知哈希第 3 段"), null=True, blank=True, db_index=True)
    phash_band3 = models.PositiveIntegerField(_("感知哈希第 4 段"), null=True, blank=True, db_index=True)
    derivatives_done = models.BooleanField(_("派生图已生成"), default=False)
    captured_at = models.DateTimeField(_("拍摄时间（手机）"), null=True, blank=True)
    exif_captured_at = models.DateTimeField(_("拍摄时间（EXIF）"), null=True, blank=True)
    lat = models.FloatField(_("纬度（手机，WGS-84）"), null=True, blank=True)
    lng = models.FloatField(_("经度（手机，WGS-84）"), null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    exif_lat = models.FloatField(_("纬度（EXIF）"), null=True, blank=True)
    exif_lng = models.FloatField(_("经度（EXIF）"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间（服务器）"), auto_now_add=True)
    # Capture binding (evidence.capture): whether the app proved the photo was taken for this case or visit.
    capture_state = models.CharField(
        _("采集方式"), max_length=10, choices=CaptureState.choices, default=CaptureState.UNBOUND
    )
    capture_detail = models.CharField(_("采集说明"), max_length=200, blank=True)
    clock_offset_ms = models.BigIntegerField(_("手机时钟偏差（毫秒）"), null=True, blank=True)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="evidence"
    )
    # What the photo belongs to. Set when the visit (or later a case) that cites the photo arrives.
    round = models.ForeignKey(
        "rounds.Round",
        verbose_name=_("测评批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("点位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visit = models.ForeignKey(
        "rounds.Visit",
        verbose_name=_("实地测评"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
    )
    judgement = models.ForeignKey(
        "rounds.Judgement",
        verbose_name=_("测评判定"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
    )

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("证据照片")
        verbose_name_plural = _("证据照片")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"
