"""Append-only, hash-chained audit log."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangwen.core.writeonce import WriteOnce


class Outcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class Scheme(models.TextChoices):
    """How an entry's hash is computed. Entries written before the key existed keep the keyless rule."""

    SHA256 = "sha256", _("SHA-256（无密钥，旧记录）")
    HMAC_SHA256 = "hmac-sha256", _("HMAC-SHA-256（密钥）")


class AuditEntry(WriteOnce):
    write_once_message = "audit entries are append-only"
    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        # No database constraint and no cascade: deleting a user must never rewrite (and so break) the
        # chain; actor_name keeps who it was.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)
    scheme = models.CharField(
        _("哈希方式"), max_length=16, choices=Scheme.choices, default=Scheme.HMAC_SHA256
    )
    # Which of the configured keys signed the entry, so keys can be rotated (see keyring.parse).
    key_id = models.CharField(_("密钥编号"), max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditHead(models.Model):
    """One row, locked while appending so that concurrent writers extend the chain one at a time."""

    last_seq = models.BigIntegerField(_("最后序号"), default=0)
    last_hash = models.CharField(_("最后哈希"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class AuditAnchor(models.Model):
    """Where the chain starts after old entries were pruned: the last pruned entry's sequence and hash.

    (Not to be confused with the external checkpoints of ``checkpoints.py``, which live outside the database.)

    Each prune also appends an ``audit_pruned`` entry naming the same sequence and hash, so the anchor is
    itself protected by the chain: forging an anchor to hide removed entries is detected by ``audit verify``.
    """

    seq = models.BigIntegerField(_("最后删除的序号"), unique=True)
    hash = models.CharField(_("最后删除的哈希"), max_length=64)
    pruned_at = models.DateTimeField(_("清理时间"))
    removed = models.BigIntegerField(_("删除条数"), default=0)

    class Meta:
        verbose_name = _("审计链清理锚点")
        verbose_name_plural = _("审计链清理锚点")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq}"
