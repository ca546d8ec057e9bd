"""Spreadsheet exports of the dispatch board's lights and of the disputes: formats, escaping, audit, scope."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.cases import services
from chuangwen.cases.models import Case, CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.org.models import Unit
from chuangwen.rounds.tests.round_fixtures import round_standard  # noqa: F401  (fixture)
from chuangwen.standards.models import CheckItem
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
S = CaseState
REFUSED_ROLES = ("west_handler", "west_head", "verifier", "inspector")


def csv_rows(response: Any) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def xlsx_rows(response: Any) -> tuple[str, list[tuple[Any, ...]]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet.title, list(sheet.iter_rows(values_only=True))


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("seq")


@pytest.fixture
def lit(org):
    """East: two red cases; west: one green case, another in its community; a closed case counts nowhere."""
    now = timezone.now()
    past = {"opened_at": now - timedelta(days=30), "deadline": now - timedelta(days=1)}
    for _ in range(2):
        make_case(S.DISPATCHED, org["east"], **past)
    for unit in (org["west"], org["west_c"]):
        make_case(S.ACCEPTED, unit, deadline=now + timedelta(days=60))
    make_case(S.CLOSED, org["west"], **past)


def test_it_exports_the_board_lights_as_csv_with_an_audit_entry(people, org, lit):
    response = client_for(people["coordinator"]).get(reverse("cases:board_export", args=["csv"]))
    assert response.status_code == 200
    assert 'filename="board-lights-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["责任单位", "单位编码", "绿灯（正常）", "黄灯（临期）", "红灯（超期）", "在办合计"]
    assert rows[1:] == [
        ["东城街道", "S02", "0", "0", "2", "2"],
        ["西湖街道", "S01", "2", "0", "0", "2"],
        ["柳浪社区", "S01C01", "1", "0", "0", "1"],
    ]
    entry = last_audit("case.export_board")
    assert entry.actor == people["coordinator"] and entry.detail == {"format": "csv", "rows": 3}


def test_it_exports_the_board_lights_as_xlsx_for_a_leader(people, org, lit):
    response = client_for(people["leader"]).get(reverse("cases:board_export", args=["xlsx"]))
    title, rows = xlsx_rows(response)
    assert title == "红黄绿灯"
    assert rows[0][0] == "责任单位" and rows[1] == ("东城街道", "S02", 0, 0, 2, 2)
    entry = last_audit("case.export_board")
    assert entry.actor == people["leader"] and entry.detail == {"format": "xlsx", "rows": 3}


def test_it_escapes_a_unit_name_that_looks_like_a_formula(people, org, lit):
    Unit.objects.filter(pk=org["east"].pk).update(name='=HYPERLINK("http://evil.example","x")')
    client = client_for(people["coordinator"])
    rows = csv_rows(client.get(reverse("cases:board_export", args=["csv"])))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    # In xlsx the text is kept as typed, in a string cell (never a formula): see chuangwen.core.xlsx.
    response = client.get(reverse("cases:board_export", args=["xlsx"]))
    cell = load_workbook(io.BytesIO(response.content)).active["A2"]
    assert cell.value == '=HYPERLINK("http://evil.example","x")' and cell.data_type == "s"


def test_it_keeps_a_street_coordinator_to_his_streets_rows(org, lit):
    west_coord = make_user("west_coord", "coordinator", org["west"])
    rows = csv_rows(client_for(west_coord).get(reverse("cases:board_export", args=["csv"])))
    assert [row[0] for row in rows[1:]] == ["西湖街道", "柳浪社区"]


def test_it_refuses_the_exports_to_other_roles_and_unknown_formats(people, lit):
    for role in REFUSED_ROLES:
        client = client_for(people[role])
        for name in ("cases:board_export", "cases:disputes_export"):
            assert client.get(reverse(name, args=["csv"])).status_code == 403
    assert not AuditEntry.objects.filter(action__in=["case.export_board", "case.export_disputes"]).exists()
    client = client_for(people["coordinator"])
    assert client.get(reverse("cases:board_export", args=["pdf"])).status_code == 404
    assert client.get(reverse("cases:disputes_export", args=["pdf"])).status_code == 404


def test_it_links_the_exports_from_the_pages(people, lit):
    client = client_for(people["coordinator"])
    board = client.get(reverse("cases:board")).content.decode()
    assert f'href="{reverse("cases:board_export", args=["csv"])}"' in board
    assert f'href="{reverse("cases:board_export", args=["xlsx"])}"' in board
    page = client.get(reverse("cases:disputes") + "?min=1").content.decode()
    assert f'href="{reverse("cases:disputes_export", args=["xlsx"])}?min=1"' in page
    assert "导出 CSV" in page and "导出 Excel" in page


def bounce(case: Case, coordinator: Any, hops: list[tuple[Any, Any, Any]]) -> Case:
    """Dispatch the case to each (unit, handler, head) in turn; every unit but the last returns it."""
    action = "triage_accept"
    for i, (unit, handler, head) in enumerate(hops):
        services.apply(case, action, coordinator, unit=unit, reason="改派")
        if i == len(hops) - 1:
            break
        services.apply(case, "request_return", handler, reason="不属于本单位职责")
        services.apply(case, "approve_return", head)
        action = "redispatch"
    return case


@pytest.fixture
def history(people, org, item):
    """Two west cases bouncing west → east → west (one with a check item), one east case east → dept."""
    west = (org["west"], people["west_handler"], people["west_head"])
    east = (org["east"], people["east_handler"], people["east_head"])
    dept = (org["dept"], people["dept_handler"], make_user("dept_head", "unit_head", org["dept"]))
    coord = people["coordinator"]
    west_cases = [
        bounce(make_case(S.NEW, org["west"], area=org["west_c"], **extra), coord, [west, east, west])
        for extra in ({"check_item": item}, {})
    ]
    east_case = bounce(make_case(S.NEW, org["east"], area=org["east_c"]), coord, [east, dept])
    return west_cases, east_case


@pytest.fixture
def item(round_standard):  # noqa: F811
    return CheckItem.objects.get(site_type__standard=round_standard, code="ZD-03")


def test_it_exports_the_dispute_pairs_as_csv_honouring_min(people, history):
    west_cases, east_case = history
    client = client_for(people["coordinator"])
    response = client.get(reverse("cases:disputes_export", args=["csv"]))
    assert 'filename="disputes-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["单位甲", "单位乙", "往返案卷数", "涉及测评指标", "案卷编号"]
    assert len(rows) == 2
    assert {rows[1][0], rows[1][1]} == {"西湖街道", "东城街道"} and rows[1][2] == "2"
    assert rows[1][3].startswith("ZD-03 ")
    assert rows[1][4] == "、".join(sorted(case.code for case in west_cases))
    assert last_audit("case.export_disputes").detail == {"format": "csv", "rows": 1, "min": 2}
    rows = csv_rows(client.get(reverse("cases:disputes_export", args=["csv"]) + "?min=1"))
    assert len(rows) == 3 and rows[2][4] == east_case.code
    assert last_audit("case.export_disputes").detail == {"format": "csv", "rows": 2, "min": 1}


def test_it_exports_the_dispute_pairs_as_xlsx_with_escaped_names(people, org, history):
    Unit.objects.filter(pk=org["dept"].pk).update(name="+区城管局")
    response = client_for(people["leader"]).get(reverse("cases:disputes_export", args=["xlsx"]) + "?min=1")
    title, rows = xlsx_rows(response)
    assert title == "推诿分析" and rows[0][2] == "往返案卷数"
    assert rows[1][2] == 2 and rows[2][2] == 1
    assert "+区城管局" in rows[2][:2]  # kept as typed, as a quote-prefixed string cell
    cells = load_workbook(io.BytesIO(response.content)).active[3][:2]
    assert [(c.data_type, c.quotePrefix) for c in cells if c.value == "+区城管局"] == [("s", True)]
    entry = last_audit("case.export_disputes")
    assert entry.actor == people["leader"] and entry.detail == {"format": "xlsx", "rows": 2, "min": 1}


def test_it_keeps_a_street_coordinator_to_his_disputes(org, history):
    east_coord = make_user("east_coord", "coordinator", org["east"])
    url = reverse("cases:disputes_export", args=["csv"]) + "?min=1"
    rows = csv_rows(client_for(east_coord).get(url))
    assert [set(row[:2]) for row in rows[1:]] == [{"东城街道", "区城管局"}]


def test_it_still_escapes_a_formula_title_in_the_worklist_export(people, org):
    case = make_case(S.DISPATCHED, org["east"])
    Case.objects.filter(pk=case.pk).update(title="=1+2")
    client = client_for(people["coordinator"])
    rows = csv_rows(client.get(reverse("cases:export", args=["csv"])))
    assert rows[1][0] == case.code and rows[1][1] == "'=1+2"
    cell = load_workbook(io.BytesIO(client.get(reverse("cases:export", args=["xlsx"])).content)).active["B2"]
    assert cell.value == "=1+2" and cell.data_type == "s"
    assert last_audit("case.export").detail["format"] == "xlsx"
