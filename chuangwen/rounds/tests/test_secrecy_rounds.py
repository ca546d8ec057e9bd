"""Until publication a round exists only for its coordinators and its teams: no list entry, no page, no public
verification, and the same 404 as for a round that does not exist. After publication the target's people see
it, each street only its own sites."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

OUTSIDERS = ("west_handler", "west_head", "leader", "east_handler", "dept_handler", "verifier", "admin")
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def body(response: Any) -> str:
    return TOKEN.sub(r"\1…", response.content.decode())


def pages(client: Client, round_: Any) -> dict[str, Any]:
    return {
        "detail": client.get(reverse("rounds:detail", args=[round_.pk])),
        "verify": client.get(reverse("rounds:verify", args=[round_.public_id])),
        "data": client.get(reverse("rounds:verify-data", args=[round_.public_id])),
        "draw": client.post(reverse("rounds:draw", args=[round_.pk])),
        "publish": client.post(reverse("rounds:publish", args=[round_.pk])),
        "teams": client.post(reverse("rounds:teams", args=[round_.pk])),
    }


def missing_pages(client: Client) -> dict[str, Any]:
    nobody = uuid.uuid4()
    return {
        "detail": client.get(reverse("rounds:detail", args=[999999])),
        "verify": client.get(reverse("rounds:verify", args=[nobody])),
        "data": client.get(reverse("rounds:verify-data", args=[nobody])),
        "draw": client.post(reverse("rounds:draw", args=[999999])),
        "publish": client.post(reverse("rounds:publish", args=[999999])),
        "teams": client.post(reverse("rounds:teams", args=[999999])),
    }


@pytest.mark.parametrize("who", OUTSIDERS)
def test_an_unpublished_round_leaves_no_trace(who, users, org, round_standard, registry, team_inspectors):
    from chuangwen.rounds import services
    from chuangwen.rounds.tests.round_fixtures import make_draft

    client = client_for(users[who])
    before = body(client.get(reverse("rounds:list")))
    home_before = body(client.get(reverse("home")))
    round_ = make_draft(org, users, round_standard)
    services.draw_round(round_, users["coordinator"])
    services.build_teams(round_, team_inspectors, actor=users["coordinator"])
    services.start_round(round_, users["coordinator"])
    assert body(client.get(reverse("rounds:list"))) == before
    assert body(client.get(reverse("home"))) == home_before
    assert round_.name not in before
    seen, missing = pages(client, round_), missing_pages(client)
    for name, response in seen.items():
        assert response.status_code == 404, name
        assert body(response) == body(missing[name]), name
    anonymous = pages(Client(), round_)
    assert anonymous["verify"].status_code == 404 and anonymous["data"].status_code == 404
    assert body(anonymous["verify"]) == body(missing_pages(Client())["verify"])


def test_coordinator_and_team_members_see_it_others_on_the_team_list_do_not(
    started_round, users, org, team_inspectors
):
    outsider = make_user("inspector9", "inspector", org["district"])
    for user in (users["coordinator"], team_inspectors[0], team_inspectors[3]):
        client = client_for(user)
        assert started_round.name in client.get(reverse("rounds:list")).content.decode()
        assert client.get(reverse("rounds:detail", args=[started_round.pk])).status_code == 200
    client = client_for(outsider)
    assert started_round.name not in client.get(reverse("rounds:list")).content.decode()
    assert client.get(reverse("rounds:detail", args=[started_round.pk])).status_code == 404
    street_coord = make_user("west_coord", "coordinator", org["west"])
    assert client_for(street_coord).get(reverse("rounds:detail", args=[started_round.pk])).status_code == 404


def test_a_team_member_cannot_run_the_round(started_round, team_inspectors):
    client = client_for(team_inspectors[0])
    assert client.post(reverse("rounds:publish", args=[started_round.pk])).status_code == 403
    html = client.get(reverse("rounds:detail", args=[started_round.pk])).content.decode()
    assert 'id="btn-publish"' not in html and started_round.seed not in html


def test_nav_link_for_everyone_who_may_open_the_list_which_hides_a_round_in_progress(started_round, users):
    # The list is scoped by Round.objects.visible_to: a unit sees the rounds that scored it once published
    # (accounts/tests/test_capabilities.py walks every nav link for every role).
    url = reverse("rounds:list")
    for who in ("coordinator", "inspector", "leader", "west_handler", "west_head", "verifier"):
        assert f'href="{url}"' in client_for(users[who]).get(reverse("home")).content.decode()
    for who in ("west_handler", "west_head", "verifier"):
        assert started_round.name not in client_for(users[who]).get(url).content.decode()


def test_after_publication_the_target_sees_it_each_street_its_own_sites(published_round, users, registry):
    entries = list(published_round.entries.select_related("site__area_unit"))
    west = {e.site.code for e in entries if e.site.area_unit.code.startswith("S01")}
    east = {e.site.code for e in entries if e.site.area_unit.code.startswith("S02")}
    assert west and east
    leader = client_for(users["leader"])
    assert published_round.name in leader.get(reverse("rounds:list")).content.decode()
    html = leader.get(reverse("rounds:detail", args=[published_round.pk])).content.decode()
    assert all(code in html for code in west | east) and published_round.seed in html
    handler = client_for(users["west_handler"])
    assert published_round.name in handler.get(reverse("rounds:list")).content.decode()
    response = handler.get(reverse("rounds:detail", args=[published_round.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and published_round.seed in html
    assert all(code in html for code in west) and not any(code in html for code in east)
    assert 'id="round-teams"' not in html and "inspector2" not in html
    features = response.context["sites_geo"]["features"]
    assert {f["properties"]["code"] for f in features} == west
    assert Client().get(reverse("rounds:verify", args=[published_round.public_id])).status_code == 200


def test_the_admin_follows_the_same_rule(started_round, users):
    client = client_for(users["admin"])
    listing = client.get("/admin/rounds/round/")
    assert listing.status_code == 200 and started_round.name not in listing.content.decode()
    assert client.get(f"/admin/rounds/round/{started_round.pk}/change/").status_code in (302, 404)
