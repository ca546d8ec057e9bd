"""The standard's max_declared_share: the form's default, the ceiling for 暗访, obeyed by the draw; rounds
drawn before the rule still verify."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from chuangwen.rounds import sampling, services
from chuangwen.rounds.models import Round, RoundSite
from chuangwen.rounds.tests.round_fixtures import make_draft
from conftest import client_for

pytestmark = pytest.mark.django_db
SEED = "5" * 64


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
        yield


def by_hand(seed: str, codes: list[str]) -> list[str]:
    """docs/rounds.md "Order", written out again: HMAC-SHA256(seed, code) hex, then (key, code)."""
    keys = {c: hmac.new(seed.encode("ascii"), c.encode("utf-8"), hashlib.sha256).hexdigest() for c in codes}
    return sorted(codes, key=lambda c: (keys[c], c))


def test_it_obeys_the_declared_cap_in_a_hand_checked_draw() -> None:
    rows: list[dict[str, Any]] = [
        {"code": f"A{i}", "type": "ZD", "street": "S01", "declared": i <= 4, "failed_before": False}
        for i in range(1, 9)
    ]
    params = {"type_quotas": {"ZD": 5}, "declared_cap": "0.3"}
    result = sampling.draw(SEED, rows, params)
    # floor(0.3 × 5) = 1 declared site: the first declared one in key order, then the four undeclared ones.
    order = by_hand(SEED, [str(row["code"]) for row in rows])
    first_declared = next(code for code in order if code in {"A1", "A2", "A3", "A4"})
    expected = [code for code in order if code == first_declared or code in {"A5", "A6", "A7", "A8"}]
    assert result.selected == expected and result.skipped["declared"] >= 1
    declared = [code for code in result.selected if code in {"A1", "A2", "A3", "A4"}]
    assert len(declared) / len(result.selected) <= 0.3


def test_it_defaults_the_form_to_the_standards_share(users: Any, round_standard: Any) -> None:
    html = client_for(users["coordinator"]).get(reverse("rounds:create")).content.decode()
    assert 'name="declared_cap" value="0.3"' in html


def test_it_fills_an_empty_cap_from_the_standard(org: Any, users: Any, round_standard: Any, registry: Any):
    draft = make_draft(org, users, round_standard, params={"type_quotas": {"ZD": 3, "NM": 2, "LJ": 2}})
    assert draft.params["declared_cap"] == "0.3"


def test_it_refuses_a_cap_looser_than_the_standard(org: Any, users: Any, round_standard: Any, registry: Any):
    params = {"type_quotas": {"ZD": 3}, "declared_cap": "0.5"}
    with pytest.raises(ValidationError) as caught:
        make_draft(org, users, round_standard, params=params)
    assert "申报点位占比上限不能超过测评标准规定的 0.3" in caught.value.message_dict["declared_cap"]
    assert not Round.objects.exists()
    # Other kinds keep their own cap (the standard's rule is about unannounced draws).
    peer = make_draft(
        org,
        users,
        round_standard,
        kind="self_check",
        params={"type_quotas": {"ZD": 3}, "declared_cap": "0.5"},
    )
    assert peer.params["declared_cap"] == "0.5"


def test_it_obeys_the_standards_cap_when_drawing_an_old_draft(
    org: Any, users: Any, round_standard: Any, registry: Any
) -> None:
    draft = make_draft(org, users, round_standard)
    # A draft saved before the rule existed: no cap at all.
    Round.objects.filter(pk=draft.pk).update(params={**draft.params, "declared_cap": None})
    draft.refresh_from_db()
    services.draw_round(draft, users["coordinator"], seed=SEED)
    draft.refresh_from_db()
    assert draft.params["declared_cap"] == "0.3"
    drawn = list(RoundSite.objects.filter(round=draft).select_related("site"))
    declared = sum(entry.site.declared for entry in drawn)
    assert declared <= int(0.3 * 7) and services.verify_round(draft).ok


def test_it_still_verifies_a_round_drawn_without_a_cap(drawn_round: Any) -> None:
    """A round drawn before the rule committed to ``declared_cap: null``; verification must use what was
    committed, not today's standard."""
    params = {**sampling.normalize_params(drawn_round.params), "declared_cap": None}
    result = sampling.draw(drawn_round.seed, drawn_round.eligible_snapshot, params)
    again = sampling.commit(drawn_round.seed, drawn_round.eligible_snapshot, params)
    by_code = {entry.site.code: entry.site for entry in drawn_round.entries.select_related("site")}
    drawn_round.entries.all().delete()
    from chuangwen.sites.models import Site

    for i, code in enumerate(result.selected, start=1):
        site = by_code.get(code) or Site.objects.get(code=code)
        RoundSite.objects.create(round=drawn_round, site=site, draw_order=i, reason="random")
    Round.objects.filter(pk=drawn_round.pk).update(
        params={**drawn_round.params, **params},
        seed_commitment=again.seed,
        sites_commitment=again.sites,
        params_commitment=again.params,
        commitment=again.combined,
    )
    report = services.verify_round(drawn_round)
    assert report.ok, report.summary()
    assert drawn_round.params["declared_cap"] is None
