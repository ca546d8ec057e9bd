"""The round lifecycle through the services: create, draw, teams, reassign, start, publish, verify."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import verify_chain
from chuangwen.rounds import sampling, services
from chuangwen.rounds.models import Finding, Round, RoundSite, RoundStatus, Team
from chuangwen.rounds.tests.round_fixtures import QUOTAS, accept_visit_with_finding, make_draft
from chuangwen.standards.exceptions import StandardFrozen
from conftest import make_user

pytestmark = pytest.mark.django_db


def test_create_validates_and_keeps_extra_params(draft_round, org):
    assert draft_round.status == RoundStatus.DRAFT
    assert draft_round.owner_unit == org["district"] and draft_round.target_unit == org["district"]
    assert draft_round.params["type_quotas"] == QUOTAS and draft_round.params["declared_cap"] == "0.3"
    assert draft_round.params["max_distance_m"] == 300
    assert AuditEntry.objects.filter(action="round.create", object_id=str(draft_round.pk)).exists()


def test_create_refuses_bad_input_with_field_messages(org, users, round_standard):
    with pytest.raises(ValidationError) as exc:
        make_draft(
            org,
            users,
            round_standard,
            name=" ",
            period_end=datetime.date(2026, 11, 1),
            params={"type_quotas": {"QQ": 2}, "declared_cap": 3},
        )
    errors = exc.value.message_dict
    assert errors["name"] == ["请填写批次名称"]
    assert errors["period_end"] == ["结束日期不能早于开始日期"]
    assert any("未知的点位类型编码：QQ" in m for m in errors["params"])
    assert any("申报点位占比上限" in m for m in errors["params"])
    assert not Round.objects.exists()
    with pytest.raises(ValidationError):
        make_draft(org, {"coordinator": users["west_handler"]}, round_standard)


def test_self_and_peer_check_targets(org, users, round_standard):
    street_coord = make_user("west_coord", "coordinator", org["west"])
    own = make_draft(org, {"coordinator": street_coord}, round_standard, kind="self_check", target_unit=None)
    assert own.target_unit == org["west"] and own.inspecting_unit == org["west"]
    peer = make_draft(
        org, users, round_standard, kind="peer_check", inspecting_unit=org["west"], target_unit=org["east"]
    )
    assert (peer.inspecting_unit, peer.target_unit) == (org["west"], org["east"])
    for inspecting, target in ((org["west"], org["west"]), (org["west_c"], org["east"]), (None, org["east"])):
        with pytest.raises(ValidationError):
            make_draft(
                org, users, round_standard, kind="peer_check", inspecting_unit=inspecting, target_unit=target
            )
    with pytest.raises(ValidationError) as exc:  # a street coordinator cannot target the district
        make_draft(org, {"coordinator": street_coord}, round_standard, target_unit=org["district"])
    assert "target_unit" in exc.value.message_dict


def test_draw_stores_seed_commitments_snapshot_and_sites(drawn_round, registry, round_standard):
    r = Round.objects.get(pk=drawn_round.pk)
    assert r.status == RoundStatus.DRAWN and len(r.seed) == 64 and r.drawn_at is not None
    assert len(r.eligible_snapshot) == 18  # every active ZD/NM/LJ site of the district
    assert {row["street"] for row in r.eligible_snapshot} == {"S01", "S02"}
    params = sampling.normalize_params(r.params)
    assert sampling.commit(r.seed, r.eligible_snapshot, params) == sampling.Commitments(
        r.seed_commitment, r.sites_commitment, r.params_commitment, r.commitment
    )
    expected = sampling.draw(r.seed, r.eligible_snapshot, params).selected
    assert services.stored_sample(r) == expected and len(expected) == sum(QUOTAS.values())
    round_standard.refresh_from_db()
    assert round_standard.frozen
    with pytest.raises(StandardFrozen):
        round_standard.name = "改名"
        round_standard.save()
    entry = AuditEntry.objects.get(action="round.draw", object_id=str(r.pk))
    assert entry.detail["commitment"] == r.commitment and r.seed not in str(entry.detail)
    assert verify_chain().ok
    assert services.verify_round(r).ok


def test_draw_only_once_and_only_by_the_owner(drawn_round, users, org, round_standard, registry):
    with pytest.raises(services.RoundError):
        services.draw_round(drawn_round, users["coordinator"])
    other = make_draft(org, users, round_standard)
    for who in ("leader", "inspector", "west_handler"):
        with pytest.raises(services.RoundError):
            services.draw_round(other, users[who])
    street_coord = make_user("west_coord", "coordinator", org["west"])
    with pytest.raises(services.RoundError):
        services.draw_round(other, street_coord)


def test_draw_refuses_an_empty_registry(org, users, round_standard, sites):
    empty = make_draft(org, users, round_standard, params={"type_quotas": {"GW": 2}})
    with pytest.raises(services.RoundError, match="没有符合条件的候选点位"):
        services.draw_round(empty, users["coordinator"])
    assert Round.objects.get(pk=empty.pk).status == RoundStatus.DRAFT


def test_revisit_draws_failed_sites_first(published_round, users, org, round_standard, registry):
    entry = published_round.entries.first()
    accept_visit_with_finding(published_round, entry, users["inspector"])
    revisit = make_draft(
        org, users, round_standard, kind="revisit", params={"failed_share": "1", "random_extra": 2}
    )
    services.draw_round(revisit, users["coordinator"])
    drawn = list(revisit.entries.order_by("draw_order"))
    assert drawn[0].site == entry.site and drawn[0].reason == "failed_before"
    assert [e.reason for e in drawn[1:]] == ["random", "random"]
    assert [r for r in revisit.eligible_snapshot if r["failed_before"]] == [
        r for r in revisit.eligible_snapshot if r["code"] == entry.site.code
    ]


def test_build_teams_pairs_people_and_splits_routes(drawn_round, users, team_inspectors):
    teams = services.build_teams(drawn_round, team_inspectors, actor=users["coordinator"])
    assert [t.name for t in teams] == ["第1组", "第2组"]
    assert all(t.members.count() == 2 for t in teams)
    sizes = sorted(t.entries.count() for t in teams)
    assert sizes == [3, 4] and not drawn_round.entries.filter(team__isnull=True).exists()
    for team in teams:
        orders = sorted(team.entries.values_list("route_order", flat=True))
        assert orders == list(range(1, len(orders) + 1))
        first = team.entries.get(route_order=1)
        assert first.site.lng == min(e.site.lng for e in team.entries.all())
    # Three people: one team of three. Rebuilding replaces the teams.
    again = services.build_teams(drawn_round, team_inspectors[:3], actor=users["coordinator"])
    assert len(again) == 1 and again[0].members.count() == 3 and Team.objects.count() == 1


def test_build_teams_refusals(drawn_round, users, team_inspectors, org):
    with pytest.raises(services.RoundError, match="至少需要 2 名测评员"):
        services.build_teams(drawn_round, team_inspectors[:1], actor=users["coordinator"])
    with pytest.raises(services.RoundError, match="不是本批次可用的测评员"):
        services.build_teams(
            drawn_round, [team_inspectors[0], users["west_handler"]], actor=users["coordinator"]
        )
    with pytest.raises(services.RoundError):
        services.build_teams(drawn_round, team_inspectors, actor=users["leader"])


def test_reassign_moves_a_site_and_reorders_both_routes(started_round, users):
    first, second = started_round.teams.order_by("name")
    entry = first.entries.order_by("route_order").first()
    moved = services.reassign_entry(entry, second, users["coordinator"])
    assert moved.team == second
    for team in (first, second):
        orders = sorted(team.entries.values_list("route_order", flat=True))
        assert orders == list(range(1, len(orders) + 1))
    assert AuditEntry.objects.filter(action="round.reassign").count() == 1
    accept_visit_with_finding(started_round, moved, users["inspector"], status="submitted")
    with pytest.raises(services.RoundError, match="已有测评记录"):
        services.reassign_entry(moved, first, users["coordinator"])


def test_reassign_refuses_a_team_of_another_round(started_round, users, org, round_standard):
    other = Team.objects.create(round=make_draft(org, users, round_standard), name="外组")
    with pytest.raises(services.RoundError, match="只能改派给本批次的小组"):
        services.reassign_entry(started_round.entries.first(), other, users["coordinator"])


def test_start_needs_every_site_on_a_team(drawn_round, users):
    with pytest.raises(services.RoundError, match="请先分组"):
        services.start_round(drawn_round, users["coordinator"])


def test_publish_lists_missing_visits_until_confirmed(started_round, users):
    entries = list(started_round.entries.order_by("draw_order"))
    for entry in entries[:-1]:
        accept_visit_with_finding(started_round, entry, users["inspector"])
    with pytest.raises(services.MissingVisits) as exc:
        services.publish_round(started_round, users["coordinator"])
    assert [e.pk for e in exc.value.entries] == [entries[-1].pk]
    assert entries[-1].site.code in exc.value.message
    assert Round.objects.get(pk=started_round.pk).status == RoundStatus.IN_PROGRESS
    accept_visit_with_finding(started_round, entries[-1], users["inspector"])
    services.publish_round(started_round, users["coordinator"])
    assert started_round.status == RoundStatus.PUBLISHED and started_round.published_at is not None
    assert set(Finding.objects.values_list("status", flat=True)) == {"ready"}


def test_publish_with_confirmation_keeps_unreviewed_findings_hidden(
    started_round, users, django_capture_on_commit_callbacks
):
    received: list[Any] = []

    def on_published(sender: Any, round: Round, **kwargs: Any) -> None:
        received.append(round.pk)

    services.round_published.connect(on_published)
    entries = list(started_round.entries.order_by("draw_order"))
    accept_visit_with_finding(started_round, entries[0], users["inspector"])
    accept_visit_with_finding(started_round, entries[1], users["inspector"], status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_round(started_round, users["coordinator"], confirm_missing=True)
    services.round_published.disconnect(on_published)
    assert received == [started_round.pk]
    statuses = dict(Finding.objects.values_list("site_id", "status"))
    # the ready finding went on to the case workflow at once (cases.intake, on round_published)
    assert statuses == {entries[0].site_id: "dispatched", entries[1].site_id: "hidden"}
    entry = AuditEntry.objects.get(action="round.publish")
    assert entry.detail["seed"] == started_round.seed and len(entry.detail["missing"]) == 6
    assert services.verify_round(started_round).ok
    with pytest.raises(services.RoundError):
        services.publish_round(started_round, users["coordinator"], confirm_missing=True)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("seed", "0" * 64, "种子承诺值"),
        ("eligible_snapshot", [], "候选点位承诺值"),
        ("params", {"type_quotas": {"ZD": 1}}, "参数承诺值"),
        ("commitment", "f" * 64, "总承诺值"),
    ],
)
def test_verify_names_what_was_tampered(published_round, field, value, named):
    Round.objects.filter(pk=published_round.pk).update(**{field: value})
    report = services.verify_round(published_round)
    assert not report.ok and named in report.mismatches


def test_verify_notices_a_swapped_site(published_round, registry):
    entry = published_round.entries.order_by("draw_order").first()
    unused = next(s for s in registry.values() if not published_round.entries.filter(site=s).exists())
    RoundSite.objects.filter(pk=entry.pk).update(site=unused)
    assert services.verify_round(published_round).mismatches == ["抽样结果"]
