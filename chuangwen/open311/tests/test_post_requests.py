"""POST requests: api keys, the location parameter, attributes, errors, idempotency, and the case it opens."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.open311 import services
from chuangwen.open311.models import Integration, ServiceAttribute, Submission
from chuangwen.open311.tests.open311_fixtures import (  # noqa: F401
    BASE,
    WEST,
    body,
    categories,
    errors,
    integration,
    post,
    submit,
)
from chuangwen.reports.models import CitizenReport


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_creates_a_citizen_report_that_waits_in_the_coordinators_triage(
    categories: Any,  # noqa: F811
    integration: tuple[Integration, str],  # noqa: F811
    users: dict[str, Any],
    fmt: str,
) -> None:
    client = Client(enforce_csrf_checks=True)  # another system has no CSRF token
    response = post(client, integration[1], fmt, address_string="东门社区菜场口", account_id="u-77")
    assert response.status_code == 200
    report = CitizenReport.objects.get()
    parsed = body(response)
    if fmt == "json":
        assert parsed == [
            {
                "service_request_id": report.pk,
                "service_notice": "已收到，文明办将分拣并派至责任单位处置",
                "account_id": "u-77",
            }
        ]
    else:
        assert parsed.tag == "service_requests"
        request = parsed.find("request")
        assert request is not None
        assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
        assert request.findtext("service_request_id") == str(report.pk)
        assert parsed.find("request/token") is None  # a request id, so no token (the spec: one or the other)
    assert report.source == "open311"
    assert report.integration == "12345 热线平台"
    assert report.category.code == "garbage"
    assert (report.lat, report.lng) == WEST
    assert report.address == "东门社区菜场口"
    case = report.case
    assert (case.state, case.source) == (CaseState.NEW, CaseSource.CITIZEN)
    assert Case.objects.visible_to(users["coordinator"]).filter(pk=case.pk, state=CaseState.NEW).exists()
    submission = Submission.objects.get()
    assert submission.report == report
    assert submission.integration == integration[0]
    integration[0].refresh_from_db()
    assert integration[0].last_used_at is not None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_answers_403_without_an_api_key(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
    fmt: str,
) -> None:
    response = post(client, None, fmt)
    assert response.status_code == 403
    assert errors(response) == [(403, "api_key is missing -- can't proceed with create_request.")]
    assert post(client, "", fmt).status_code == 403
    assert not CitizenReport.objects.exists()


def test_it_answers_403_for_a_wrong_key(client: Client, categories: Any, integration: Any) -> None:  # noqa: F811
    response = post(client, integration[1] + "x")
    assert response.status_code == 403
    assert errors(response) == [(403, "Invalid api_key received -- can't proceed with create_request.")]
    assert not CitizenReport.objects.exists()


def test_it_answers_403_for_a_revoked_key_and_accepts_a_new_one(
    client: Client,
    categories: Any,  # noqa: F811
    integration: tuple[Integration, str],  # noqa: F811
) -> None:
    services.revoke_key(integration[0])
    response = post(client, integration[1], "xml")
    assert response.status_code == 403
    assert errors(response)[0][0] == 403
    assert "revoked" in errors(response)[0][1]
    assert not CitizenReport.objects.exists()
    new_key = services.issue_key(integration[0])
    assert post(client, integration[1]).status_code == 403  # the old key stays dead
    assert post(client, new_key).status_code == 200


def test_it_answers_403_for_a_deactivated_integration(
    client: Client,
    categories: Any,  # noqa: F811
    integration: tuple[Integration, str],  # noqa: F811
) -> None:
    Integration.objects.filter(pk=integration[0].pk).update(active=False)
    assert post(client, integration[1]).status_code == 403


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_answers_400_without_a_location(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
    fmt: str,
) -> None:
    response = post(client, integration[1], fmt, lat=None, long=None)
    assert response.status_code == 400
    assert errors(response) == [
        (400, "A full location parameter must be submitted: lat & long, address_string or address_id")
    ]
    response = post(client, integration[1], fmt, long=None)
    assert response.status_code == 400
    assert errors(response) == [(400, "lat & long both need to be sent")]
    assert post(client, integration[1], fmt, lat="north").status_code == 400
    assert post(client, integration[1], fmt, lat="95").status_code == 400
    assert not CitizenReport.objects.exists()


def test_it_locates_an_address_id_or_string_on_the_site_registry(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
    sites: dict[str, Any],
) -> None:
    response = post(client, integration[1], lat=None, long=None, address_id="P0003")
    assert response.status_code == 200
    report = CitizenReport.objects.get(pk=body(response)[0]["service_request_id"])
    assert (report.lat, report.lng, report.address) == (30.06, 120.07, "东门老旧小区")
    response = post(client, integration[1], lat=None, long=None, address_string="柳浪农贸市场")
    assert response.status_code == 200
    report = CitizenReport.objects.get(pk=body(response)[0]["service_request_id"])
    assert (report.lat, report.lng, report.address) == (30.04, 120.03, "柳浪农贸市场")

    response = post(client, integration[1], lat=None, long=None, address_id="P9999")
    assert (response.status_code, errors(response)) == (400, [(400, "address_id not found: P9999")])
    response = post(client, integration[1], lat=None, long=None, address_string="火星路 1 号")
    assert response.status_code == 400
    assert "lat & long" in errors(response)[0][1]


def test_it_answers_400_for_a_place_outside_the_district(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    response = post(client, integration[1], lat="39.9", long="116.4")
    assert response.status_code == 400
    [(code, description)] = errors(response)
    assert code == 400
    assert description.startswith("lat: ")


def test_it_answers_404_for_an_unknown_service_code_and_400_without_one(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    response = post(client, integration[1], "xml", service_code="potholes")
    assert (response.status_code, errors(response)) == (404, [(404, "service_code not found: potholes")])
    response = post(client, integration[1], "json", service_code=None)
    assert (response.status_code, errors(response)) == (400, [(400, "service_code was not provided")])
    assert not CitizenReport.objects.exists()


def test_it_answers_400_naming_each_invalid_field(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    response = post(client, integration[1], description="脏", phone="12345")
    assert response.status_code == 400
    found = errors(response)
    assert {code for code, _ in found} == {400}
    assert {text.split(":")[0] for _, text in found} == {"description", "phone"}
    assert post(client, integration[1], media_url="not a url").status_code == 400
    assert post(client, integration[1], description="长" * 4001).status_code == 400
    assert not CitizenReport.objects.exists()


def test_it_checks_the_service_definitions_attributes(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    category = categories["street-vending"]
    ServiceAttribute.objects.create(
        category=category,
        code="KIND",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="经营类型",
        values=[{"key": "food", "name": "流动食品摊"}, {"key": "fruit", "name": "水果摊"}],
    )
    ServiceAttribute.objects.create(
        category=category,
        code="WHEN",
        datatype="multivaluelist",
        order=2,
        description="出现时段",
        values=[
            {"key": "am", "name": "上午"},
            {"key": "pm", "name": "下午"},
            {"key": "night", "name": "夜间"},
        ],
    )
    key = integration[1]
    response = post(client, key, service_code="street-vending")
    assert (response.status_code, errors(response)) == (400, [(400, "attribute[KIND] is required")])
    response = post(client, key, service_code="street-vending", **{"attribute[KIND]": "cars"})
    assert response.status_code == 400
    assert errors(response) == [(400, "attribute[KIND] has a value that is not in its list")]
    response = post(
        client, key, service_code="street-vending", **{"attribute[KIND]": "food", "attribute[X]": "1"}
    )
    assert errors(response) == [(400, "attribute[X] is not part of this service definition")]
    assert not CitizenReport.objects.exists()

    answers: dict[str, Any] = {"attribute[KIND]": "fruit", "attribute[WHEN][]": ["am", "night"]}
    response = post(client, key, service_code="street-vending", description="路口有摊贩占道经营", **answers)
    assert response.status_code == 200
    report = CitizenReport.objects.get()
    assert report.description == "路口有摊贩占道经营\n经营类型：水果摊\n出现时段：上午、夜间"
    assert Submission.objects.get().attributes == {"KIND": ["fruit"], "WHEN": ["am", "night"]}


def test_it_does_not_duplicate_a_retry_with_the_same_client_id(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    first = post(client, integration[1], client_id="HL-2026-000123")
    again = post(client, integration[1], client_id="HL-2026-000123", description="重发时描述略有不同的内容")
    assert first.status_code == again.status_code == 200
    assert body(first) == body(again)
    assert CitizenReport.objects.count() == 1
    other = post(client, integration[1], client_id="HL-2026-000124")
    assert body(other)[0]["service_request_id"] != body(first)[0]["service_request_id"]
    assert CitizenReport.objects.count() == 2


def test_it_does_not_duplicate_the_same_request_sent_twice_within_a_minute(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    first = post(client, integration[1])
    again = post(client, integration[1])
    assert body(first) == body(again)
    assert CitizenReport.objects.count() == 1
    post(client, integration[1], description="另一处垃圾堆放，位于北门")
    assert CitizenReport.objects.count() == 2


def test_it_keeps_one_integrations_client_ids_apart_from_anothers(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    other = Integration(name="城市大脑", organisation="市大数据局")
    other_key = services.issue_key(other)
    # Free-text identifiers belong to their integration: the same text from two systems is two requests.
    post(client, integration[1], client_id="1001")
    post(client, other_key, client_id="1001")
    assert CitizenReport.objects.count() == 2
    # A UUID is global: another system may not claim it, nor may anyone claim a web report's.
    shared = str(uuid.uuid4())
    assert post(client, integration[1], client_id=shared).status_code == 200
    response = post(client, other_key, client_id=shared)
    assert (response.status_code, errors(response)) == (
        400,
        [(400, "client_id has already been used by another integration")],
    )
    web = submit(categories["garbage"])
    assert post(client, other_key, client_id=str(web.client_id)).status_code == 400
    assert CitizenReport.objects.count() == 4


def test_it_passes_the_phone_number_to_the_report_and_keeps_no_other_personal_data(
    client: Client,
    categories: Any,  # noqa: F811
    integration: Any,  # noqa: F811
) -> None:
    response = post(
        client,
        integration[1],
        phone="13812345678",
        email="li.lei@example.com",
        first_name="雷",
        last_name="李",
        device_id="dev-1",
    )
    assert response.status_code == 200
    assert CitizenReport.objects.get().phone == "13812345678"
    submission = Submission.objects.get()
    stored = " ".join(str(getattr(submission, f.attname)) for f in Submission._meta.fields)
    assert "li.lei" not in stored and "李" not in stored and "dev-1" not in stored
