"""The demo generator's entry points: a deterministic synthetic district (or city) that shows a living system.

``chuangwen demo-data --scale district|city --seed N`` calls :func:`build_demo`. Never in production mode:
every demo account, the administrator's included, shares a password printed in public.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from chuangwen.demo.build import DemoRefused, DemoSummary, Writer, demo_digest, reset_business_data
from chuangwen.demo.build import build_demo as _build_demo
from chuangwen.demo.spec import DEMO_PASSWORD, SCALES, ScaleSpec

__all__ = [
    "DEMO_PASSWORD",
    "SCALES",
    "DemoRefused",
    "DemoSummary",
    "ScaleSpec",
    "build_demo",
    "demo_digest",
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
