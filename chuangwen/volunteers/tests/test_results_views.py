"""The staff results page, its .xlsx exports (results, volunteers, service records, teams in the national
volunteer information system's layout) and GET /api/v1/volunteers/results: scoped to the viewer's
subtree (another street's unit is 404), roles coordinator, leader, unit head and handler (others 403),
exports audited."""

from __future__ import annotations

import io
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers.tests.fixtures import id_number
from chuangwen.volunteers.tests.fixtures_results import NOW, build_month
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
PAGE = "/volunteers/results/"
API = "/api/v1/volunteers/results"


@pytest.fixture
def month(org: Any, users: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        yield build_month(org, users)


def _sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _export(user: Any, kind: str, unit: Any, month: str = "2026-12") -> Any:
    url = reverse("volunteers:results_export", args=[kind])
    return client_for(user).get(url, {"unit": unit.pk, "month": month})


def test_it_shows_the_months_table_per_child_unit(month: Any, org: Any, users: Any) -> None:
    html = client_for(users["coordinator"]).get(PAGE, {"month": "2026-12"}).content.decode()
    assert "文明区 · 志愿服务成效（2026-12）" in html
    assert f'<tr data-unit="{org["west"].pk}">' in html and 'data-hours="3.0"' in html
    assert 'data-resident-hours="4.0"' in html and 'data-share="0.1000"' in html and "10.00%" in html
    assert 'data-rating="4.50"' in html and 'data-total="yes"' in html and "文明区（合计）" in html
    for kind in ("results", "volunteers", "records", "teams"):
        assert f'id="export-{kind}"' in html


def test_it_defaults_to_this_month_and_the_users_unit(month: Any, org: Any, users: Any) -> None:
    html = client_for(users["west_head"]).get(PAGE).content.decode()
    assert "西湖街道 · 志愿服务成效（2026-12）" in html and f'data-unit="{org["west_c"].pk}"' in html
    refused = client_for(users["west_head"]).get(PAGE, {"month": "2026-13"}).content.decode()
    assert 'id="results-problem"' in refused and "（2026-12）" in refused
    far = client_for(users["west_head"]).get(PAGE, {"month": "9999-01"}).content.decode()
    assert 'id="results-problem"' in far


def test_it_says_so_when_there_is_no_data(month: Any, org: Any, users: Any) -> None:
    html = client_for(users["coordinator"]).get(PAGE, {"unit": org["dept"].pk}).content.decode()
    assert 'id="results-empty"' in html and "没有志愿服务数据" in html and 'id="results-table"' not in html


def test_another_streets_user_sees_nothing_of_this_street(month: Any, org: Any, users: Any) -> None:
    east = users["east_handler"]
    assert client_for(east).get(PAGE, {"unit": org["west"].pk}).status_code == 404
    assert client_for(east).get(PAGE, {"unit": "99999999999999999999999"}).status_code == 404
    for kind in ("results", "volunteers", "records", "teams"):
        assert _export(east, kind, org["west"]).status_code == 404
    response = client_for(east).get(API, {"unit": org["west"].pk})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    own = client_for(east).get(API).json()
    assert own["unit"]["id"] == org["east"].pk and own["total"]["registered"] == 1


def test_other_roles_are_refused(month: Any, org: Any, users: Any) -> None:
    volunteer_user = month["volunteers"][0].user
    for user in (users["inspector"], users["verifier"], users["admin"], volunteer_user):
        assert client_for(user).get(PAGE).status_code == 403
        assert _export(user, "results", org["district"]).status_code == 403
        assert client_for(user).get(API).status_code == 403
    assert client_for(users["leader"]).get(PAGE).status_code == 200


def test_the_api_answers_the_per_child_unit_figures(month: Any, org: Any, users: Any) -> None:
    body = client_for(users["coordinator"]).get(API, {"unit": org["district"].pk, "month": "2026-12"}).json()
    assert body["period"] == "2026-12" and body["unit"]["id"] == org["district"].pk
    rows = {row["unit_id"]: row for row in body["rows"]}
    west, east = rows[org["west"].pk], rows[org["east"].pk]
    assert (west["minutes"], west["resident_minutes"], west["activities"], west["registered"]) == (
        180,
        240,
        1,
        3,
    )
    assert (west["population"], float(west["share"]), west["active"]) == (30, 0.1, 2)
    assert (west["requests_done"], float(west["mean_rating"])) == (2, 4.5)
    assert east["share"] is None and east["population"] is None and east["mean_rating"] is None
    november = client_for(users["coordinator"]).get(API, {"month": "2026-11"}).json()
    assert november["total"]["minutes"] == 90
    for bad in ("2026-13", "9999-01", "abc"):
        assert client_for(users["coordinator"]).get(API, {"month": bad}).status_code == 422, bad
    assert client_for(users["coordinator"]).get(API, {"unit": "-1"}).status_code == 422


def test_the_results_export(month: Any, org: Any, users: Any) -> None:
    rows = _sheet(_export(users["coordinator"], "results", org["district"]))
    assert rows[0][:4] == ["单位编码", "单位", "组织服务时长（小时）", "本单位志愿者服务时长（小时）"]
    west = next(row for row in rows if row[0] == "S01")
    assert west[1:] == ["西湖街道", 3, 4, 1, 3, 30, 0.1, 2, 2, 4.5]
    assert rows[-1][1] == "文明区（合计）" and rows[-1][5] == 4
    entry = AuditEntry.objects.filter(action="volunteer.results_export").latest("pk")
    assert entry.detail["table"] == "results" and entry.detail["month"] == "2026-12"


def test_the_volunteers_export_masks_the_phone_except_for_coordinators(
    month: Any, org: Any, users: Any
) -> None:
    header, *rows = _sheet(_export(users["west_head"], "volunteers", org["west"]))
    assert header == [
        "志愿者编号", "姓名", "性别", "出生年份", "身份证号（后四位）", "手机号", "所在社区", "注册时间",
        "累计服务时长（小时）", "星级", "所属队伍",
    ]  # fmt: skip
    v2 = month["volunteers"][1]
    line = next(row for row in rows if row[0] == v2.number)
    assert line[1:4] == ["志愿者2", "女", 1990]
    assert line[4] == v2.id_last4 and len(line[4]) == 4
    assert line[5] == "138****0002" and line[6] == "柳浪社区" and line[7] == "2026-11-01 09:00"
    assert line[8] == 2 and line[9] == 0 and line[10] == "东城街道志愿服务队、西湖街道志愿服务队"
    assert len(rows) == 3  # v1 v2 v3; v5 left, v4 lives in the east
    assert id_number(2) not in [str(cell) for cell in line]  # the ID number never leaves, only its last four
    full = _sheet(_export(users["coordinator"], "volunteers", org["west"]))
    assert next(row for row in full if row[0] == v2.number)[5] == "13800000002"
    entries = AuditEntry.objects.filter(action="volunteer.results_export").order_by("pk")
    assert [e.detail["phone"] for e in entries] == ["masked", "full"]


def test_the_service_records_export(month: Any, org: Any, users: Any) -> None:
    header, *rows = _sheet(_export(users["coordinator"], "records", org["west"]))
    assert header == [
        "志愿者编号", "姓名", "活动名称", "组织队伍", "服务开始时间", "服务结束时间", "服务时长（小时）",
        "记录时间", "记录人",
    ]  # fmt: skip
    assert len(rows) == 2  # A's two confirmed records (C is the east team's, B is November's)
    v2 = month["volunteers"][1]
    line = next(row for row in rows if row[0] == v2.number)
    assert line[1:] == [
        "志愿者2", "路口文明劝导", "西湖街道志愿服务队", "2026-12-05 09:30", "2026-12-05 10:30", 1,
        "2026-12-05 12:00", "coord",
    ]  # fmt: skip


def test_the_teams_export(month: Any, org: Any, users: Any) -> None:
    header, *rows = _sheet(_export(users["coordinator"], "teams", org["district"]))
    assert header == ["队伍编号", "队伍名称", "队伍类型", "所属单位", "成立时间", "成员数", "管理员"]
    west = next(row for row in rows if row[0] == "T-W-1")
    assert west[1:4] == ["西湖街道志愿服务队", "单位志愿服务队", "西湖街道"]
    assert west[5:] == [2, "west_head"]
    assert [row[0] for row in _sheet(_export(users["west_head"], "teams", org["west"]))[1:]] == ["T-W-1"]


def test_an_unknown_export_is_not_found_and_a_user_without_unit_is_refused(
    month: Any, org: Any, users: Any
) -> None:
    assert _export(users["coordinator"], "people", org["district"]).status_code == 404
    assert client_for(make_user("nobody", "handler", None)).get(PAGE).status_code == 403
