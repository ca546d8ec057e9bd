"""In a real browser (strict CSP, no script needed): drawing, publishing and replacing teams each ask first,
and the team form ticks only the current members."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.core.tests.test_browser_map import open_page
from chuangwen.rounds.models import RoundStatus, Team

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-11-20 10:00 +0800", tick=True):
        yield


def _csp_watch(page: Any) -> list[str]:
    refused: list[str] = []

    def note(msg: Any) -> None:
        if "Content Security Policy" in msg.text:
            refused.append(msg.text)

    page.on("console", note)
    return refused


def test_it_confirms_the_draw_and_the_team_replacement_in_a_browser(
    browser: Any, live_server: Any, users: Any, draft_round: Any, team_inspectors: list[Any]
) -> None:
    page, errors, _outside = open_page(browser, live_server, "coord")
    refused = _csp_watch(page)
    page.goto(f"{live_server.url}/rounds/{draft_round.pk}/")
    page.click("#btn-draw")
    page.wait_for_selector("#confirm-draw")
    assert "将被冻结" in page.inner_text("#confirm-effects")
    page.click("#btn-cancel")
    page.wait_for_selector("#btn-draw")
    draft_round.refresh_from_db()
    assert draft_round.status == RoundStatus.DRAFT
    page.click("#btn-draw")
    page.click("#btn-confirm")
    page.wait_for_selector("#build-teams")
    draft_round.refresh_from_db()
    assert draft_round.status == RoundStatus.DRAWN

    boxes = page.locator("#build-teams input[name=inspectors]")
    assert boxes.count() == 4 and all(boxes.nth(i).is_checked() for i in range(4))
    boxes.nth(2).uncheck()
    boxes.nth(3).uncheck()
    page.click("#btn-teams")  # no teams yet: nothing to replace, no question
    page.wait_for_selector("#current-teams")
    first = list(Team.objects.filter(round=draft_round))
    assert len(first) == 1
    ticked = [boxes.nth(i).is_checked() for i in range(4)]
    assert ticked == [True, True, False, False]
    boxes.nth(2).check()
    boxes.nth(3).check()
    page.click("#btn-teams")
    page.wait_for_selector("#confirm-teams")
    assert "inspector" in page.inner_text("#confirm-current-teams")
    page.click("#btn-cancel")
    page.wait_for_selector("#current-teams")
    assert list(Team.objects.filter(round=draft_round)) == first
    boxes.nth(2).check()
    boxes.nth(3).check()
    page.click("#btn-teams")
    page.click("#btn-confirm")
    page.wait_for_selector("#btn-start")
    assert Team.objects.filter(round=draft_round).count() == 2
    assert errors == [] and refused == []


def test_it_confirms_publication_in_a_browser(
    browser: Any, live_server: Any, users: Any, started_round: Any
) -> None:
    page, errors, _outside = open_page(browser, live_server, "coord")
    refused = _csp_watch(page)
    page.goto(f"{live_server.url}/rounds/{started_round.pk}/")
    page.click("#btn-publish")
    page.wait_for_selector("#confirm-publish")
    assert "公开随机种子" in page.inner_text("#confirm-effects")
    page.click("#btn-confirm")  # sites are missing and the box is not ticked: refused, nothing published
    page.wait_for_selector("#publish")
    started_round.refresh_from_db()
    assert started_round.status == RoundStatus.IN_PROGRESS
    page.click("#btn-publish")
    page.wait_for_selector("#confirm-publish")
    page.check("#confirm-publish input[name=confirm_missing]")
    page.click("#btn-confirm")
    page.wait_for_selector("#round-status")
    started_round.refresh_from_db()
    assert started_round.status == RoundStatus.PUBLISHED
    assert errors == [] and refused == []
