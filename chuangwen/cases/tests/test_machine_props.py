"""The state machine, checked against an oracle written from the table and docs/cases.md: for every state,
action, person, unit and separation-of-duties situation, apply() succeeds exactly when allowed, lands in the
table's state and writes one history entry; a refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangwen.cases import machine, services
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.models import AREA_ROLES, CaseEvent, CaseState
from chuangwen.cases.tests.case_fixtures import inputs_for, make_case

ACTORS = [
    "coordinator",
    "leader",
    "verifier",
    "inspector",
    "admin",
    "west_head",
    "west_handler",
    "east_head",
    "east_handler",
    "dept_handler",
]
STREETS = ["east", "west"]


# Pending requests a case may carry: a return, an extension, a random re-verification pick.
PENDING = [(), ("return",), ("extension",), ("reverify",), ("return", "extension", "reverify")]


def oracle(
    state: str,
    action: str,
    actor: Any,
    street: Any,
    rectifier: bool,
    return_requested: bool,
    extension: bool = False,
    reverify: bool = False,
) -> str:
    """'not_found', 'refused' or the next state, reasoned from the rules rather than from machine.check."""
    routed = state != CaseState.NEW
    if actor.role in AREA_ROLES:
        visible = True  # all of them sit at the district, over both streets
    else:
        visible = routed and actor.unit_id == street.pk
    if not visible:
        return "not_found"
    transition = machine.TABLE.get((state, action))
    if transition is None or actor.role not in transition.roles:
        return "refused"
    holds = {
        # the street's people, or an office above the street (the coordinator sits at the district)
        "own_unit": routed and street.path.startswith(actor.unit.path),
        "not_rectifier": not rectifier,
        "return_pending": return_requested,
        "no_return_pending": not return_requested,
        "extension_pending": extension,
        "no_extension_pending": not extension,
        "reverify_pending": reverify,
    }
    if not all(holds[name] for name in transition.guards):
        return "refused"
    return transition.to_state


def build(
    org: dict[str, Any], state: str, street_key: str, actor: Any, rectifier: bool, pending: tuple[str, ...]
) -> Any:
    street = org[street_key]
    area = org[f"{street_key}_c"]
    now = timezone.now()
    return make_case(
        state,
        street,
        area=area,
        rectified_by=actor if rectifier else None,
        return_requested="return" in pending,
        deadline=now + timedelta(days=10),
        extension_requested_until=now + timedelta(days=20) if "extension" in pending else None,
        reverify_pending="reverify" in pending,
    )


def flags(pending: tuple[str, ...]) -> tuple[bool, bool, bool]:
    return "return" in pending, "extension" in pending, "reverify" in pending


@pytest.mark.django_db
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # half the draws from the table itself, so that allowed transitions come up as often as refused ones
    step=st.one_of(
        st.sampled_from(sorted(machine.TABLE)),
        st.tuples(st.sampled_from(CaseState.values), st.sampled_from(machine.ACTIONS)),
    ),
    actor_key=st.sampled_from(ACTORS),
    street_key=st.sampled_from(STREETS),
    rectifier=st.booleans(),
    pending=st.sampled_from(PENDING),
)
def test_it_applies_exactly_what_the_table_allows(
    org, people, step, actor_key, street_key, rectifier, pending
):
    state, action = step
    actor = people[actor_key]
    case = build(org, state, street_key, actor, rectifier, pending)
    expected = oracle(state, action, actor, org[street_key], rectifier, *flags(pending))
    kwargs = inputs_for(action, actor, case, org)
    before = CaseEvent.objects.filter(case=case).count()
    if expected == "not_found":
        with pytest.raises(CaseNotFound):
            services.apply(case, action, actor, **kwargs)
    elif expected == "refused":
        assert action not in machine.allowed_actions(case, actor)
        with pytest.raises(TransitionRefused) as excinfo:
            services.apply(case, action, actor, **kwargs)
        assert type(excinfo.value) is TransitionRefused and excinfo.value.message
    else:
        assert action in machine.allowed_actions(case, actor)
        result = services.apply(case, action, actor, **kwargs)
        assert result.state == expected and result.version == 2
        (event,) = CaseEvent.objects.filter(case=case)[before:]
        assert (event.action, event.from_state, event.to_state) == (action, state, expected)
        assert event.actor == actor and event.at is not None and event.reason == kwargs["reason"]
        return
    case.refresh_from_db()
    assert (case.state, case.version) == (state, 1)
    assert CaseEvent.objects.filter(case=case).count() == before


@pytest.mark.django_db
def test_it_offers_exactly_the_allowed_actions_in_every_combination(org, people):
    """Exhaustive: 11 states × 2 streets × rectifier or not × 5 sets of pending requests × 10 people ×
    every action."""
    checked = 0
    for state in CaseState.values:
        for street_key in STREETS:
            for rectifier in (False, True):
                for pending in PENDING:
                    for actor_key in ACTORS:
                        actor = people[actor_key]
                        case = build(org, state, street_key, actor, rectifier, pending)
                        offered = set(machine.allowed_actions(case, actor))
                        for action in machine.ACTIONS:
                            expected = oracle(
                                state, action, actor, org[street_key], rectifier, *flags(pending)
                            )
                            if expected == "not_found":
                                continue  # the case never reaches the UI of someone outside its scope
                            assert (action in offered) == (expected != "refused"), (state, action, actor_key)
                            checked += 1
    assert checked > 2000


def test_it_keeps_one_consistent_table():
    assert set(machine.ACTIONS) == {action for _state, action in machine.TABLE}
    for (state, _action), transition in machine.TABLE.items():
        assert state in CaseState.values and transition.to_state in CaseState.values
        # "citizen": only the portal's system user, for reporter_reopen (docs/reports.md)
        roles = {"coordinator", "verifier", "handler", "unit_head", "citizen"}
        assert transition.roles and transition.roles <= roles
        assert set(transition.guards) <= set(machine.GUARDS)
        assert set(transition.effects) <= set(machine.EFFECTS)
        assert transition.requires <= set(machine.NEED_LABELS)
    # leaders and administrators take no business action; final states stay final except reopening
    for state in ("rejected", "duplicate", "cancelled"):
        assert not [key for key in machine.TABLE if key[0] == state]
    assert sorted(key[1] for key in machine.TABLE if key[0] == "closed") == [
        "reopen",
        "reporter_reopen",
        "reverify_fail",
        "reverify_pass",
    ]
    # verifying always keeps the rectifier out
    for key in [("rectified", "verify_pass"), ("rectified", "verify_fail"), ("closed", "reverify_pass")]:
        assert "not_rectifier" in machine.TABLE[key].guards
