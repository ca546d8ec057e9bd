"""Random sequences of actions by random people on one case, from its opening on: after every step the case,
its history and its counters agree with the oracle of test_machine_props."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from chuangwen.cases import machine, services
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.models import CaseEvent
from chuangwen.cases.tests.case_fixtures import inputs_for, make_case
from chuangwen.cases.tests.test_machine_props import ACTORS, oracle


@pytest.mark.django_db
def test_it_follows_the_table_through_any_sequence(org, people):
    class CaseLife(RuleBasedStateMachine):
        @initialize(street=st.sampled_from(["east", "west"]))
        def open_case(self, street: str) -> None:
            self.case = make_case("new", None, area=org[f"{street}_c"])
            self.street = street
            self.rectifiers: set[int] = set()
            self.steps = 0
            self.reworks = 0
            self.extensions = 0

        @rule(action=st.sampled_from(machine.ACTIONS), actor_key=st.sampled_from(ACTORS))
        def act(self, action: str, actor_key: str) -> None:
            actor = people[actor_key]
            state = self.case.state
            expected = oracle(
                state,
                action,
                actor,
                org[self.street],
                actor.pk in self.rectifiers,
                self.case.return_requested,
                self.case.extension_requested_until is not None,
                self.case.reverify_pending,
            )
            kwargs: dict[str, Any] = inputs_for(action, actor, self.case, org)
            if expected in ("not_found", "refused"):
                with pytest.raises(CaseNotFound if expected == "not_found" else TransitionRefused):
                    services.apply(self.case, action, actor, **kwargs)
                return
            services.apply(self.case, action, actor, **kwargs)
            self.steps += 1
            assert self.case.state == expected
            if machine.UNIT in machine.TABLE[(state, action)].requires:
                self.street = "east"  # inputs_for routes to the east street
            if action == "rectify":
                self.rectifiers.add(actor.pk)
            if action in ("verify_fail", "reopen", "reverify_fail"):
                self.reworks += 1
            if action == "approve_extension":
                self.extensions += 1

        @rule(data=st.data())
        def act_as_allowed(self, data: st.DataObject) -> None:
            """Mostly walk forward: pick a step the oracle allows, when there is one."""
            pending = (
                self.case.return_requested,
                self.case.extension_requested_until is not None,
                self.case.reverify_pending,
            )
            allowed = [
                (action, key)
                for action in machine.ACTIONS
                for key in ACTORS
                if oracle(
                    self.case.state,
                    action,
                    people[key],
                    org[self.street],
                    people[key].pk in self.rectifiers,
                    *pending,
                )
                not in ("not_found", "refused")
            ]
            if allowed:
                self.act(*data.draw(st.sampled_from(allowed)))

        @invariant()
        def history_matches(self) -> None:
            if not hasattr(self, "case"):
                return
            self.case.refresh_from_db()
            assert self.case.version == 1 + self.steps
            assert CaseEvent.objects.filter(case=self.case).count() == self.steps
            assert self.case.rework_count == self.reworks
            assert self.case.extension_count == self.extensions
            if self.case.state in ("accepted", "rework", "rectified"):
                assert self.case.deadline is not None and self.case.warn_at is not None
            assert (self.case.closed_at is not None) == (self.case.state == "closed")
            assert (self.case.suspended_until is not None) == (self.case.state == "suspended")

    run_state_machine_as_test(
        CaseLife,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        ),
    )
