"""The unit page: anyone whose subtree holds the unit; another street's page does not exist."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_shows_a_unit_its_indicators_and_open_cases(world: dict[str, Any], org: dict[str, Any]) -> None:
    client = client_for(world["west_coord"])
    page = client.get(f"/dashboards/unit/{org['west'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="mean_score">80.00<' in html
    assert f'href="/cases/?unit={org["west"].pk}"' in html
    for key in ("c1", "c2", "c5"):
        assert world["cases"][key].code in html
    assert world["cases"]["c3"].code not in html and world["cases"]["c4"].code not in html
    data = client.get(f"/dashboards/unit/{org['west'].pk}/data.json").json()
    assert data["indicators"]["open_cases"] == 3 and len(data["trend"]["months"]) == 12
    api = client.get(f"/api/v1/dashboards/units/{org['west'].pk}").json()
    assert api["indicators"] == data["indicators"]


def test_it_lets_a_units_own_people_see_their_unit(
    world: dict[str, Any], users: dict[str, Any], org: Any
) -> None:
    handler = client_for(users["west_handler"])
    assert handler.get(f"/dashboards/unit/{org['west'].pk}/").status_code == 200
    assert handler.get(f"/dashboards/unit/{org['west_c'].pk}/").status_code == 200
    leader = client_for(users["leader"])
    html = leader.get(f"/dashboards/unit/{org['east'].pk}/").content.decode()
    assert 'data-figure="mean_score">100.00<' in html


def test_it_answers_404_for_another_streets_unit(
    world: dict[str, Any], users: dict[str, Any], org: Any
) -> None:
    for client in (client_for(users["east_handler"]), client_for(world["east_coord"])):
        assert client.get(f"/dashboards/unit/{org['west'].pk}/").status_code == 404
        assert client.get(f"/dashboards/unit/{org['west'].pk}/data.json").status_code == 404
        assert client.get(f"/api/v1/dashboards/units/{org['west'].pk}").status_code == 404
        assert client.get(f"/dashboards/unit/{org['district'].pk}/").status_code == 404
