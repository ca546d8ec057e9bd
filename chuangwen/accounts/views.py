"""Login (password, then the second factor), second-factor set-up, password change and logout."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from chuangwen.accounts import services
from chuangwen.accounts.forms import LoginForm, TotpForm
from chuangwen.accounts.middleware import (
    SESSION_2FA_PENDING,
    SESSION_EXPIRED,
    SESSION_NOTICE,
    SESSION_SEEN,
    SESSION_STARTED,
)
from chuangwen.accounts.models import User
from chuangwen.audit.services import client_address, record
from chuangwen.inspect.session import forget_app_data


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _pending(request: HttpRequest) -> bool:
    return bool(request.session.get(SESSION_2FA_PENDING))


def _pop_notice(request: HttpRequest) -> str:
    return str(request.session.pop(SESSION_NOTICE, ""))


def _start_session(request: HttpRequest, user: User) -> HttpResponse:
    login(request, user)  # also gives the session a new key (no session fixation)
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now
    target = _next_url(request)
    request.session.pop(SESSION_2FA_PENDING, None)  # a new password step starts a new second step
    if services.second_factor_due(user):
        request.session[SESSION_2FA_PENDING] = True
        return redirect(f"{reverse('accounts:totp')}?{urlencode({'next': target})}")
    return redirect(target)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and not _pending(request):
        return redirect(_next_url(request))
    expired = bool(request.session.pop(SESSION_EXPIRED, False))
    form = LoginForm(request.POST if request.method == "POST" else None)
    error = _pop_notice(request)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.authenticate_with_lockout(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if result.user is not None:
            return _start_session(request, result.user)
        error = result.message
    context = {"form": form, "error": error, "expired": expired, "next": _next_url(request)}
    if result is not None and result.locked:
        # Still the page (with the lockout message), but never a 200: scripts and monitors see the lockout.
        response = render(request, "accounts/login.html", context, status=429)
        response["Retry-After"] = str(result.retry_after)
        return response
    return render(request, "accounts/login.html", context)


def _enrolment_context(request: HttpRequest, user: User) -> dict[str, object]:
    services.start_totp_enrollment(user, request=request)
    # segno's SVG holds only path data and the fixed issuer title: nothing the user typed is inside.
    return {"secret": user.totp_secret, "qr_svg": mark_safe(services.totp_qr_svg(user))}


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    """The login's second step: enter the code, or enrol first when the role requires a second factor."""
    user = request.user
    assert isinstance(user, User)
    if not _pending(request):
        return redirect(_next_url(request))
    form = TotpForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = services.verify_second_factor(request, user, form.cleaned_data["code"])
        if result.ok:
            del request.session[SESSION_2FA_PENDING]
            request.session.cycle_key()
            return redirect(_next_url(request))
        if result.locked or services.is_locked(user.get_username(), client_address(request)):
            logout(request)
            request.session[SESSION_NOTICE] = services.lockout_message()
            return redirect("accounts:login")
        error = result.message
    context: dict[str, object] = {"form": form, "error": error, "next": _next_url(request)}
    context["enrolling"] = not user.totp_enabled
    if not user.totp_enabled:
        context.update(_enrolment_context(request, user))
    return render(request, "accounts/totp.html", context)


def _totp_setup_post(request: HttpRequest, user: User, code: str) -> str:
    """Apply the set-up form; return an error, or "" after storing a notice for the next page."""
    if not user.totp_enabled:
        if not services.confirm_totp(user, code, request=request):
            return _("动态口令错误，请核对手机时间后重试。")
        request.session[SESSION_NOTICE] = _("动态口令已启用，今后登录时需要输入。")
        return ""
    if services.totp_required(user):
        return _("您的角色必须使用动态口令，不能停用。")
    if not services.verify_totp(user, code):
        return _("动态口令错误或已使用过，请输入新的口令。")
    services.disable_totp(user, request=request)
    request.session[SESSION_NOTICE] = _("动态口令已停用。")
    return ""


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if _pending(request):
        return redirect("accounts:totp")
    form = TotpForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        error = _totp_setup_post(request, user, form.cleaned_data["code"])
        if not error:
            return redirect("accounts:totp_setup")
    context: dict[str, object] = {
        "form": form,
        "error": error,
        "notice": _pop_notice(request),
        "required": services.totp_required(user),
        "enabled": user.totp_enabled,
    }
    if not user.totp_enabled:
        context.update(_enrolment_context(request, user))
    return render(request, "accounts/totp_setup.html", context)


@sensitive_post_parameters()
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    if _pending(request):
        return redirect("accounts:totp")
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Saving records "password_changed" in the audit log (chuangwen.accounts.signals).
        user = form.save()
        update_session_auth_hash(request, user)
        request.session[SESSION_NOTICE] = _("密码已修改。")
        return redirect("accounts:password_change")
    context = {"form": form, "notice": _pop_notice(request)}
    return render(request, "accounts/password_change.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; only a POST (with its CSRF token) logs out."""
    if request.method == "POST":
        if request.user.is_authenticated:
            record(request, "logout", obj=request.user)
        logout(request)
        response = HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
        # The phone app's offline copy of secret rounds must not outlive the session (docs/security.md).
        forget_app_data(response)
        return response
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/logout.html", {})
