"""/api/v1/privacy: the citizen's lookup and removal (no account, 404 alike for wrong pairs and unknown codes,
429 past the limits) and the coordinator's export (403 for others, nothing of another unit)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from chuangwen.audit.models import AuditEntry
from chuangwen.privacy.tests.conftest import ID_NUMBER, OTHER_PHONE, PHONE
from chuangwen.reports.models import CitizenReport
from conftest import client_for

LOOKUP, DELETE, EXPORT = (
    "/api/v1/privacy/citizen/lookup",
    "/api/v1/privacy/citizen/delete",
    "/api/v1/privacy/export",
)


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_it_shows_and_deletes_a_citizens_data_without_an_account(reports: dict[str, CitizenReport]) -> None:
    client, mine = Client(), reports["mine"]
    shown = _post(client, LOOKUP, {"tracking_code": mine.tracking_code, "phone": PHONE})
    assert shown.status_code == 200
    assert shown.json()["phone"] == PHONE and shown.json()["tracking_code"] == mine.tracking_code
    deleted = _post(client, DELETE, {"tracking_code": mine.tracking_code, "phone": PHONE})
    assert deleted.json() == {"tracking_code": mine.tracking_code, "deleted": True}
    assert CitizenReport.objects.get(pk=mine.pk).phone == ""
    assert CitizenReport.objects.get(pk=reports["mine_east"].pk).phone == PHONE
    assert AuditEntry.objects.filter(action="privacy.citizen_delete").count() == 1
    gone = _post(client, LOOKUP, {"tracking_code": mine.tracking_code, "phone": PHONE})
    assert gone.status_code == 404


def test_it_answers_a_wrong_pair_exactly_like_an_unknown_code(reports: dict[str, CitizenReport]) -> None:
    wrong = _post(Client(), DELETE, {"tracking_code": reports["mine"].tracking_code, "phone": OTHER_PHONE})
    unknown = _post(Client(), DELETE, {"tracking_code": "SPZZZZZZZZ", "phone": OTHER_PHONE})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json() and wrong.json()["code"] == "not_found"
    assert CitizenReport.objects.get(pk=reports["mine"].pk).phone == PHONE


def test_it_names_the_field_of_bad_input(db: Any) -> None:
    refused = _post(Client(), LOOKUP, {"tracking_code": "SP23456789", "phone": "12"})
    assert refused.status_code == 422
    assert [e["loc"][-1] for e in refused.json()["detail"]] == ["phone"]


def test_it_answers_429_past_the_limit(reports: dict[str, CitizenReport], settings: Any) -> None:
    code = reports["mine"].tracking_code
    for _n in range(settings.PRIVACY_REQUEST_CODE_LIMIT):
        assert _post(Client(), LOOKUP, {"tracking_code": code, "phone": OTHER_PHONE}).status_code == 404
    limited = _post(Client(), DELETE, {"tracking_code": code, "phone": PHONE})
    assert limited.status_code == 429 and limited.json()["code"] == "limited"
    assert int(limited["Retry-After"]) > 0
    assert CitizenReport.objects.get(pk=reports["mine"].pk).phone == PHONE


def test_it_exports_for_a_coordinator_and_audits_it(person: dict[str, Any], officers: dict[str, Any]) -> None:
    response = _post(client_for(officers["district"]), EXPORT, {"phone": PHONE})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sections = json.loads(response.content)["sections"]
    assert len(sections["citizen_reports"]["records"]) == 2 and sections["volunteers"]["records"]
    assert AuditEntry.objects.filter(action="privacy.export", actor=officers["district"]).count() == 1


def test_it_refuses_the_export_to_other_roles_and_scopes_it(
    person: dict[str, Any], officers: dict[str, Any], reports: dict[str, CitizenReport]
) -> None:
    refused = _post(client_for(officers["handler"]), EXPORT, {"phone": PHONE})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert not AuditEntry.objects.filter(action="privacy.export").exists()
    west = json.loads(_post(client_for(officers["west"]), EXPORT, {"phone": PHONE}).content)["sections"]
    assert [r["tracking_code"] for r in west["citizen_reports"]["records"]] == [reports["mine"].tracking_code]
    east = json.loads(_post(client_for(officers["east"]), EXPORT, {"phone": PHONE}).content)["sections"]
    assert reports["mine"].tracking_code not in json.dumps(east) and east["volunteers"]["records"] == []
    bad = _post(client_for(officers["district"]), EXPORT, {"phone": "", "id_number": "123"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "id_number"
    # The schema cannot check the ID number's check character: the service does, naming the field.
    wrong = _post(client_for(officers["district"]), EXPORT, {"id_number": "110101199003071234"})
    assert wrong.status_code == 422
    (error,) = wrong.json()["detail"]
    assert error["loc"] == ["body", "body", "id_number"] and "校验" in error["msg"]
    both = _post(client_for(officers["district"]), EXPORT, {"phone": PHONE, "id_number": ID_NUMBER})
    assert both.status_code == 422 and both.json()["detail"][0]["loc"][-1] == "phone"


def test_it_needs_an_account_for_the_export(db: Any) -> None:
    assert _post(Client(), EXPORT, {"phone": PHONE}).status_code == 401
