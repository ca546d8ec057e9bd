"""Fixtures of the citizen report tests: the conftest district (two streets), the categories, photos."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chuangwen.reports import services
from chuangwen.reports.categories import seed
from chuangwen.reports.models import CitizenReport, ReportCategory

# Inside the west street (S01) of conftest's district, and inside the east street (S02).
WEST = (30.05, 120.02)
EAST = (30.06, 120.07)


def jpeg_bytes(colour: tuple[int, int, int] = (120, 130, 140), size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def upload(name: str = "photo.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_bytes(), content_type="image/jpeg")


@pytest.fixture
def categories(db: Any) -> dict[str, ReportCategory]:
    seed(ReportCategory)  # a transactional test flushes what the migration seeded
    return {c.code: c for c in ReportCategory.objects.all()}


def submit(category: ReportCategory, where: tuple[float, float] = WEST, **extra: Any) -> CitizenReport:
    values: dict[str, Any] = {
        "category": category,
        "description": extra.pop("description", "小区门口垃圾堆放多日无人清理"),
        "lat": where[0],
        "lng": where[1],
        "client_id": extra.pop("client_id", uuid.uuid4()),
    }
    values.update(extra)
    return services.submit_report(**values)
