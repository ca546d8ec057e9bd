"""Open311 GeoReport v2: the integrations that may post requests, the attributes of a service definition, and
what each posted request was (which integration, its idempotency key, the answers to the attributes).

A service is a ``reports.ReportCategory`` (its code is the ``service_code``); a service request is a
``reports.CitizenReport``. This app only adds what GeoReport needs beyond them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Integration(models.Model):
    """Another system (a 12345 platform, a city app) allowed to post service requests with its own api_key.

    Only the key's SHA-256 is stored, with a short prefix so that people can tell keys apart; the key itself
    is shown once when it is issued.
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    organisation = models.CharField(_("所属单位"), max_length=200)
    key_prefix = models.CharField(_("密钥前缀"), max_length=16, editable=False)
    key_hash = models.CharField(_("密钥哈希"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 接入方")
        verbose_name_plural = _("Open311 接入方")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def usable(self) -> bool:
        return self.active and self.revoked_at is None


class Datatype(models.TextChoices):
    STRING = "string", _("单行文字")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("多行文字")
    SINGLEVALUELIST = "singlevaluelist", _("单选")
    MULTIVALUELIST = "multivaluelist", _("多选")


class ServiceAttribute(models.Model):
    """One field of a service definition (GET services/{service_code}); posted as ``attribute[code]``."""

    category = models.ForeignKey(
        "reports.ReportCategory",
        verbose_name=_("问题类别"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.CharField(_("代码"), max_length=50)
    variable = models.BooleanField(_("需要填写"), default=True, help_text=_("否：仅向用户展示说明"))
    datatype = models.CharField(_("类型"), max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(_("必填"), default=False)
    datatype_description = models.CharField(_("填写提示"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("顺序"), default=1)
    description = models.CharField(_("说明"), max_length=500)
    values = models.JSONField(
        _("可选值"),
        default=list,
        blank=True,
        help_text=_('单选、多选的选项，如 [{"key": "1", "name": "占道经营"}]'),
    )

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique"),
            models.UniqueConstraint(fields=["category", "order"], name="open311_attribute_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def value_names(self) -> dict[str, str]:
        """The values of a list, key → name (the key when it has no name)."""
        return {
            str(item.get("key")): str(item.get("name", item.get("key")))
            for item in self.values
            if isinstance(item, dict)
        }

    def value_keys(self) -> list[str]:
        return list(self.value_names())


class Submission(models.Model):
    """A service request posted through Open311: who posted it and under which idempotency key.

    ``client_id`` is also the report's ``client_id`` and the token of ``GET tokens/{token}``: the
    integrator's own UUID when it sent one as ``client_id``, otherwise a UUID derived from its ``client_id``
    text or, without one, from the request's content and minute (see ``services.idempotency_key``).
    """

    integration = models.ForeignKey(
        Integration, verbose_name=_("接入方"), on_delete=models.PROTECT, related_name="submissions"
    )
    report = models.OneToOneField(
        "reports.CitizenReport",
        verbose_name=_("随手拍"),
        on_delete=models.CASCADE,
        related_name="open311_submission",
    )
    client_id = models.UUIDField(_("幂等键 / 令牌"), unique=True)
    external_id = models.CharField(_("接入方编号"), max_length=100, blank=True)
    attributes = models.JSONField(_("属性取值"), default=dict, blank=True)
    media_url = models.URLField(_("接入方图片链接"), max_length=500, blank=True)
    # The spec's email, first_name, last_name and device_id are accepted and not kept (nobody here needs
    # them); the phone number goes to the report (shown in full to coordinators only). account_id is echoed.
    account_id = models.CharField(_("接入方账号"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 来件")
        verbose_name_plural = _("Open311 来件")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "external_id"],
                condition=~Q(external_id=""),
                name="open311_submission_external_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.integration} · {self.client_id}"
