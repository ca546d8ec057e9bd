from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

STARTER = Path(__file__).resolve().parents[1] / "data" / "checklist.yaml"


@pytest.fixture
def starter_text() -> str:
    return STARTER.read_text(encoding="utf-8")


@pytest.fixture
def starter_doc(starter_text: str) -> dict[str, Any]:
    return yaml.safe_load(starter_text)


@pytest.fixture
def starter(db: Any) -> Any:
    from chuangwen.standards.services import import_standard_yaml

    return import_standard_yaml(STARTER.read_bytes())
