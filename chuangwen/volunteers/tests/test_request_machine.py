"""The service-request machine against an oracle written from the brief, not from the table: for every state,
every action and every kind of actor, ``transition`` succeeds exactly when the oracle allows it, lands in the
oracle's state, bumps the version and writes one event and one audit entry; a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers import request_machine, requests
from chuangwen.volunteers.models import Activity, RequestEvent, RequestState, ServiceRequest
from chuangwen.volunteers.request_machine import Requester
from chuangwen.volunteers.services import Refused
from chuangwen.volunteers.tests.fixtures import activity
from chuangwen.volunteers.tests.fixtures_requests import NOW, in_state, inputs, submit, world

pytestmark = pytest.mark.django_db
S = RequestState

# Who is who to a request of the west community dispatched to the west street's team:
STAFF = {"coordinator", "west_handler"}  # office, heads and handlers of the community or a unit above it
# The team's own manager, and (services.manages_team) the staff of the team's unit or above.
TEAM = {"team_manager", "coordinator", "west_handler"}
REQUESTER = {"requester"}
ACTORS = [
    "coordinator",
    "west_handler",
    "east_handler",
    "leader",
    "team_manager",
    "other_manager",
    "requester",
    "wrong_token",
]

# The oracle: (state, action) → (next state, who may). Every pair not listed is refused to everyone.
EXPECTED: dict[tuple[str, str], tuple[str, set[str]]] = {
    (S.SUBMITTED, "approve"): (S.APPROVED, STAFF),
    (S.SUBMITTED, "reject"): (S.REJECTED, STAFF),
    (S.SUBMITTED, "cancel"): (S.CANCELLED, STAFF | REQUESTER),
    (S.APPROVED, "dispatch"): (S.DISPATCHED, STAFF),
    (S.APPROVED, "cancel"): (S.CANCELLED, STAFF | REQUESTER),
    (S.DISPATCHED, "take"): (S.TAKEN, TEAM),
    (S.DISPATCHED, "decline"): (S.APPROVED, TEAM),
    (S.TAKEN, "complete"): (S.DONE, TEAM),
    (S.DONE, "rate"): (S.RATED, REQUESTER),
}
ALL_ACTIONS = ["approve", "reject", "dispatch", "take", "decline", "complete", "rate", "cancel"]


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def actor_for(key: str, req: ServiceRequest, users: dict[str, Any], w: dict[str, Any]) -> Any:
    if key == "requester":
        return Requester(req.access_token)
    if key == "wrong_token":
        return Requester("0" * 32)
    return w[key] if key in w else users[key]


def oracle(state: str, action: str, actor: str) -> str | None:
    """The next state, or None when refused."""
    found = EXPECTED.get((state, action))
    if found is None or actor not in found[1]:
        return None
    return found[0]


def test_it_has_the_actions_of_the_brief_and_no_other() -> None:
    assert list(request_machine.ACTIONS) == ALL_ACTIONS
    table = {
        (source, t.action): t.target for t in request_machine.TRANSITIONS.values() for source in t.sources
    }
    assert table == {pair: target for pair, (target, _who) in EXPECTED.items()}
    assert request_machine.FINAL == {S.REJECTED, S.RATED, S.CANCELLED}
    assert request_machine.TRANSITIONS["reject"].needs_reason
    assert request_machine.TRANSITIONS["decline"].needs_reason
    assert request_machine.TRANSITIONS["dispatch"].needs_team
    markdown = request_machine.describe_table()
    assert all(f"`{action}`" in markdown for action in ALL_ACTIONS)


def test_it_allows_exactly_what_the_oracle_allows_in_every_state(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    """8 states × 8 actions × 8 actors: the offered buttons, then each attempt. A refused attempt runs on one
    request per state (it must change nothing); an allowed one on a fresh request in that state."""
    w = world(org, users)
    checked = allowed = 0
    for state in S.values:
        base = in_state(org, users, w, state)
        for actor_key in ACTORS:
            offered = {t.action for t in requests.allowed_actions(base, actor_for(actor_key, base, users, w))}
            expected = {a for a in ALL_ACTIONS if oracle(state, a, actor_key) is not None}
            assert offered == expected, (state, actor_key)
        for action in ALL_ACTIONS:
            for actor_key in ACTORS:
                target = oracle(state, action, actor_key)
                checked += 1
                if target is None:
                    events = RequestEvent.objects.filter(request=base).count()
                    audits = AuditEntry.objects.count()
                    with pytest.raises(Refused) as refusal:
                        requests.transition(
                            base, action, actor_for(actor_key, base, users, w), **inputs(action, w)
                        )
                    assert refusal.value.code in ("state", "forbidden"), (state, action, actor_key)
                    assert refusal.value.message
                    base.refresh_from_db()
                    assert base.state == state
                    assert RequestEvent.objects.filter(request=base).count() == events
                    assert AuditEntry.objects.count() == audits
                    continue
                allowed += 1
                fresh = in_state(org, users, w, state)
                version = fresh.version
                done = requests.transition(
                    fresh, action, actor_for(actor_key, fresh, users, w), version=version, **inputs(action, w)
                )
                assert (done.state, done.version) == (target, version + 1)
                fresh.refresh_from_db()
                assert (fresh.state, fresh.version) == (target, version + 1)
                event = RequestEvent.objects.filter(request=fresh).last()
                assert event is not None
                assert (event.action, event.from_state, event.to_state) == (action, state, target)
                audit = AuditEntry.objects.order_by("-seq").first()
                assert audit is not None and audit.action == f"volunteer.request_{action}"
    assert checked == len(S.values) * len(ALL_ACTIONS) * len(ACTORS)
    assert allowed == sum(len(who) for _target, who in EXPECTED.values())


def test_it_refuses_a_stale_version_and_changes_nothing(org: dict[str, Any], users: dict[str, Any]) -> None:
    w = world(org, users)
    req = submit(org)
    requests.transition(req, "approve", users["west_handler"], version=1)
    with pytest.raises(Refused) as refusal:
        requests.transition(req, "cancel", users["coordinator"], version=1)
    assert (refusal.value.code, refusal.value.field) == ("conflict", "version")
    req.refresh_from_db()
    assert (req.state, req.version) == (S.APPROVED, 2)
    del w


@pytest.mark.parametrize(
    ("action", "state", "given", "field"),
    [
        ("reject", S.SUBMITTED, {"reason": "  "}, "reason"),
        ("reject", S.SUBMITTED, {"reason": "长" * 501}, "reason"),
        ("decline", S.DISPATCHED, {"reason": ""}, "reason"),
        ("dispatch", S.APPROVED, {"team_id": None}, "team"),
        ("dispatch", S.APPROVED, {"team_id": "east_team"}, "team"),
        ("dispatch", S.APPROVED, {"team_id": 2**63 + 5}, "team"),
        ("rate", S.DONE, {"rating": 0}, "rating"),
        ("rate", S.DONE, {"rating": 6}, "rating"),
        ("rate", S.DONE, {"rating": None}, "rating"),
        ("rate", S.DONE, {"rating": 4, "reason": "好" * 301}, "rating_comment"),
        ("complete", S.TAKEN, {"activity_id": "east"}, "activity"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(
    org: dict[str, Any], users: dict[str, Any], action: str, state: str, given: dict[str, Any], field: str
) -> None:
    w = world(org, users)
    req = in_state(org, users, w, state)
    kwargs = {**inputs(action, w), **given}
    if kwargs.get("team_id") == "east_team":
        kwargs["team_id"] = w["east_team"].pk
    if kwargs.pop("activity_id", None) == "east":
        east = activity(w["east_team"], users["coordinator"], NOW, now=NOW)
        kwargs["activity_id"] = east.pk
    who = {
        "reject": users["west_handler"],
        "dispatch": users["west_handler"],
        "decline": w["team_manager"],
        "complete": w["team_manager"],
        "rate": Requester(req.access_token),
    }[action]
    version, events = req.version, RequestEvent.objects.filter(request=req).count()
    with pytest.raises(Refused) as refusal:
        requests.transition(req, action, who, **kwargs)
    assert (refusal.value.code, refusal.value.field) == ("invalid", field)
    assert refusal.value.message
    req.refresh_from_db()
    assert (req.state, req.version) == (state, version)
    assert RequestEvent.objects.filter(request=req).count() == events


def test_it_dispatches_on_the_community_line_declines_back_and_links_an_activity(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    req = in_state(org, users, w, S.APPROVED)
    teams = set(requests.dispatch_teams(req))
    assert teams == {w["team"], w["district_team"]}  # not the east street's team
    req = requests.transition(req, "dispatch", users["coordinator"], team_id=w["district_team"].pk)
    assert req.team == w["district_team"]
    with pytest.raises(Refused):  # the west team's manager does not manage the district team
        requests.transition(req, "take", w["team_manager"])
    req = requests.transition(req, "decline", users["coordinator"], reason="人手不足")
    assert (req.state, req.team) == (S.APPROVED, None)
    req = requests.transition(req, "dispatch", users["west_handler"], team_id=w["team"].pk)
    req = requests.transition(req, "take", w["team_manager"])
    own = activity(w["team"], users["west_handler"], NOW, now=NOW)
    req = requests.transition(req, "complete", w["team_manager"], activity_id=own.pk, reason="已陪同买菜")
    assert req.activity == own and req.state == S.DONE
    req = requests.transition(req, "rate", req.access_token, rating=4, reason="很好")
    assert (req.rating, req.rating_comment, req.state) == (4, "很好", S.RATED)
    actions = list(RequestEvent.objects.filter(request=req).values_list("action", flat=True))
    assert actions == ["submit", "approve", "dispatch", "decline", "dispatch", "take", "complete", "rate"]
    assert Activity.objects.filter(pk=own.pk).exists()


def test_it_numbers_requests_per_day_and_answers_a_resend_with_the_same_request(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    first = submit(org)
    second = submit(org)
    assert (first.code, second.code) == ("XQ202603160001", "XQ202603160002")
    again = requests.submit(requests.Submission(
        unit_id=org["west_c"].pk, category="other", description="x", requester_name="y",
        requester_phone="13800000000", client_id=first.client_id,
    ))  # fmt: skip
    assert again.pk == first.pk and ServiceRequest.objects.count() == 2
    assert RequestEvent.objects.filter(request=first, action="submit").count() == 1
