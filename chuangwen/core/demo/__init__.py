"""The demo generator: a deterministic synthetic district (or city) that shows a living system.

``chuangwen demo-data --scale district|city --seed N`` calls :func:`build_demo`. Never in production mode:
every demo account, the administrator's included, shares a password printed in public.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from chuangwen.core.demo.build import DemoRefused, DemoSummary, Writer, demo_digest, reset_business_data
from chuangwen.core.demo.build import build_demo as _build_demo
from chuangwen.core.demo.spec import DEMO_PASSWORD, SCALES, ScaleSpec

__all__ = [
    "DEMO_PASSWORD",
    "SCALES",
    "DemoRefused",
    "DemoSummary",
    "ScaleSpec",
    "build_demo",
    "demo_digest",
    "public_password_accounts",
    "public_password_message",
    "reset_business_data",
]


def build_demo(
    scale: str | ScaleSpec,
    seed: int,
    stdout: Writer | None = None,
    *,
    reset: bool = False,
    activity: bool = True,
) -> DemoSummary:
    """Build the synthetic territory (see ``build.build_demo``); refused in production mode."""
    if settings.PRODUCTION:
        raise DemoRefused(
            _(
                "生产模式下不能生成演示数据：演示账号（包括系统管理员）的密码是公开的。"
                "请用 chuangwen create-admin 用户名 创建管理员，再导入真实的单位、用户和点位。"
            )
        )
    return _build_demo(scale, seed, stdout, reset=reset, activity=activity)


def public_password_accounts() -> list[str]:
    """Active accounts that still log in with the demo password printed in public (a database built in
    development and then switched to production): production refuses to serve while any is left."""
    from chuangwen.accounts.models import User

    candidates = User.objects.filter(is_active=True, username__startswith="demo_").order_by("username")
    return [user.username for user in candidates if user.check_password(DEMO_PASSWORD)]


def public_password_message(usernames: list[str]) -> str:
    return _(
        "生产模式下仍有 %(n)s 个演示账号使用公开的演示密码（%(names)s），系统不会启动。"
        "请停用这些账号或修改其密码后再启动。"
    ) % {"n": len(usernames), "names": "、".join(usernames[:5]) + ("…" if len(usernames) > 5 else "")}
