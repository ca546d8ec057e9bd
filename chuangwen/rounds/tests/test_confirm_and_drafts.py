"""Actions that cannot be undone ask first; teams are not silently replaced; drafts can be edited and deleted;
every new page and action is a plain 404 for anyone who may not know the round."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.rounds.models import Round, RoundStatus, Team
from conftest import client_for

pytestmark = pytest.mark.django_db
OUTSIDERS = ("west_handler", "leader", "east_handler", "verifier", "admin")


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
        yield


def test_it_asks_before_drawing(users: Any, draft_round: Any) -> None:
    client = client_for(users["coordinator"])
    page = client.post(reverse("rounds:draw", args=[draft_round.pk]))
    html = page.content.decode()
    draft_round.refresh_from_db()
    assert page.status_code == 200 and draft_round.status == RoundStatus.DRAFT and not draft_round.seed
    assert "将被冻结" in html and "申报点位占比不超过测评标准规定的 0.3" in html
    client.post(reverse("rounds:draw", args=[draft_round.pk]), {"confirmed": "yes"})
    draft_round.refresh_from_db()
    assert draft_round.status == RoundStatus.DRAWN


def test_it_asks_before_publishing_a_round(users: Any, started_round: Any) -> None:
    client = client_for(users["coordinator"])
    url = reverse("rounds:publish", args=[started_round.pk])
    html = client.post(url, {"confirm_missing": "on"}).content.decode()
    started_round.refresh_from_db()
    assert started_round.status == RoundStatus.IN_PROGRESS
    assert "公开随机种子" in html and "发布不可撤销" in html and 'id="missing"' in html
    client.post(url, {"confirm_missing": "on", "confirmed": "yes"})
    started_round.refresh_from_db()
    assert started_round.status == RoundStatus.PUBLISHED


def test_it_ticks_only_current_members_and_asks_before_replacing_teams(
    users: Any, drawn_round: Any, team_inspectors: list[Any]
) -> None:
    client = client_for(users["coordinator"])
    url = reverse("rounds:teams", args=[drawn_round.pk])
    first = [str(p.pk) for p in team_inspectors[:2]]
    client.post(url, {"inspectors": first, "team_size": "2"})
    team = Team.objects.get(round=drawn_round)
    html = client.get(reverse("rounds:detail", args=[drawn_round.pk])).content.decode()
    assert 'id="current-teams"' in html
    for person in team_inspectors:
        ticked = f'value="{person.pk}" ' in html and "checked" in html.split(f'value="{person.pk}"')[1][:80]
        assert ticked == (str(person.pk) in first), person.username
    everyone = [str(p.pk) for p in team_inspectors]
    page = client.post(url, {"inspectors": everyone, "team_size": "2"})
    assert "确认替换现有小组" in page.content.decode() and "inspector4" in page.content.decode()
    assert list(Team.objects.filter(round=drawn_round)) == [team]
    client.post(url, {"inspectors": everyone, "team_size": "2", "confirmed": "yes"})
    assert Team.objects.filter(round=drawn_round).count() == 2


def test_it_edits_a_draft_and_audits_it(users: Any, draft_round: Any, round_standard: Any) -> None:
    client = client_for(users["coordinator"])
    url = reverse("rounds:edit", args=[draft_round.pk])
    html = client.get(url).content.decode()
    assert 'value="2026年12月暗访"' in html and 'name="quota_ZD" value="3"' in html
    data = {
        "standard": round_standard.pk,
        "name": "改期后的暗访",
        "kind": "unannounced",
        "period_start": "2026-12-02",
        "period_end": "2026-12-06",
        "max_distance_m": "200",
        "quota_ZD": "4",
        "declared_cap": "0.2",
    }
    response = client.post(url, data)
    draft_round.refresh_from_db()
    assert response.status_code == 302 and draft_round.name == "改期后的暗访"
    assert draft_round.params["type_quotas"] == {"ZD": 4} and draft_round.params["declared_cap"] == "0.2"
    entry = AuditEntry.objects.get(action="round.update", object_id=str(draft_round.pk))
    assert "name" in entry.detail["changed"] and "params" in entry.detail["changed"]


def test_it_summarises_form_errors_at_the_top(users: Any, draft_round: Any, round_standard: Any) -> None:
    client = client_for(users["coordinator"])
    data = {"standard": round_standard.pk, "name": "", "kind": "unannounced", "max_distance_m": "5"}
    html = client.post(reverse("rounds:edit", args=[draft_round.pk]), data).content.decode()
    summary = html.split('id="form-errors"')[1].split("</div>")[0]
    for label in ("批次名称", "开始日期", "结束日期", "到场距离上限（米）"):
        assert label in summary, label
    assert 'href="#id_name"' in summary
    draft_round.refresh_from_db()
    assert draft_round.name == "2026年12月暗访"


def test_it_deletes_a_draft_after_confirmation(users: Any, draft_round: Any) -> None:
    client = client_for(users["coordinator"])
    url = reverse("rounds:delete", args=[draft_round.pk])
    assert "确认删除草稿" in client.post(url).content.decode() and Round.objects.exists()
    response = client.post(url, {"confirmed": "yes"})
    assert response.status_code == 302 and not Round.objects.exists()
    entry = AuditEntry.objects.get(action="round.delete")
    assert entry.detail["name"] == "2026年12月暗访"


def test_it_refuses_to_edit_or_delete_a_drawn_round(users: Any, drawn_round: Any) -> None:
    client = client_for(users["coordinator"])
    edit = client.get(reverse("rounds:edit", args=[drawn_round.pk]), follow=True)
    assert "只有草稿状态的批次可以编辑" in edit.content.decode()
    delete = client.post(reverse("rounds:delete", args=[drawn_round.pk]), {"confirmed": "yes"}, follow=True)
    assert "只有草稿状态的批次可以删除" in delete.content.decode() and Round.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["round.update", "round.delete"]).exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_it_hides_the_new_pages_of_a_secret_round(who: str, users: Any, draft_round: Any) -> None:
    client = client_for(users[who])
    pk = draft_round.pk
    assert client.get(reverse("rounds:edit", args=[pk])).status_code == 404
    for name in ("edit", "delete", "draw", "publish", "teams"):
        response = client.post(reverse(f"rounds:{name}", args=[pk]), {"confirmed": "yes", "name": "x"})
        assert response.status_code == 404, name
    assert client.post(reverse("visits:accept_clean", args=[pk])).status_code == 404
    draft_round.refresh_from_db()
    assert draft_round.status == RoundStatus.DRAFT and draft_round.name == "2026年12月暗访"
