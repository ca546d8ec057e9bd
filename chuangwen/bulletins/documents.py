"""(being written) .docx, PDF and .xlsx of a bulletin."""

from __future__ import annotations

from collections.abc import Callable

from chuangwen.bulletins.models import Bulletin


def render_all(bulletin: Bulletin, progress: Callable[[int], None]) -> dict[str, bytes]:
    raise NotImplementedError
