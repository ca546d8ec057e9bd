"""People in the admin. Every save goes through the model, so the permission-change audit (signals) sees it;
token revocation, unlocking and second-factor resets go through the services, which audit themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chuangwen.accounts import services
from chuangwen.accounts.models import ApiToken, LoginFailure, User
from chuangwen.accounts.views import logout_view


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's own login form would skip the lockout, the audit log and the second factor: use ours."""
    if request.user.is_authenticated:
        # Signed in but not staff: sending them to the login page would only bounce back here.
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))


def admin_logout(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    return logout_view(request)


admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.logout = admin_logout  # type: ignore[method-assign,assignment]


class UserCreateForm(UserCreationForm):  # type: ignore[type-arg]
    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "full_name", "role", "unit")


class UserEditForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]
        model = User


@admin.register(User)
class ChuangwenUserAdmin(UserAdmin):  # type: ignore[type-arg]
    form = UserEditForm
    add_form = UserCreateForm
    list_display = (
        "username",
        "full_name",
        "role",
        "unit",
        "is_active",
        "is_staff",
        "totp_enabled",
        "last_login",
    )
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "totp_enabled")
    search_fields = ("username", "full_name", "phone", "email")
    list_select_related = ("unit",)
    ordering = ("username",)
    readonly_fields = ("totp_enabled", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email")}),
        (_("角色与单位"), {"fields": ("role", "unit")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("动态口令"), {"fields": ("totp_enabled",)}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "role", "unit", "password1", "password2"),
            },
        ),
    )
    actions = ["unlock_accounts", "reset_totp"]

    @admin.action(description=_("解除所选用户的登录锁定"), permissions=["change"])
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            services.unlock_account(request, user.get_username())
            count += 1
        self.message_user(request, _("已解除 %(count)d 个用户的锁定。") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("重置所选用户的动态口令（需重新绑定）"), permissions=["change"])
    def reset_totp(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.filter(Q(totp_enabled=True) | ~Q(totp_secret="")):
            services.disable_totp(user, request=request)
            count += 1
        text = _("已重置 %(count)d 个用户的动态口令。") % {"count": count}
        self.message_user(request, text, messages.SUCCESS)


class NoWriteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(NoWriteAdmin):
    """Tokens are issued by the service (the key is shown once); here they can only be seen and revoked."""

    list_display = ("name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "user__username", "user__full_name")
    list_select_related = ("user",)
    fields = ("name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # Revoking is allowed to those who may change tokens, although the edit form itself is refused.
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description=_("吊销所选令牌"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(services.revoke_token(token, request=request) for token in queryset)
        self.message_user(request, _("已吊销 %(count)d 个令牌。") % {"count": revoked})


@admin.register(LoginFailure)
class LoginFailureAdmin(NoWriteAdmin):
    list_display = ("username", "address", "at")
    search_fields = ("username", "address")
    date_hierarchy = "at"
