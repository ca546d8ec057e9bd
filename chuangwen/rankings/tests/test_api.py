"""The rankings API: public list and table, scoped drill-down, preview and publication, what-if."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from conftest import client_for

API = "/api/v1/rankings"


def test_it_lists_and_shows_rankings_to_everyone(ranked: Any, users: dict[str, Any]) -> None:
    client = client_for(users["east_handler"])
    assert [r["id"] for r in client.get(API).json()] == [ranked.pk]
    body = client.get(f"{API}/{ranked.pk}").json()
    assert {row["unit_name"] for row in body["rows"]} == {"西湖街道", "东城街道"}


def test_it_scopes_the_drill_down(ranked: Any, users: dict[str, Any], org: dict[str, Any]) -> None:
    url = f"{API}/{ranked.pk}/units/{org['west'].pk}"
    assert client_for(users["east_handler"]).get(url).status_code == 404
    body = client_for(users["coordinator"]).get(url).json()
    assert Decimal(body["onsite_raw"]) == Decimal(body["row"]["onsite_raw"]) == Decimal("92.57")
    total = sum(Decimal(v["weight"]) * Decimal(v["score"]) for v in body["visits"])
    assert total == Decimal(body["product_sum"]) and Decimal(body["weight_sum"]) == Decimal("2.8")
    assert body["counts_match"] and body["counts"]["disposal_rate"] == 1


def test_it_previews_and_publishes_for_coordinators_only(
    scored: dict[str, Any], users: dict[str, Any]
) -> None:
    period = f"round:{scored['round'].pk}"
    handler = client_for(users["west_head"])
    assert handler.get(f"{API}/preview", {"period": period, "level": "street"}).status_code == 403
    assert (
        handler.post(
            f"{API}/publish", {"period": period, "level": "street"}, content_type="application/json"
        ).status_code
        == 403
    )
    coordinator = client_for(users["coordinator"])
    preview = coordinator.get(f"{API}/preview", {"period": period, "level": "street"})
    assert preview.status_code == 200 and len(preview.json()) == 2
    # A malformed period: the schema refuses it (422); one naming no published round: the rule (400).
    assert coordinator.get(f"{API}/preview", {"period": "round:x", "level": "street"}).status_code == 422
    assert coordinator.get(f"{API}/preview", {"period": "round:999999", "level": "street"}).status_code == 400
    first = coordinator.post(
        f"{API}/publish", {"period": period, "level": "street"}, content_type="application/json"
    )
    assert first.status_code == 201 and len(first.json()["rows"]) == 2
    again = coordinator.post(
        f"{API}/publish", {"period": period, "level": "street"}, content_type="application/json"
    )
    assert again.status_code == 409 and "已发布" in again.json()["detail"]


def test_it_answers_the_what_if(scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]) -> None:
    from chuangwen.rankings.whatif import what_if

    url = f"{API}/units/{org['west'].pk}/whatif"
    assert client_for(users["east_handler"]).get(url).status_code == 404
    body = client_for(users["west_handler"]).get(url, {"cases": str(scored["case_a"].pk)}).json()
    expected = what_if(org["west"], [scored["case_a"].pk])
    assert Decimal(body["after"]["composite"]) == expected.after.composite
    assert body["case_ids"] == [scored["case_a"].pk] and body["costs"][0]["case_id"] == scored["case_a"].pk


def test_it_shows_self_check_reliability_to_overseers(scored: dict[str, Any], users: dict[str, Any]) -> None:
    assert client_for(users["west_head"]).get(f"{API}/selfcheck").status_code == 403
    assert client_for(users["leader"]).get(f"{API}/selfcheck").status_code == 200


def test_whatif_of_an_inactive_unit_is_refused_not_a_server_error(
    scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    """Found by the API contract test (core/tests/test_api_contract.py): the what-if of a deactivated unit
    answered 500 (the month's scene holds only active units); it is refused like a unit that is not ranked."""
    org["west"].active = False
    org["west"].save(update_fields=["active"])
    response = client_for(users["coordinator"]).get(f"{API}/units/{org['west'].pk}/whatif")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
