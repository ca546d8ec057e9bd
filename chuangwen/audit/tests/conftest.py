from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def checkpoint_file(settings: Any, tmp_path: Path) -> Path:
    """A checkpoint file of the test's own (the test settings have none)."""
    path = tmp_path / "audit-anchors.jsonl"
    settings.AUDIT_ANCHOR_FILE = path
    return path
