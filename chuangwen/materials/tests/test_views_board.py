"""The review queue (bulk 通过 with its refusals, per-row 退回), the board (per-unit counts equal to the ones
worked out by hand from the fixture; the indicators × units matrix), the leaders' summary and the search."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from chuangwen.materials import services
from chuangwen.materials.board import board_rows, unit_rates
from chuangwen.materials.models import Material, MaterialState
from chuangwen.materials.tests import samples
from conftest import client_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
LATER = datetime(2026, 12, 16, 9, 0, tzinfo=SHANGHAI)  # 01-01-01 (due 15 December) is overdue


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def uploaded(task: Any, clerk: Any, title: str, data: bytes | None = None) -> Material:
    fields = services.clean_fields({"kind": "document", "title": title, "activity_date": date(2026, 6, 1)})
    pdf = data or samples.pdf_bytes(title)
    return services.upload(
        task, clerk, fields, client_ids=[uuid.uuid4()], files=[(f"{title}.pdf", io.BytesIO(pdf))]
    )[0]


@pytest.fixture
def world(material_tasks: Any, clerks: Any, users: Any) -> dict[str, Any]:
    """Six cells. West: 01-01-01 passed after one return (2 submissions, 1 return), 02-01-01 a draft. East:
    01-01-01 nothing (overdue on the 16th), 01-01-02 submitted. Dept: 01-02-01 returned by its head, 02-01-02
    nothing."""
    coordinator = users["coordinator"]
    west = uploaded(material_tasks["01-01-01"], clerks["west_clerk"], "西湖方案")
    for actor, action, comment in (
        (clerks["west_clerk"], "submit", ""),
        (clerks["west_head"], "approve", ""),
        (coordinator, "return", "补充照片"),
        (clerks["west_clerk"], "resubmit", ""),
        (clerks["west_head"], "approve", ""),
        (coordinator, "pass", ""),
    ):
        services.act(west, action, actor, comment=comment)
    uploaded(material_tasks["02-01-01"], clerks["west_clerk"], "西湖草稿")
    east = uploaded(material_tasks["01-01-02"], clerks["east_clerk"], "东城台账")
    services.act(east, "submit", clerks["east_clerk"])
    dept = uploaded(material_tasks["01-02-01"], clerks["dept_clerk"], "城管记录")
    services.act(dept, "submit", clerks["dept_clerk"])
    services.act(dept, "return", clerks["dept_head"], comment="请盖章")
    return {"west": west, "east": east, "dept": dept}


def row_html(html: str, attr: str, value: str) -> str:
    found = re.search(rf'<tr data-{attr}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert found, f"no row {attr}={value}"
    return found.group(1)


def counts(row: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="([a-z_]+)">([^<]*)<', row))


def test_it_counts_the_board_as_worked_out_by_hand(
    world: Any, material_period: Any, users: Any, org: Any
) -> None:
    with time_machine.travel(LATER, tick=False):
        rows = board_rows(material_period, users["coordinator"])
        page = client_for(users["coordinator"]).get(reverse("materials:board", args=[material_period.pk]))
        rates = unit_rates(material_period, [org["district"], org["west"]])
    assert [row.code for row in rows] == ["S01", "D01B01", "S02"]  # most complete first, then by code
    assert page.status_code == 200
    html = page.content.decode()
    assert counts(row_html(html, "unit", "S01")) == {
        "cells": "2", "empty": "0", "in_progress": "1", "awaiting": "0", "returned": "0", "passed": "1",
        "overdue": "0", "completion": "50.0%", "return_rate": "50.0%",
    }  # fmt: skip
    assert counts(row_html(html, "unit", "S02")) == {
        "cells": "2", "empty": "1", "in_progress": "0", "awaiting": "1", "returned": "0", "passed": "0",
        "overdue": "1", "completion": "0.0%", "return_rate": "0.0%",
    }  # fmt: skip
    assert counts(row_html(html, "unit", "D01B01")) == {
        "cells": "2", "empty": "1", "in_progress": "0", "awaiting": "0", "returned": "1", "passed": "0",
        "overdue": "0", "completion": "0.0%", "return_rate": "100.0%",
    }  # fmt: skip
    # the matrix: the district's units as columns, each cell its standing, overdue marked
    matrix = row_html(html, "indicator", "01-01-01")
    assert 'data-unit="S01" data-standing="passed"' in matrix
    assert re.search(
        r'data-unit="S02" data-standing="empty" data-overdue="1"\s+title="东城街道 01-01-01：未报送', matrix
    )
    assert 'data-unit="D01B01">—' in matrix
    assert (rates[org["district"].pk].cells, rates[org["district"].pk].passed) == (6, 1)
    assert rates[org["west"].pk].completion == 0.5 and rates[org["district"].pk].overdue == 1


def test_it_scopes_the_board_to_the_viewers_tasks(
    world: Any, material_period: Any, clerks: Any, org: Any
) -> None:
    html = (
        client_for(clerks["east_clerk"])
        .get(reverse("materials:board", args=[material_period.pk]))
        .content.decode()
    )
    # east sees the two tasks it answers for: its own cells and west's cell of the task it supports
    assert counts(row_html(html, "unit", "S01"))["cells"] == "1"
    assert counts(row_html(html, "unit", "S02"))["cells"] == "2"
    assert 'data-unit="D01B01"' not in html
    # a unit outside the viewer's subtree is not offered as a branch: its own level is shown instead
    other = client_for(clerks["east_clerk"]).get(
        reverse("materials:board", args=[material_period.pk]), {"unit": org["west"].pk}
    )
    assert "指标 × 单位（东城街道）" in other.content.decode()


def test_it_drills_the_matrix_down_a_branch(world: Any, material_period: Any, users: Any, org: Any) -> None:
    client = client_for(users["coordinator"])
    html = client.get(
        reverse("materials:board", args=[material_period.pk]), {"unit": org["west"].pk}
    ).content.decode()
    assert "指标 × 单位（西湖街道）" in html and f'href="?unit={org["district"].pk}"' in html
    assert 'data-indicator="02-01-01"' in html and 'data-indicator="01-02-01"' not in html


def test_it_shows_a_wide_branch_a_group_of_units_at_a_time(
    world: Any, material_period: Any, users: Any, monkeypatch: Any
) -> None:
    from chuangwen.materials.views import review

    monkeypatch.setattr(review, "MATRIX_COLUMNS", 2)  # three units under the district have cells
    client = client_for(users["coordinator"])
    url = reverse("materials:board", args=[material_period.pk])
    first = client.get(url).content.decode()
    matrix = first[first.index('id="board-matrix"') :]
    assert "第 1–2 个单位，共 3 个" in matrix and 'id="matrix-next"' in matrix
    assert 'id="matrix-previous"' not in matrix
    second = client.get(url, {"from": "2"}).content.decode()
    matrix = second[second.index('id="board-matrix"') :]
    assert "第 3–3 个单位，共 3 个" in matrix and 'id="matrix-previous"' in matrix
    assert matrix.count("<th data-unit=") == 1
    assert client.get(url, {"from": "99999999999999999999"}).status_code == 200  # clamped, never an error


def test_it_sums_up_the_period_for_the_office_only(
    world: Any, material_period: Any, users: Any, clerks: Any
) -> None:
    url = reverse("materials:summary", args=[material_period.pk])
    with time_machine.travel(LATER, tick=False):
        page = client_for(users["leader"]).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    figures = dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html))
    assert figures == {
        "completion": "16.7%",
        "awaiting": "1",
        "returned": "1",
        "overdue": "1",
        "without_passed": "4",
    }
    lacking = re.findall(r'<li data-indicator="([0-9-]+)">', html)
    assert lacking == ["01-01-02", "01-02-01", "02-01-01", "02-01-02"]  # by due date
    assert 'data-project="01"' in html and "cw-bar__fill--25" in html  # project 01: 1 of 4 cells passed
    weakest = html[html.index('id="summary-weakest"') : html.index('id="summary-strongest"')]
    assert (
        weakest.index('data-unit="D01B01"')
        < weakest.index('data-unit="S02"')
        < weakest.index('data-unit="S01"')
    )
    assert client_for(clerks["west_head"]).get(url).status_code == 403


def test_it_lets_the_unit_head_approve_in_bulk_and_lists_the_refusals(
    material_tasks: Any, clerks: Any, users: Any, material_period: Any
) -> None:
    task = material_tasks["01-01-01"]
    first, second = (uploaded(task, clerks["west_clerk"], title) for title in ("第一份", "第二份"))
    east = uploaded(task, clerks["east_clerk"], "东城配合")
    for material, clerk in (
        (first, clerks["west_clerk"]),
        (second, clerks["west_clerk"]),
        (east, clerks["east_clerk"]),
    ):
        services.act(material, "submit", clerk)
    url = reverse("materials:review", args=[material_period.pk])
    head = client_for(clerks["west_head"])
    html = head.get(url).content.decode()
    assert f'data-material="{first.pk}"' in html and f'data-material="{east.pk}"' not in html
    answer = head.post(url, {"material": [first.pk, second.pk, east.pk]}, follow=True)
    states = dict(Material.objects.values_list("title", "state"))
    assert states["第一份"] == states["第二份"] == MaterialState.UNIT_APPROVED
    assert states["东城配合"] == MaterialState.SUBMITTED
    text = answer.content.decode()
    assert "已审核通过 2 份材料" in text and f"编号 {east.pk}：材料不在待审核列表中" in text
    coordinator = client_for(users["coordinator"])
    queue = coordinator.get(url).content.decode()
    assert queue.count('name="material"') == 2
    returned = coordinator.post(
        reverse("materials:act", args=[second.pk]), {"action": "return", "comment": "模糊", "next": url}
    )
    assert returned["Location"] == url
    coordinator.post(url, {"material": [first.pk]})
    second.refresh_from_db()
    first.refresh_from_db()
    assert first.state == MaterialState.PASSED and second.state == MaterialState.RETURNED
    assert second.due_date == date(2026, 12, 14)  # the default: five working days
    for user in (users["leader"], clerks["west_clerk"]):
        assert client_for(user).get(url).status_code == 403


def test_it_finds_a_word_inside_a_pdf_and_shows_it_escaped(
    material_tasks: Any, clerks: Any, material_period: Any
) -> None:
    uploaded(
        material_tasks["01-01-01"],
        clerks["west_clerk"],
        "年度总结",
        samples.pdf_bytes("垃圾分类 <示范> 小区"),
    )
    uploaded(material_tasks["02-01-01"], clerks["west_clerk"], "其他材料", samples.pdf_bytes("无关内容"))
    url = reverse("materials:search", args=[material_period.pk])
    html = client_for(clerks["west_clerk"]).get(url, {"q": "垃圾分类"}).content.decode()
    assert "找到 1 份材料" in html and "年度总结" in html and "其他材料" not in html
    assert "文件内容：" in html and "<mark>垃圾分类</mark>" in html and "&lt;示范&gt;" in html
    assert f'href="{reverse("materials:task", args=[material_tasks["01-01-01"].pk])}"' in html
    # east sees the task it supports, not west's own one
    east = client_for(clerks["east_clerk"])
    assert "找到 1 份材料" in east.get(url, {"q": "垃圾分类"}).content.decode()
    nothing = east.get(url, {"q": "无关"}).content.decode()
    assert "没有找到包含该关键词的材料" in nothing and "其他材料" not in nothing
    too_long = client_for(clerks["west_clerk"]).get(url, {"q": "字" * 101})
    assert too_long.status_code == 200 and 'id="search-results"' not in too_long.content.decode()
