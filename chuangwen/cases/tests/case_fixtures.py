"""Helpers for the case tests: more people, cases in any state, photos, and inputs that satisfy any action."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chuangwen.cases import machine, services
from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.evidence.models import Evidence, EvidenceKind
from conftest import make_user


@pytest.fixture
def people(users: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    return {
        **users,
        "east_head": make_user("east_head", "unit_head", org["east"]),
        "verifier2": make_user("verifier2", "verifier", org["district"]),
    }


def make_case(state: str, unit: Any, *, area: Any = None, **extra: Any) -> Case:
    """A case put straight into ``state`` (tests only: real cases change state through services.apply)."""
    return services.create_case(
        source=CaseSource.CITIZEN,
        state=state,
        title="垃圾乱堆放",
        unit=None if state == CaseState.NEW else unit,
        area_unit=area or unit,
        **extra,
    )


def make_photo(uploader: Any) -> Evidence:
    digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    return Evidence.objects.create(
        client_id=uuid.uuid4(),
        kind=EvidenceKind.RECTIFICATION,
        sha256=digest,
        file=f"evidence/{digest}.jpg",
        uploader=uploader,
    )


def inputs_for(action: str, actor: Any, case: Case, org: dict[str, Any]) -> dict[str, Any]:
    """Everything any action could require, valid for this actor."""
    twin = make_case(CaseState.DISPATCHED, case.unit or case.area_unit, area=case.area_unit)
    return {
        "reason": "现场核实情况",
        "unit": org["east"] if machine.UNIT in _requires(action, case) else None,
        "photos": [make_photo(actor)],
        "planned_date": timezone.localdate() + timedelta(days=30),
        "data": {"duplicate_of": twin.code},
        "deadline": timezone.now() + timedelta(days=60)
        if machine.DEADLINE in _requires(action, case)
        else None,
    }


def _requires(action: str, case: Case) -> frozenset[str]:
    transition = machine.TABLE.get((case.state, action))
    return transition.requires if transition else frozenset()
