"""Fixtures for the visit tests: a round in progress built directly with the ORM (no draw service needed).

Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import uuid
from typing import Any

import pytest

__all__ = [
    "done_payload",
    "make_photo",
    "make_round",
    "post_json",
    "standard",
    "visit_round",
]


@pytest.fixture
def standard(db: Any) -> Any:
    from chuangwen.standards.services.versions import load_default_standard

    return load_default_standard()


def make_round(org: dict[str, Any], users: dict[str, Any], standard: Any, **extra: Any) -> Any:
    from chuangwen.rounds.models import Round, RoundStatus

    fields: dict[str, Any] = {
        "name": "2026年12月暗访",
        "kind": "unannounced",
        "standard": standard,
        "owner_unit": org["district"],
        "target_unit": org["district"],
        "period_start": datetime.date(2026, 12, 1),
        "period_end": datetime.date(2026, 12, 5),
        "status": RoundStatus.IN_PROGRESS,
        "params": {"max_distance_m": 300},
        "created_by": users["coordinator"],
    }
    fields.update(extra)
    return Round.objects.create(**fields)


@pytest.fixture
def visit_round(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any], standard: Any) -> Any:
    """An unannounced round in progress: one team (users["inspector"]) with all three sites on its route."""
    from chuangwen.rounds.models import RoundSite, Team

    round_ = make_round(org, users, standard)
    team = Team.objects.create(round=round_, name="第1组")
    team.members.add(users["inspector"])
    for order, key in enumerate(["west_road", "west_market", "east_estate"], start=1):
        RoundSite.objects.create(
            round=round_, site=sites[key], draw_order=order, team=team, route_order=order
        )
    return round_


def _jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def make_photo(user: Any, client_id: uuid.UUID | str | None = None, kind: str = "problem") -> Any:
    """An uploaded photo as the evidence pipeline would store it: a real small JPEG in default storage."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from chuangwen.evidence.models import Evidence

    data = _jpeg_bytes()
    digest = hashlib.sha256(data + uuid.uuid4().bytes).hexdigest()
    name = default_storage.save(f"evidence/{digest}.jpg", ContentFile(data))
    return Evidence.objects.create(
        client_id=client_id or uuid.uuid4(),
        kind=kind,
        sha256=digest,
        file=name,
        width=8,
        height=6,
        size_bytes=len(data),
        uploader=user,
    )


def done_payload(round_: Any, site: Any, **extra: Any) -> dict[str, Any]:
    """A complete ``done`` visit at the site's own position with every item conforming; ``failures`` maps item
    codes to ``(count, [photo client ids])`` for not-conforming ones, ``na`` lists not-applicable codes."""
    from chuangwen.standards.models import CheckItem

    failures: dict[str, tuple[int, list[Any]]] = extra.pop("failures", {})
    na: set[str] = set(extra.pop("na", ()))
    items = CheckItem.objects.filter(site_type__standard=round_.standard, site_type__code=site.site_type)
    judgements = []
    for item in items:
        if item.code in failures:
            count, photos = failures[item.code]
            judgements.append(
                {
                    "item_code": item.code,
                    "result": "not_conforming",
                    "count": count,
                    "photo_ids": [str(p) for p in photos],
                }
            )
        else:
            result = "not_applicable" if item.code in na else "conforming"
            judgements.append({"item_code": item.code, "result": result})
    payload: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "round_id": round_.pk,
        "site_id": site.pk,
        "outcome": "done",
        "lat": site.lat,
        "lng": site.lng,
        "accuracy": 10.0,
        "coord_system": "WGS-84",
        "started_at": "2026-12-01T09:10:00+08:00",
        "finished_at": "2026-12-01T09:40:00+08:00",
        "judgements": judgements,
    }
    payload.update(extra)
    return payload


def post_json(client: Any, url: str, payload: Any) -> Any:
    import json

    return client.post(url, data=json.dumps(payload), content_type="application/json")
