"""API of the hotline import and of instructions: results, structured errors, 403/404, no path clashes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chuangwen.cases.models import Case, CaseState, Instruction
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.test_hotline import (
    MAPPING,
    ROW_A,
    ROW_B,
    _after_the_orders,  # noqa: F401  (autouse: a clock after the orders)
    csv_bytes,
)
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cases"


def post_file(client, data: bytes, mapping=MAPPING, **extra):
    body = {"file": SimpleUploadedFile("12345.csv", data), "mapping": json.dumps(mapping, ensure_ascii=False)}
    return client.post(f"{BASE}/hotline", {**body, **extra})


def later(days: int = 2) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def test_it_imports_and_then_skips(people, org):
    client = client_for(people["coordinator"])
    first = post_file(client, csv_bytes([ROW_A, ROW_B]))
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 2 and first.json()["skipped"] == 0 and len(first.json()["codes"]) == 2
    again = post_file(client, csv_bytes([ROW_A])).json()
    assert again["created"] == 0 and again["skipped_rows"] == [{"row": 2, "external_ref": "GD001"}]
    assert Case.objects.count() == 2


def test_it_returns_structured_row_errors(people, org):
    bad = ["GD009", "2026-11-02 10:00", "乱扔垃圾", "", "", "", "NOPE", ""]
    response = post_file(client_for(people["coordinator"]), csv_bytes([ROW_A, bad]))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["errors"][0] == {
        "row": 3, "column": "责任单位", "value": "NOPE", "message": body["errors"][0]["message"]
    }  # fmt: skip
    assert "管辖范围" in body["errors"][0]["message"] and not Case.objects.exists()
    broken = post_file(client_for(people["coordinator"]), csv_bytes([ROW_A]), mapping="x")
    assert broken.status_code == 400  # a mapping that is not an object
    text = post_file(client_for(people["coordinator"]), csv_bytes([ROW_A]), mapping=["x"])
    assert text.status_code == 400 and text.json()["errors"][0]["column"] == "mapping"


def test_it_forbids_the_import_to_others(people):
    response = post_file(client_for(people["west_handler"]), csv_bytes([ROW_A]))
    assert response.status_code == 403 and response.json()["code"] == "refused"
    assert not Case.objects.exists()


def test_it_instructs_and_lists_instructions_in_the_detail(people, org):
    case = make_case(CaseState.DISPATCHED, org["west"])
    client = client_for(people["leader"])
    url = f"{BASE}/{case.pk}/instructions"
    response = client.post(url, {"text": "限期办结", "deadline": later()}, content_type="application/json")
    assert response.status_code == 200 and response.json()[0]["text"] == "限期办结"
    detail = client.get(f"{BASE}/{case.pk}").json()
    assert (
        detail["instructions"][0]["issued_by"] == "leader" and detail["instructions"][0]["overdue"] is False
    )
    assert detail["events"][-1]["action_name"] == "督办"
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    bad = client.post(url, {"text": "再催", "deadline": past}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "deadline"


def test_it_refuses_a_deadline_whose_offset_no_place_has(people, org):
    """Found by the API contract test on PostgreSQL: an offset of -19:06 is a valid Python time, but
    PostgreSQL refuses offsets beyond ±15:59 and the write answered 500. Offsets beyond ±14:00 are refused
    (422 naming the field) on every database; the schema's pattern says so too."""
    case = make_case(CaseState.DISPATCHED, org["west"])
    client = client_for(people["leader"])
    url = f"{BASE}/{case.pk}/instructions"
    deadline = (timezone.now() + timedelta(days=30)).replace(microsecond=0).isoformat()[:19]
    for offset in ("-19:06", "+15:00"):
        bad = client.post(
            url, {"text": "限期办结", "deadline": deadline + offset}, content_type="application/json"
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "deadline", bad.content
    assert not Instruction.objects.exists()
    fine = client.post(
        url, {"text": "限期办结", "deadline": deadline + "+14:00"}, content_type="application/json"
    )
    assert fine.status_code == 200


def test_it_answers_404_and_403_for_instructions(people, org):
    case = make_case(CaseState.DISPATCHED, org["west"])
    body = {"text": "x", "deadline": later()}
    east_leader = make_user("east_leader", "leader", org["east"])
    url = f"{BASE}/{case.pk}/instructions"
    assert client_for(east_leader).post(url, body, content_type="application/json").status_code == 404
    refused = client_for(people["west_head"]).post(url, body, content_type="application/json")
    assert refused.status_code == 403 and not Instruction.objects.exists()


def test_it_opens_an_instruction_case(people, org, sites):
    client = client_for(people["coordinator"])
    body = {"title": "背街小巷积水", "unit_id": org["east"].pk, "site_id": sites["east_estate"].pk}
    response = client.post(
        f"{BASE}/instructions", {**body, "deadline": later(5)}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert (
        out["source"] == "instruction"
        and out["state"] == "dispatched"
        and out["unit"]["id"] == org["east"].pk
    )
    assert len(out["instructions"]) == 1
    east_coord = make_user("east_coord", "coordinator", org["east"])
    body = {"title": "x", "unit_id": org["west"].pk, "deadline": later()}
    refused = client_for(east_coord).post(f"{BASE}/instructions", body, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "unit_id"
    handler = client_for(people["west_handler"]).post(
        f"{BASE}/instructions", body, content_type="application/json"
    )
    assert handler.status_code == 403 and Case.objects.count() == 1


def test_it_keeps_literal_paths_apart_from_case_ids(people, org):
    case = make_case(CaseState.DISPATCHED, org["west"])
    client = client_for(people["coordinator"])
    assert client.get(f"{BASE}/{case.pk}").json()["id"] == case.pk
    assert client.get(f"{BASE}/hotline").status_code in (404, 405)
    assert client.get(f"{BASE}/instructions").status_code in (404, 405)
    assert client.post(f"{BASE}/hotline", {}).status_code in (400, 422)  # reaches the import, not a case
