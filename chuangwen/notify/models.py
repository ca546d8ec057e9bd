"""Notifications: the in-app inbox, a unit's outgoing channels, and the record of every delivery.

A ``Notification`` is what one person reads in the inbox. A ``Delivery`` is one message on its way out
over one channel (a person's e-mail, or a unit's e-mail list, DingTalk or WeCom robot), with its attempts
and result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: User | Any) -> NotificationQuerySet:
        """The one scoping function for notifications: a person sees only his or her own."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def read(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=False)

    def inbox_order(self) -> NotificationQuerySet:
        """Unread first, newest first within each group (the inbox page and its API)."""
        unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
        return self.alias(is_unread=unread).order_by("-is_unread", "-created_at", "-pk")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True, help_text=_("站内地址，例如 /cases/12/"))
    kind = models.CharField(_("类别"), max_length=64, blank=True, help_text=_("例如 case.escalation"))
    key = models.CharField(_("去重键"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A repeated event (same key) never notifies the same person twice.
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notify_notification_user_key"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notify_notif_user_read"),
            models.Index(fields=["user", "-created_at"], name="notify_notif_user_created"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def unread(self) -> bool:
        return self.read_at is None


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WECOM = "wecom", _("企业微信群机器人")


WEBHOOK_KINDS = frozenset({ChannelKind.DINGTALK, ChannelKind.WECOM})


def split_addresses(target: str) -> list[str]:
    """E-mail addresses of a target written with commas (or Chinese commas and semicolons)."""
    for separator in ("，", ";", "；", "\n"):
        target = target.replace(separator, ",")
    return [part.strip() for part in target.split(",") if part.strip()]


class Channel(models.Model):
    """A unit's outgoing channel, set up by a coordinator or administrator in the admin."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="notify_channels"
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("例如：西湖街道创文工作群"))
    kind = models.CharField(_("类型"), max_length=16, choices=ChannelKind.choices)
    target = models.CharField(
        _("接收地址"),
        max_length=1000,
        help_text=_("电子邮件地址（多个用逗号分隔），或群机器人的 Webhook 地址"),
    )
    secret = models.CharField(
        _("加签密钥"),
        max_length=200,
        blank=True,
        help_text=_("钉钉群机器人「加签」安全设置的密钥（SEC 开头）"),
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("推送通道")
        verbose_name_plural = _("推送通道")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    def clean(self) -> None:
        self.target = (self.target or "").strip()
        self.secret = (self.secret or "").strip()
        errors: dict[str, list[str]] = {}
        if self.kind == ChannelKind.EMAIL:
            addresses = split_addresses(self.target)
            if not addresses:
                errors.setdefault("target", []).append(str(_("接收地址：请填写至少一个电子邮件地址。")))
            for address in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    errors.setdefault("target", []).append(
                        str(_("接收地址：“%(address)s”不是有效的电子邮件地址。") % {"address": address})
                    )
        elif self.kind in WEBHOOK_KINDS:
            try:
                URLValidator(schemes=["http", "https"])(self.target)
            except ValidationError:
                errors.setdefault("target", []).append(
                    str(_("接收地址：群机器人需要以 http:// 或 https:// 开头的 Webhook 地址。"))
                )
        if self.secret and self.kind != ChannelKind.DINGTALK:
            errors.setdefault("secret", []).append(str(_("加签密钥：只有钉钉群机器人使用加签密钥。")))
        if errors:
            raise ValidationError(errors)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败待重试")
    GAVE_UP = "gave_up", _("放弃")


# Deliveries that may still be attempted.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class Delivery(models.Model):
    """One message over one channel and its attempts: the record of what went out, when, and what failed."""

    channel_kind = models.CharField(_("通道类型"), max_length=16, choices=ChannelKind.choices)
    target = models.CharField(
        _("接收地址"), max_length=1000, help_text=_("Webhook 地址中的令牌只保留开头几位")
    )
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("站内消息"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("推送通道"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    payload = models.JSONField(_("发送内容（JSON）"), default=dict, blank=True)
    # E-mail only: files in the default storage sent as attachments ([{"name", "filename", "content_type"}]).
    attachments = models.JSONField(_("附件"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("已尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    # Held while one worker is sending, so that a second worker never sends the same message at the same time.
    locked_until = models.DateTimeField(_("发送锁定至"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    key = models.CharField(_("去重键"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "key"], condition=~Q(key=""), name="notify_delivery_channel_key"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_kind_display()} · {self.subject}"


# --- a unit's choice: a notice at once, or in the next morning's digest ----------------------------------


class NoticeKind(models.TextChoices):
    """The notices a unit may defer to the digest (all others are always sent at once)."""

    CASE_DISPATCH = "case.dispatch", _("新案卷派到本单位")
    CASE_RECTIFIED = "case.rectified", _("整改完成待核查")
    ROUND_VISITS_IN = "round.visits_in", _("测评批次的点位全部提交")


class NoticeMode(models.TextChoices):
    INSTANT = "instant", _("即时通知")
    DIGEST = "digest", _("并入每日汇总")


class NoticePreference(models.Model):
    """How one unit's people and group robots hear of one kind of notice; no row means instant."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(_("通知类别"), max_length=32, choices=NoticeKind.choices)
    mode = models.CharField(
        _("通知方式"), max_length=8, choices=NoticeMode.choices, default=NoticeMode.INSTANT
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知方式设置")
        verbose_name_plural = _("通知方式设置")
        constraints = [models.UniqueConstraint(fields=["unit", "kind"], name="notify_preference_unit_kind")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.mode}"


class DeferredNotice(models.Model):
    """A notice held for the next digest: for one person (``user``) or for one unit's robots (``unit``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("单位（群机器人）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("通知类别"), max_length=32, choices=NoticeKind.choices)
    subject = models.CharField(_("标题"), max_length=200)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    key = models.CharField(_("去重键"), max_length=200)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("并入汇总时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待汇总通知")
        verbose_name_plural = _("待汇总通知")
        ordering = ["created_at", "pk"]
        constraints = [
            # The same event is held once per person and once per unit's robots.
            models.UniqueConstraint(fields=["user", "key"], name="notify_deferred_user_key"),
            models.UniqueConstraint(fields=["unit", "key"], name="notify_deferred_unit_key"),
        ]

    def __str__(self) -> str:
        return self.subject
