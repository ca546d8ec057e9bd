"""What must hold before a production start serves anybody, contributed by the apps that know it.

The kernel imports no domain app: an app registers a check in its ``AppConfig.ready`` (accounts: an active
administrator exists, no account keeps the public demo password) and ``serve``/``up`` ask ``refusals()``.
A check returns the Chinese reason the start is refused, or ``""``.
"""

from __future__ import annotations

from collections.abc import Callable

StartCheck = Callable[[], str]
_checks: list[StartCheck] = []


def register(check: StartCheck) -> StartCheck:
    if check not in _checks:
        _checks.append(check)
    return check


def refusals() -> list[str]:
    """The reasons a production start is refused, in registration order (empty: it may start)."""
    return [reason for check in _checks if (reason := check())]
