"""Two people acting on one case at the same moment: one wins, the other is told, nothing half-done."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from chuangwen.cases import services
from chuangwen.cases.exceptions import Conflict
from chuangwen.cases.models import Case, CaseEvent
from chuangwen.cases.tests.case_fixtures import make_case


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_actors_win(org, people):
    case = make_case("dispatched", org["east"])
    seen = case.version
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name: str, action: str, reason: str) -> None:
        try:
            start.wait()
            mine = Case.objects.get(pk=case.pk)
            services.apply(mine, action, people[name], reason=reason, expected_version=seen)
            outcomes[name] = "won"
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("east_handler", "accept", "")),
        threading.Thread(target=act, args=("east_head", "request_return", "不属于本单位")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = sorted(outcomes.values(), key=str)
    assert results.count("won") == 1, outcomes
    (loser,) = [r for r in results if r != "won"]
    assert isinstance(loser, Conflict) and loser.message == "案卷已被他人处理，请刷新后重试"
    case.refresh_from_db()
    assert case.version == seen + 1 and CaseEvent.objects.filter(case=case).count() == 1
    winner = "accepted" if outcomes["east_handler"] == "won" else "dispatched"
    assert case.state == winner and case.return_requested == (winner == "dispatched")
