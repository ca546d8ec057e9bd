from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from chuangwen.workdays import services


def at(text: str) -> datetime:
    """An aware Asia/Shanghai datetime from 'YYYY-MM-DD HH:MM[:SS[.ffffff]]'."""
    return datetime.fromisoformat(text).replace(tzinfo=services.TZ)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """Each test starts and ends with an empty override cache (rows of a rolled-back test must not linger)."""
    services.invalidate()
    yield
    services.invalidate()
