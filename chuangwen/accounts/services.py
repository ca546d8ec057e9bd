"""Account rules: login with lockout, API tokens, the TOTP second factor."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts import token_cache
from chuangwen.accounts.models import ApiToken, LoginFailure, User
from chuangwen.audit.models import Outcome
from chuangwen.audit.services import client_address, record

TOTP_ISSUER = "创文"


@dataclass
class LoginResult:
    user: User | None
    message: str = ""
    locked: bool = False
    retry_after: int = 0  # seconds until the lockout frees, when locked

    @property
    def ok(self) -> bool:
        return self.user is not None


def lockout_message() -> str:
    # The same words whether or not the account exists, and whether the account or the address is locked.
    minutes = max(1, round(settings.LOCKOUT_WINDOW_SECONDS / 60))
    return _("登录失败次数过多，已暂时锁定，请 %(minutes)s 分钟后再试。") % {"minutes": minutes}


def bad_credentials_message() -> str:
    return _("用户名或密码错误。")


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)


class TooManyAttempts(Exception):
    """The account or the address is locked out: refused before any secret is checked (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(lockout_message())
        self.retry_after = retry_after


def _is_locked(username: str, address: str | None, exclude_pk: int | None = None) -> bool:
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    if exclude_pk is not None:
        recent = recent.exclude(pk=exclude_pk)
    # A bad API token is a failure of its address only: its row has no username, and counts for no account.
    if username and recent.filter(username__iexact=username).count() >= settings.LOCKOUT_ACCOUNT_FAILURES:
        return True
    return bool(address) and recent.filter(address=address).count() >= settings.LOCKOUT_ADDRESS_FAILURES


def is_locked(username: str, address: str | None) -> bool:
    return _is_locked(username, address)


def _frees_in(failures: QuerySet[LoginFailure], limit: int) -> int:
    """Seconds until fewer than ``limit`` of these failures are left inside the window (0: fewer already)."""
    recent = failures.filter(at__gte=_window_start()).order_by("-at").values_list("at", flat=True)
    nth_newest = list(recent[max(1, limit) - 1 : max(1, limit)])
    if not nth_newest:
        return 0
    # A failure counts while ``at >= now - window``: it stops the first whole second after ``at + window``.
    ends = nth_newest[0] + timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)
    return max(0, math.floor((ends - timezone.now()).total_seconds()) + 1)


def retry_after(username: str, address: str | None) -> int:
    """Seconds until neither the account nor the address is locked any more (``Retry-After``; at least 1)."""
    seconds = 0
    if username:
        account = LoginFailure.objects.filter(username__iexact=username)
        seconds = _frees_in(account, int(settings.LOCKOUT_ACCOUNT_FAILURES))
    if address:
        by_address = LoginFailure.objects.filter(address=address)
        seconds = max(seconds, _frees_in(by_address, int(settings.LOCKOUT_ADDRESS_FAILURES)))
    return max(1, seconds)


def _fail(request: HttpRequest | None, username: str, action: str, user: User | None = None) -> LoginResult:
    LoginFailure.objects.create(username=username[:150], address=client_address(request))
    record(request, action, obj=user, outcome=Outcome.FAILURE, actor=user, actor_name=username)
    return LoginResult(None, bad_credentials_message())


def authenticate_with_lockout(request: HttpRequest | None, username: str, password: str) -> LoginResult:
    """Check a password unless the account or the address is locked out; keep the failure count honest."""
    username = username.strip()
    address = client_address(request)
    # The attempt is counted before the password is checked, so parallel guesses cannot all slip in under
    # the limit while each other's hashes are being computed.
    attempt = LoginFailure.objects.create(username=username[:150], address=address)
    if _is_locked(username, address, exclude_pk=attempt.pk):
        attempt.delete()
        record(request, "login_locked", outcome=Outcome.DENIED, actor_name=username)
        return LoginResult(None, lockout_message(), locked=True, retry_after=retry_after(username, address))
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        record(request, "login_failed", outcome=Outcome.FAILURE, actor_name=username)
        return LoginResult(None, bad_credentials_message())
    LoginFailure.objects.filter(username__iexact=username).delete()
    record(request, "login", obj=user, actor=user)
    return LoginResult(user)


def unlock_account(request: HttpRequest | None, username: str) -> int:
    removed, _by_model = LoginFailure.objects.filter(username__iexact=username).delete()
    record(request, "account_unlocked", detail={"username": username, "failures_removed": removed})
    return removed


# --- API tokens -------------------------------------------------------------------------------------------


class TokenRefused(Exception):
    """A token was not issued; the message says why, in the user's language."""


class TokenLocked(TokenRefused):
    """A token was not issued because the account or the address is locked out (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(lockout_message())
        self.retry_after = retry_after


class TokenExpired(Exception):
    """A token that was once valid has passed its expiry."""

    def __init__(self, expires_at: datetime) -> None:
        self.expires_at = expires_at
        when = timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(_("API 令牌已于 %(when)s 过期，请重新申请令牌。") % {"when": when})


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _token_second_factor(user: User, totp_code: str | None, request: HttpRequest | None) -> None:
    """A token must not skip the second factor its owner's web login asks for: check a fresh code."""
    username = user.get_username()
    if totp_required(user) and not user.totp_enabled:
        raise TokenRefused(
            _("用户 %(user)s 的角色必须使用动态口令，但尚未绑定：请先在网页登录并绑定动态口令，再申请令牌。")
            % {"user": username}
        )
    if not user.totp_enabled:
        return
    if not (totp_code or "").strip():
        raise TokenRefused(
            _("用户 %(user)s 已启用动态口令：申请令牌须提供当前的动态口令。") % {"user": username}
        )
    address = client_address(request)
    if _is_locked(username, address):
        record(request, "token_refused", obj=user, outcome=Outcome.DENIED, detail={"reason": "locked"})
        raise TokenLocked(retry_after(username, address))
    if not verify_totp(user, totp_code or ""):
        LoginFailure.objects.create(username=username[:150], address=client_address(request))
        record(request, "token_refused", obj=user, outcome=Outcome.FAILURE, detail={"reason": "totp"})
        raise TokenRefused(_("动态口令错误或已使用过，请输入新的口令。"))


def issue_token(
    user: User,
    name: str,
    *,
    totp_code: str | None = None,
    days: int | None = None,
    request: HttpRequest | None = None,
) -> str:
    """Create a token and return its key; the key is shown once, only its SHA-256 is kept.

    A user who must pass a second factor on the web (``second_factor_due``) must give a fresh TOTP code here
    too. The token expires after ``days`` (at most and by default ``API_TOKEN_DAYS``).
    """
    limit = int(settings.API_TOKEN_DAYS)
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise TokenRefused(_("有效天数须在 1 到 %(limit)d 之间。") % {"limit": limit})
    _token_second_factor(user, totp_code, request)
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=days)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=token_digest(key), expires_at=expires_at
    )
    detail = {"user": user.get_username(), "expires_at": expires_at.isoformat()}
    record(request, "token_issued", obj=token, detail=detail)
    return key


def revoke_token(token: ApiToken, *, request: HttpRequest | None = None) -> bool:
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    if changed:
        record(request, "token_revoked", obj=token, detail={"user": token.user.get_username()})
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)


def user_for_token(key: str, request: HttpRequest | None = None) -> User | None:
    """The active owner of a valid token, or None; an expired token raises TokenExpired (to say so).

    A key that opens nothing (unknown, revoked, or its owner deactivated) is a failed login of the request's
    address; once the address has ``LOCKOUT_ADDRESS_FAILURES`` of them (wrong passwords included) inside the
    window, every key from it raises :class:`TooManyAttempts` without being looked at. The count is read in
    the token check's own query: a valid token pays no extra query."""
    address = client_address(request)
    limit = int(settings.LOCKOUT_ADDRESS_FAILURES)
    failures, row = token_cache.check_from(token_digest(key), address, _window_start(), limit)
    if address and failures >= limit:
        raise TooManyAttempts(retry_after("", address))
    if row is None or not row.user_active:
        if address:
            LoginFailure.objects.create(username="", address=address)
        record(request, "api_token_failed", outcome=Outcome.FAILURE)
        return None
    now = timezone.now()
    if row.expires_at <= now:
        raise TokenExpired(row.expires_at)
    # Recorded at most once a minute: a phone uploading many photos should not cost a write per request.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.token_id).update(last_used_at=now)
    return token_cache.owner(row)


# --- TOTP second factor -----------------------------------------------------------------------------------


def totp_required(user: User) -> bool:
    return user.role in settings.REQUIRE_2FA_ROLES


def second_factor_due(user: User) -> bool:
    return user.totp_enabled or totp_required(user)


def start_totp_enrollment(user: User, *, renew: bool = False, request: HttpRequest | None = None) -> str:
    """Give the user a secret to enrol (kept until confirmed, so a reload shows the same QR code)."""
    if user.totp_enabled:
        raise ValueError("TOTP is already enabled")
    if user.totp_secret and not renew:
        return user.totp_secret
    user.totp_secret = pyotp.random_base32()
    user.save(update_fields=["totp_secret"])
    record(request, "totp_enrollment_started", obj=user)
    return user.totp_secret


def totp_provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.get_username(), issuer_name=TOTP_ISSUER)


def totp_qr_svg(user: User) -> str:
    qr = segno.make(totp_provisioning_uri(user), error="m")
    return str(qr.svg_inline(scale=4, omitsize=True, title=TOTP_ISSUER))


def _clean_code(code: str) -> str:
    return "".join(code.split())


def verify_totp(user: User, code: str) -> bool:
    """True for a right code of the previous, current or next 30-second step not used before."""
    code = _clean_code(code)
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(timezone.now())
    for step in (now_step, now_step - 1, now_step + 1):
        if step <= user.totp_last_step or not hmac.compare_digest(totp.generate_otp(step), code):
            continue
        # Claim the step in one conditional UPDATE: of two requests with the same code only one wins.
        won = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
        if won:
            user.totp_last_step = step
        return bool(won)
    return False


def confirm_totp(user: User, code: str, *, request: HttpRequest | None = None) -> bool:
    """Finish enrolment: the first right code switches the second factor on."""
    if user.totp_enabled:
        return verify_totp(user, code)
    if not verify_totp(user, code):
        record(request, "totp_enrollment_failed", obj=user, outcome=Outcome.FAILURE)
        return False
    user.totp_enabled = True
    user.save(update_fields=["totp_enabled"])
    record(request, "totp_enabled", obj=user)
    return True


def disable_totp(user: User, *, request: HttpRequest | None = None) -> None:
    user.totp_enabled = False
    user.totp_secret = ""
    user.save(update_fields=["totp_enabled", "totp_secret"])
    record(request, "totp_disabled", obj=user)


def verify_second_factor(request: HttpRequest | None, user: User, code: str) -> LoginResult:
    """The login's second step; wrong codes count toward the same lockout as wrong passwords."""
    username = user.get_username()
    address = client_address(request)
    if _is_locked(username, address):
        record(request, "login_locked", obj=user, outcome=Outcome.DENIED, actor=user)
        return LoginResult(None, lockout_message(), locked=True, retry_after=retry_after(username, address))
    ok = verify_totp(user, code) if user.totp_enabled else confirm_totp(user, code, request=request)
    if not ok:
        _fail(request, username, "totp_failed", user)
        return LoginResult(None, _("动态口令错误或已使用过，请输入新的口令。"))
    LoginFailure.objects.filter(username__iexact=username).delete()
    record(request, "totp_verified", obj=user, actor=user)
    return LoginResult(user)
