"""Round pages: the list, the create form, the round page and its actions, the public verification page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chuangwen.rounds.models import Round, RoundStatus, Team
from chuangwen.rounds.tests.round_fixtures import accept_visit_with_finding
from conftest import client_for

pytestmark = pytest.mark.django_db


def form_data(standard: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "standard": standard.pk,
        "name": "2027年1月暗访",
        "kind": "unannounced",
        "period_start": "2027-01-04",
        "period_end": "2027-01-08",
        "target_unit": "",
        "inspecting_unit": "",
        "max_distance_m": "300",
        "quota_ZD": "2",
        "quota_NM": "1",
        "declared_cap": "0.3",
        "street_S01": "2",
    }
    data.update(extra)
    return data


def test_list_and_create_button(users, drawn_round):
    html = client_for(users["coordinator"]).get(reverse("rounds:list")).content.decode()
    assert (
        drawn_round.name in html and reverse("rounds:create") in html and drawn_round.commitment[:8] in html
    )
    html = client_for(users["inspector"]).get(reverse("rounds:list")).content.decode()
    assert "暂无可查看的测评批次" in html and reverse("rounds:create") not in html


def test_create_form_has_a_field_per_site_type_and_street(users, round_standard, org):
    client = client_for(users["coordinator"])
    html = client.get(reverse("rounds:create")).content.decode()
    for name in ("quota_ZD", "quota_NM", "quota_XX", "street_S01", "street_S02", "max_distance_m"):
        assert f'name="{name}"' in html
    assert client_for(users["leader"]).get(reverse("rounds:create")).status_code == 403


def test_create_posts_a_draft(users, round_standard, org, registry):
    client = client_for(users["coordinator"])
    response = client.post(reverse("rounds:create"), form_data(round_standard))
    round_ = Round.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rounds:detail", args=[round_.pk])
    assert round_.params["type_quotas"] == {"ZD": 2, "NM": 1}
    assert round_.params["street_quotas"] == {"S01": 2} and round_.params["max_distance_m"] == 300
    assert round_.target_unit == org["district"] and round_.created_by == users["coordinator"]


def test_create_shows_service_errors(users, round_standard):
    client = client_for(users["coordinator"])
    response = client.post(
        reverse("rounds:create"), form_data(round_standard, declared_cap="1.5", quota_ZD="")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Round.objects.exists()
    assert "申报点位占比上限必须在 0 到 1 之间" in html
    response = client.post(reverse("rounds:create"), form_data(round_standard, quota_ZD="-1"))
    assert "errorlist" in response.content.decode() and not Round.objects.exists()
    response = client.post(
        reverse("rounds:create"),
        form_data(round_standard, kind="peer_check", target_unit="", inspecting_unit=""),
    )
    assert "互查的测评单位和被测评单位都必须是本辖区内的街道" in response.content.decode()


def test_the_whole_lifecycle_through_the_pages(users, draft_round, team_inspectors):
    client = client_for(users["coordinator"])
    url = reverse("rounds:detail", args=[draft_round.pk])
    assert 'id="btn-draw"' in client.get(url).content.decode()
    client.post(reverse("rounds:draw", args=[draft_round.pk]), {"confirmed": "yes"})
    draft_round.refresh_from_db()
    html = client.get(url).content.decode()
    assert draft_round.status == RoundStatus.DRAWN and draft_round.commitment in html
    assert 'id="round-map"' in html and "重新计算校验：一致" in html and draft_round.seed not in html
    pks = [str(u.pk) for u in team_inspectors]
    client.post(reverse("rounds:teams", args=[draft_round.pk]), {"inspectors": pks, "team_size": "2"})
    assert Team.objects.filter(round=draft_round).count() == 2
    html = client.get(url).content.decode()
    assert 'id="round-teams"' in html and "inspector2" in html and 'id="btn-start"' in html
    client.post(reverse("rounds:start", args=[draft_round.pk]))
    entry = draft_round.entries.order_by("draw_order").first()
    accept_visit_with_finding(draft_round, entry, users["inspector"])
    response = client.post(
        reverse("rounds:publish", args=[draft_round.pk]), {"confirmed": "yes"}, follow=True
    )
    assert "还有 6 个抽中点位没有已采纳的测评" in response.content.decode()
    assert 'id="missing"' in response.content.decode()
    response = client.post(
        reverse("rounds:publish", args=[draft_round.pk]),
        {"confirm_missing": "on", "confirmed": "yes"},
        follow=True,
    )
    draft_round.refresh_from_db()
    html = response.content.decode()
    assert draft_round.status == RoundStatus.PUBLISHED and draft_round.seed in html
    assert reverse("visits:round", args=[draft_round.pk]) in html
    assert reverse("visits:detail", args=[entry.site.visits.get().pk]) in html
    assert reverse("rounds:verify", args=[draft_round.public_id]) in html


def test_reassign_from_the_page(users, started_round):
    client = client_for(users["coordinator"])
    first, second = started_round.teams.order_by("name")
    entry = first.entries.first()
    url = reverse("rounds:reassign", args=[started_round.pk, entry.pk])
    html = client.get(reverse("rounds:detail", args=[started_round.pk])).content.decode()
    assert url in html
    response = client.post(url, {"team": second.pk}, follow=True)
    entry.refresh_from_db()
    assert entry.team == second and "已改派给第2组" in response.content.decode()
    response = client.post(url, {"team": 999999}, follow=True)
    assert "请选择本批次的一个小组" in response.content.decode()


def test_refused_actions_show_the_reason(users, drawn_round):
    client = client_for(users["coordinator"])
    response = client.post(reverse("rounds:start", args=[drawn_round.pk]), follow=True)
    assert "请先分组" in response.content.decode()
    response = client.post(reverse("rounds:teams", args=[drawn_round.pk]), {"team_size": "2"}, follow=True)
    assert "分组失败" in response.content.decode()
    assert client.get(reverse("rounds:draw", args=[drawn_round.pk])).status_code == 405


def test_public_verification_page(published_round, registry):
    client = Client()
    url = reverse("rounds:verify", args=[published_round.public_id])
    html = client.get(url).content.decode()
    assert (
        "<strong>一致</strong>" in html
        and published_round.seed in html
        and published_round.commitment in html
    )
    assert 'id="snapshot-size">18<' in html
    for entry in published_round.entries.all():
        assert entry.site.code in html
    data = client.get(reverse("rounds:verify-data", args=[published_round.public_id])).json()
    assert data["seed"] == published_round.seed and len(data["eligible"]) == 18
    assert data["sample"] == [e.site.code for e in published_round.entries.order_by("draw_order")]
    assert data["commitments"]["combined"] == published_round.commitment
    Round.objects.filter(pk=published_round.pk).update(seed="1" * 64)
    html = client.get(url).content.decode()
    assert "<strong>不一致</strong>" in html and "种子承诺值" in html
