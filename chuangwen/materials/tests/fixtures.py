"""Shared fixtures of the materials tests: a small indicator tree, a 2026 period over it, its tasks, and the
clerks (信息员) and unit heads of the units that answer for them.

Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import make_user

__all__ = [
    "FIELD_ONLY_CODE",
    "INDICATOR_CODES",
    "PERIOD_CREATED_AT",
    "TASK_PLAN",
    "clerks",
    "indicator_of",
    "material_period",
    "material_tasks",
    "tree_standard",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The period is made on this day whatever the clock says (CI moves the session's clock), so rules that count
# from the period's creation give the same answer every day.
PERIOD_CREATED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)

# project code → name, content code → (project, name), indicator code → (content, methods, material types).
_PROJECTS = {"01": "公正透明的法治环境", "02": "健康向上的人文环境"}
_CONTENTS = {"01-01": ("01", "政务公开"), "01-02": ("01", "法治宣传教育"), "02-01": ("02", "公益广告")}
_INDICATORS: dict[str, tuple[str, list[str], list[str]]] = {
    "01-01-01": ("01-01", ["online"], ["document", "account"]),
    "01-01-02": ("01-01", ["online", "field"], ["document", "photo"]),
    "01-02-01": ("01-02", ["online", "survey"], ["account", "table"]),
    "02-01-01": ("02-01", ["online", "field"], ["photo"]),
    "02-01-02": ("02-01", ["online"], ["document", "table"]),
    "02-01-03": ("02-01", ["field"], []),
}
INDICATOR_CODES = tuple(_INDICATORS)
FIELD_ONLY_CODE = "02-01-03"

# indicator code → (lead unit key of ``org``, supporting unit keys, due date: working days of December 2026).
TASK_PLAN: dict[str, tuple[str, tuple[str, ...], date]] = {
    "01-01-01": ("west", ("east",), date(2026, 12, 15)),
    "01-01-02": ("east", (), date(2026, 12, 16)),
    "01-02-01": ("dept", (), date(2026, 12, 17)),
    "02-01-01": ("west", (), date(2026, 12, 18)),
    "02-01-02": ("dept", (), date(2026, 12, 22)),
}


def indicator_of(standard: Any, code: str) -> Any:
    """The indicator of ``standard``'s tree with ``code``."""
    from chuangwen.standards.models import Indicator

    return Indicator.objects.get(content__project__standard=standard, code=code)


@pytest.fixture
def tree_standard(db: Any) -> Any:
    """Standard "M": 2 projects, 3 contents, 6 indicators; all online but 02-01-03 (field only)."""
    from chuangwen.standards.models import Indicator, IndicatorContent, IndicatorProject, Standard

    standard = Standard.objects.create(code="M", version=1, name="测评体系（网上申报测试）")
    projects = {
        code: IndicatorProject.objects.create(standard=standard, code=code, name=name, sort_order=i)
        for i, (code, name) in enumerate(_PROJECTS.items())
    }
    contents = {
        code: IndicatorContent.objects.create(project=projects[project], code=code, name=name, sort_order=i)
        for i, (code, (project, name)) in enumerate(_CONTENTS.items())
    }
    for i, (code, (content, methods, kinds)) in enumerate(_INDICATORS.items()):
        Indicator.objects.create(
            content=contents[content],
            code=code,
            text=f"测评标准 {code}：有制度、有记录、有成效",
            methods=methods,
            points=Decimal("2.00"),
            material_types=kinds,
            window_months=12,
            sort_order=i,
        )
    return standard


@pytest.fixture
def material_period(tree_standard: Any, org: dict[str, Any], users: dict[str, Any]) -> Any:
    """ "2026 年度网上申报", run by the district, test date 2026-12-31, created on ``PERIOD_CREATED_AT``."""
    from chuangwen.materials.models import Period

    with time_machine.travel(PERIOD_CREATED_AT, tick=False):
        return Period.objects.create(
            name="2026 年度网上申报",
            standard=tree_standard,
            owner_unit=org["district"],
            reference_date=date(2026, 12, 31),
            created_by=users["coordinator"],
        )


@pytest.fixture
def material_tasks(material_period: Any, org: dict[str, Any]) -> dict[str, Any]:
    """indicator code → Task for every online indicator (``TASK_PLAN``), made with the ORM directly."""
    from chuangwen.materials.cells import sync_submissions
    from chuangwen.materials.models import Task

    tasks = {}
    for code, (lead, supporters, due) in TASK_PLAN.items():
        task = Task.objects.create(
            period=material_period,
            indicator=indicator_of(material_period.standard, code),
            lead_unit=org[lead],
            due_date=due,
        )
        task.supporting_units.set([org[key] for key in supporters])
        sync_submissions(task)
        tasks[code] = task
    return tasks


@pytest.fixture
def clerks(org: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    """A 信息员 (handler) and a unit head for west, east and dept: "west_clerk", "west_head", … (password
    ``conftest.PASSWORD``). West's head is ``users["west_head"]``: that username is taken by ``users``."""
    made = {}
    for key in ("west", "east", "dept"):
        made[f"{key}_clerk"] = make_user(f"{key}_clerk", "handler", org[key])
        if key == "west":
            made["west_head"] = users["west_head"]
        else:
            made[f"{key}_head"] = make_user(f"{key}_head", "unit_head", org[key])
    return made
