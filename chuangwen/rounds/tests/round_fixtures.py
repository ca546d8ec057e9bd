"""Fixtures for the round tests: a registry of sites in both streets, and rounds made by the services.

Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from conftest import make_user

__all__ = [
    "accept_visit_with_finding",
    "draft_round",
    "drawn_round",
    "make_draft",
    "published_round",
    "registry",
    "round_standard",
    "started_round",
    "team_inspectors",
]

QUOTAS = {"ZD": 3, "NM": 2, "LJ": 2}


@pytest.fixture
def round_standard(db: Any) -> Any:
    from chuangwen.standards.services.versions import load_default_standard

    return load_default_standard()


@pytest.fixture
def registry(org: dict[str, Any], sites: dict[str, Any]) -> dict[str, Any]:
    """The three conftest sites plus 15 more: ZD/NM/LJ in both streets, every fourth one declared."""
    from chuangwen.sites.models import Site

    made = dict(sites)
    types = ["ZD", "NM", "LJ"]
    for i in range(15):
        west = i % 2 == 0
        made[f"s{i}"] = Site.objects.create(
            code=f"R{i:03d}",
            name=f"测试点位{i}",
            site_type=types[i % 3],
            lng=(120.005 if west else 120.055) + 0.003 * i,
            lat=30.01 + 0.005 * i,
            area_unit=org["west_c"] if west else org["east_c"],
            responsible_unit=org["west"] if west else org["east"],
            declared=i % 4 == 0,
        )
    return made


def make_draft(org: dict[str, Any], users: dict[str, Any], standard: Any, **extra: Any) -> Any:
    from chuangwen.rounds import services

    data: dict[str, Any] = {
        "name": "2026年12月暗访",
        "kind": "unannounced",
        "standard": standard,
        "period_start": datetime.date(2026, 12, 1),
        "period_end": datetime.date(2026, 12, 5),
        "target_unit": org["district"],
        "params": {"type_quotas": dict(QUOTAS), "declared_cap": "0.3", "max_distance_m": 300},
    }
    data.update(extra)
    return services.create_round(data, users["coordinator"])


@pytest.fixture
def team_inspectors(org: dict[str, Any], users: dict[str, Any]) -> list[Any]:
    return [
        users["inspector"],
        make_user("inspector2", "inspector", org["district"]),
        make_user("inspector3", "inspector", org["district"]),
        make_user("inspector4", "inspector", org["district"]),
    ]


@pytest.fixture
def draft_round(org: dict[str, Any], users: dict[str, Any], round_standard: Any, registry: Any) -> Any:
    return make_draft(org, users, round_standard)


@pytest.fixture
def drawn_round(draft_round: Any, users: dict[str, Any]) -> Any:
    from chuangwen.rounds import services

    return services.draw_round(draft_round, users["coordinator"])


@pytest.fixture
def started_round(drawn_round: Any, users: dict[str, Any], team_inspectors: list[Any]) -> Any:
    from chuangwen.rounds import services

    services.build_teams(drawn_round, team_inspectors, actor=users["coordinator"])
    return services.start_round(drawn_round, users["coordinator"])


@pytest.fixture
def published_round(started_round: Any, users: dict[str, Any]) -> Any:
    from chuangwen.rounds import services

    return services.publish_round(started_round, users["coordinator"], confirm_missing=True)


def accept_visit_with_finding(round_: Any, entry: Any, inspector: Any, *, status: str = "accepted") -> Any:
    """A visit of the entry's site (accepted by default) with one not-conforming judgement and its finding."""
    from chuangwen.rounds.models import Finding, Judgement, Visit
    from chuangwen.standards.models import CheckItem

    visit = Visit.objects.create(
        client_id=uuid.uuid4(),
        round=round_,
        site=entry.site,
        team=entry.team,
        inspector=inspector,
        status=status,
        score=98,
    )
    item = CheckItem.objects.filter(
        site_type__standard=round_.standard, site_type__code=entry.site.site_type
    ).first()
    assert item is not None
    judgement = Judgement.objects.create(visit=visit, check_item=item, result="not_conforming", count=1)
    Finding.objects.create(
        judgement=judgement, round=round_, visit=visit, site=entry.site, check_item=item, deduction=2
    )
    return visit
