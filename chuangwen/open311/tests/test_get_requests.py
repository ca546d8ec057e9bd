"""GET requests (the spec's filters and volume), GET requests/{id}, GET tokens/{token}; status mapping, the
extension field, and no personal data in any answer."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.open311.tests.open311_fixtures import (  # noqa: F401
    BASE,
    EAST,
    REQUEST_FIELDS,
    WEST,
    body,
    categories,
    errors,
    integration,
    post,
    submit,
)
from chuangwen.reports import triage as report_triage
from chuangwen.reports.models import CitizenReport

W3 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def ids(response: Any) -> list[int]:
    parsed = body(response)
    if isinstance(parsed, list):
        return [item["service_request_id"] for item in parsed]
    return [int(r.findtext("service_request_id") or 0) for r in parsed.findall("request")]


def age(report: CitizenReport, days: float) -> None:
    CitizenReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_it_gives_one_request_with_exactly_the_spec_fields(
    client: Client,
    categories: Any,  # noqa: F811
) -> None:
    report = submit(categories["garbage"], address="柳浪社区北门")
    item = body(client.get(f"{BASE}/requests/{report.pk}.json"))
    assert isinstance(item, list) and len(item) == 1
    [item] = item
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == report.pk
    assert item["status"] == "open"
    assert item["service_code"] == "garbage"
    assert item["service_name"] == "垃圾堆放"
    assert item["description"] == "小区门口垃圾堆放多日无人清理"
    assert item["address"] == "柳浪社区北门"
    assert (item["lat"], item["long"]) == WEST
    assert item["agency_responsible"] is None  # not routed yet
    assert item["expected_datetime"] is None
    assert W3.match(item["requested_datetime"]) and W3.match(item["updated_datetime"])
    assert item["requested_datetime"].endswith("+08:00")
    assert item["media_url"] is None
    assert "extended_attributes" not in item  # only when asked for (the extensions convention)

    root = body(client.get(f"{BASE}/requests/{report.pk}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == REQUEST_FIELDS
    assert request.findtext("status") == "open"
    assert float(request.findtext("lat") or 0) == WEST[0]
    assert float(request.findtext("long") or 0) == WEST[1]
    assert request.findtext("agency_responsible") == ""


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_answers_404_for_an_unknown_request(client: Client, categories: Any, fmt: str) -> None:  # noqa: F811
    response = client.get(f"{BASE}/requests/999999.{fmt}")
    assert (response.status_code, errors(response)) == (404, [(404, "service_request_id not found: 999999")])
    assert client.get(f"{BASE}/requests/abc.{fmt}").status_code == 404


def test_it_maps_the_case_states_to_open_and_closed_with_notes_agency_and_our_state(
    client: Client,
    categories: Any,  # noqa: F811
    users: dict[str, Any],
    org: dict[str, Any],
) -> None:
    coordinator = users["coordinator"]
    routed = submit(categories["garbage"])
    report_triage.accept_report(routed, coordinator, org["west"])
    rejected = submit(categories["parking"], EAST, description="门口停满了电动车堵住通道")
    report_triage.reject_report(rejected, coordinator, "该处为小区内部道路，请联系物业")

    response = client.get(f"{BASE}/requests/{routed.pk}.json", {"extensions": "true"})
    [item] = body(response)
    assert item["status"] == "open"
    assert item["agency_responsible"] == "西湖街道"
    assert W3.match(item["expected_datetime"])  # the case's deadline
    assert item["extended_attributes"] == {
        "chuangwen_state": "dispatched",
        "chuangwen_state_label": "已派遣",
        "chuangwen_public_status": "accepted",
        "channel": "web",
    }
    [item] = body(client.get(f"{BASE}/requests/{rejected.pk}.json", {"extensions": "true"}))
    assert item["status"] == "closed"
    assert item["status_notes"] == "该处为小区内部道路，请联系物业"
    assert item["expected_datetime"] is None
    assert item["extended_attributes"]["chuangwen_state"] == "rejected"

    root = body(client.get(f"{BASE}/requests.xml", {"extensions": "true", "status": "closed"}))
    [request] = root.findall("request")
    assert request.findtext("status_notes") == "该处为小区内部道路，请联系物业"
    assert request.findtext("extended_attributes/chuangwen_state") == "rejected"


@pytest.mark.parametrize(
    "state",
    ["new", "dispatched", "accepted", "returned", "rectified", "rework", "suspended"],
)
def test_it_calls_every_open_case_state_open(client: Client, categories: Any, state: str) -> None:  # noqa: F811
    report = submit(categories["garbage"])
    Case.objects.filter(pk=report.case_id).update(state=state)
    assert body(client.get(f"{BASE}/requests/{report.pk}.json"))[0]["status"] == "open"
    assert ids(client.get(f"{BASE}/requests.json", {"status": "open"})) == [report.pk]


@pytest.mark.parametrize("state", ["closed", "rejected", "duplicate", "cancelled"])
def test_it_calls_every_final_case_state_closed(client: Client, categories: Any, state: str) -> None:  # noqa: F811
    report = submit(categories["garbage"])
    closed_at = timezone.now() if state == "closed" else None
    Case.objects.filter(pk=report.case_id).update(state=state, closed_at=closed_at)
    assert body(client.get(f"{BASE}/requests/{report.pk}.json"))[0]["status"] == "closed"
    assert ids(client.get(f"{BASE}/requests.json", {"status": "closed"})) == [report.pk]
    assert ids(client.get(f"{BASE}/requests.json", {"status": "open"})) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_filters_by_status_service_code_and_dates(
    client: Client,
    categories: Any,  # noqa: F811
    users: dict[str, Any],
    fmt: str,
) -> None:
    garbage = submit(categories["garbage"])
    parking = submit(categories["parking"], EAST, description="门口停满了电动车堵住通道")
    lights = submit(categories["streetlight"], description="路灯不亮已经一周了")
    age(garbage, 10)
    age(parking, 40)
    report_triage.reject_report(lights, users["coordinator"], "已有同类工单")
    url = f"{BASE}/requests.{fmt}"

    assert ids(client.get(url)) == [lights.pk, garbage.pk, parking.pk]  # newest first
    assert ids(client.get(url, {"status": "open"})) == [garbage.pk, parking.pk]
    assert ids(client.get(url, {"status": "closed"})) == [lights.pk]
    assert ids(client.get(url, {"status": "open,closed"})) == [lights.pk, garbage.pk, parking.pk]
    assert ids(client.get(url, {"service_code": "parking"})) == [parking.pk]
    assert ids(client.get(url, {"service_code": "parking,garbage"})) == [garbage.pk, parking.pk]
    assert ids(client.get(url, {"service_code": "potholes"})) == []
    since = (timezone.now() - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (timezone.now() - timedelta(days=5)).isoformat(timespec="seconds")
    assert ids(client.get(url, {"start_date": since})) == [lights.pk, garbage.pk]
    assert ids(client.get(url, {"end_date": until})) == [garbage.pk, parking.pk]
    assert ids(client.get(url, {"start_date": since, "end_date": until})) == [garbage.pk]
    assert ids(client.get(url, {"start_date": since, "status": "closed"})) == [lights.pk]


def test_it_defaults_to_the_last_90_days(client: Client, categories: Any) -> None:  # noqa: F811
    recent = submit(categories["garbage"])
    old = submit(categories["garbage"], description="九十多天前的垃圾堆放问题")
    age(recent, 89)
    age(old, 91)
    assert ids(client.get(f"{BASE}/requests.json")) == [recent.pk]
    start = (timezone.now() - timedelta(days=100)).isoformat(timespec="seconds")
    assert ids(client.get(f"{BASE}/requests.json", {"start_date": start})) == [recent.pk, old.pk]


def test_it_lets_a_list_of_ids_override_every_other_argument(client: Client, categories: Any) -> None:  # noqa: F811
    first = submit(categories["garbage"])
    second = submit(categories["parking"], description="门口停满了电动车堵住通道")
    third = submit(categories["garbage"], description="另一处垃圾堆放无人清理")
    age(first, 200)
    query = {
        "service_request_id": f"{first.pk},{second.pk},424242,x",
        "service_code": "streetlight",
        "status": "closed",
        "start_date": "2010-01-01T00:00:00Z",
        "end_date": "2010-01-02T00:00:00Z",
    }
    assert sorted(ids(client.get(f"{BASE}/requests.json", query))) == sorted([first.pk, second.pk])
    assert third.pk not in ids(client.get(f"{BASE}/requests.xml", query))


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({"status": "pending"}, "status must be open or closed"),
        ({"start_date": "yesterday"}, "start_date must use the w3 format, eg 2010-01-01T00:00:00Z"),
        ({"end_date": "2026-01-01T10:00:00"}, "end_date must include the time zone (Z or ±hh:mm)"),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            "start_date and end_date may not span more than 90 days",
        ),
        (
            {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            "end_date is before start_date",
        ),
        ({"page_size": "1001"}, "page must be 1 or more, page_size 1 to 1000"),
    ],
)
def test_it_answers_400_for_a_bad_filter(client: Client, categories: Any, query: Any, text: str) -> None:  # noqa: F811
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", query)
        assert (response.status_code, errors(response)) == (400, [(400, text)])


def test_it_returns_at_most_1000_requests_and_pages_on(client: Client, categories: Any) -> None:  # noqa: F811
    category = categories["garbage"]
    now = timezone.now()
    cases = Case.objects.bulk_create(
        Case(code=f"AJ20260101-{i:04d}", source=CaseSource.CITIZEN, state=CaseState.NEW, title="垃圾堆放")
        for i in range(1001)
    )
    CitizenReport.objects.bulk_create(
        CitizenReport(
            tracking_code=f"SPT{i:05d}",
            case=case,
            category=category,
            description="垃圾堆放无人清理",
            lat=WEST[0],
            lng=WEST[1],
            client_id=uuid.uuid4(),
            created_at=now - timedelta(minutes=i),
        )
        for i, case in enumerate(cases)
    )
    first = ids(client.get(f"{BASE}/requests.json"))
    assert len(first) == 1000
    newest = CitizenReport.objects.order_by("-created_at", "-pk")
    assert first == list(newest.values_list("pk", flat=True)[:1000])
    # The pagination extension (page, page_size) reaches the rest.
    assert ids(client.get(f"{BASE}/requests.json", {"page": "2"})) == [newest.last().pk]  # type: ignore[union-attr]
    assert len(ids(client.get(f"{BASE}/requests.xml", {"page_size": "10", "page": "3"}))) == 10


def test_it_never_shows_personal_data(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    submit(categories["garbage"], phone="13900001111")
    post(
        client,
        integration[1],
        phone="13812345678",
        email="li.lei@example.com",
        first_name="雷雷",
        last_name="李",
        device_id="device-0042",
        account_id="acct-9",
        client_id="HL-1",
    )
    outputs = []
    for fmt in ("json", "xml"):
        outputs.append(client.get(f"{BASE}/requests.{fmt}", {"extensions": "true"}).content.decode())
        for report in CitizenReport.objects.all():
            outputs.append(client.get(f"{BASE}/requests/{report.pk}.{fmt}").content.decode())
    text = "\n".join(outputs)
    for secret in ["13900001111", "13812345678", "1111", "5678", "li.lei", "雷雷", "device-0042", "acct-9"]:
        assert secret not in text
    assert "HL-1" not in text  # nor the integrator's own identifiers
    for report in CitizenReport.objects.all():  # the tracking code is the citizen's own way in
        assert report.tracking_code not in text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_maps_a_token_to_its_request(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
    fmt: str,
) -> None:
    token = str(uuid.uuid4())
    response = post(client, integration[1], client_id=token)
    request_id = body(response)[0]["service_request_id"]
    found = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert found.status_code == 200
    parsed = body(found)
    if fmt == "json":
        assert parsed == [{"service_request_id": request_id, "token": token}]
    else:
        assert parsed.tag == "service_requests"
        [request] = parsed.findall("request")
        assert [(c.tag, c.text) for c in request] == [
            ("service_request_id", str(request_id)),
            ("token", token),
        ]

    missing = client.get(f"{BASE}/tokens/{uuid.uuid4()}.{fmt}")
    assert missing.status_code == 404
    assert errors(missing)[0][0] == 404
    assert client.get(f"{BASE}/tokens/not-a-token.{fmt}").status_code == 404
    # A web report's client id is no token: tokens are what integrations sent.
    web = submit(categories["garbage"], description="网页上报的垃圾堆放问题")
    assert client.get(f"{BASE}/tokens/{web.client_id}.{fmt}").status_code == 404


def test_it_lists_no_case_that_is_not_a_citizen_report(
    client: Client,
    categories: Any,  # noqa: F811
) -> None:
    Case.objects.create(
        code="AJ20260101-9999", source=CaseSource.FINDING, state=CaseState.NEW, title="测评发现"
    )
    Case.objects.create(code="AJ20260101-9998", source=CaseSource.HOTLINE, state=CaseState.NEW, title="热线")
    assert ids(client.get(f"{BASE}/requests.json")) == []


def test_it_writes_well_formed_xml_whatever_the_citizen_typed(client: Client, categories: Any) -> None:  # noqa: F811
    report = submit(categories["garbage"], description='垃圾 <堆放> & "脏乱"\x07 在门口')
    root = body(client.get(f"{BASE}/requests/{report.pk}.xml"))
    assert root.findtext("request/description") == '垃圾 <堆放> & "脏乱" 在门口'
    assert body(client.get(f"{BASE}/requests/{report.pk}.json"))[0]["description"] == report.description
