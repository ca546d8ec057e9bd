"""People: one role each, attached to one unit."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("文明办协调员")
    INSPECTOR = "inspector", _("督查员")
    VERIFIER = "verifier", _("核查员")
    HANDLER = "handler", _("责任单位经办人")
    UNIT_HEAD = "unit_head", _("责任单位负责人")
    LEADER = "leader", _("区领导")
    ADMIN = "admin", _("系统管理员")
    VOLUNTEER = "volunteer", _("志愿者")
    CITIZEN = "citizen", _("市民（随手拍）")


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user: User) -> UserQuerySet:
        """The one scoping function for people: those attached to the user's unit subtree."""
        unit = user.unit if user.is_authenticated and user.unit_id is not None else None
        if unit is None:
            return self.none()
        return self.filter(unit__path__startswith=unit.path)


class ScopedUserManager(UserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, user: User) -> UserQuerySet:
        return self.get_queryset().visible_to(user)


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.HANDLER)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    totp_secret = models.CharField(_("动态口令密钥"), max_length=64, blank=True, editable=False)
    totp_enabled = models.BooleanField(_("已启用动态口令"), default=False)
    totp_last_step = models.BigIntegerField(_("最近使用的口令时间片"), default=0, editable=False)

    objects: ClassVar[ScopedUserManager] = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class LoginFailure(models.Model):
    """One failed login; recent rows decide lockout per account and per address."""

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True, db_index=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return f"{self.username}@{self.address}"


class ApiToken(models.Model):
    """A bearer token for phones and integrations; only its SHA-256 is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(_("令牌哈希"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Every token ends: a key copied into a script or a lost phone stops working by itself (API_TOKEN_DAYS).
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return self.name
