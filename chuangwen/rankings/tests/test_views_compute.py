"""The coordinator's compute-and-publish page: a live preview that stores nothing, and publication once."""

from __future__ import annotations

from typing import Any

from chuangwen.rankings.models import Ranking
from conftest import client_for


def test_it_previews_without_storing(scored: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["coordinator"])
    page = client.get(f"/rankings/compute/?period=round:{scored['round'].pk}&level=street")
    assert page.status_code == 200
    assert 'id="preview-table"' in page.content.decode() and "西湖街道" in page.content.decode()
    assert not Ranking.objects.exists()


def test_it_refuses_everyone_but_coordinators(scored: dict[str, Any], users: dict[str, Any]) -> None:
    for name in ("leader", "west_head", "east_handler"):
        assert client_for(users[name]).get("/rankings/compute/").status_code == 403


def test_it_publishes_once_and_refuses_the_second_time(scored: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["coordinator"])
    data = {"period": f"round:{scored['round'].pk}", "level": "street", "confirmed": "yes"}
    first = client.post("/rankings/compute/", data)
    ranking = Ranking.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/rankings/{ranking.pk}/"
    second = client.post("/rankings/compute/", data)
    assert second.status_code == 400
    assert "该周期的排名已发布，发布后不再更改" in second.content.decode()
    assert Ranking.objects.count() == 1


def test_it_refuses_an_unpublished_round_as_a_period(scored: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.rounds.models import Round

    Round.objects.filter(pk=scored["round"].pk).update(status="in_progress")
    page = client_for(users["coordinator"]).get(f"/rankings/compute/?period=round:{scored['round'].pk}")
    assert page.status_code == 400 and "请选择已发布的测评批次或月份" in page.content.decode()


def test_it_asks_for_confirmation_before_publishing(scored: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["coordinator"])
    data = {"period": f"round:{scored['round'].pk}", "level": "street"}
    page = client.post("/rankings/compute/", data)
    html = page.content.decode()
    assert page.status_code == 200 and not Ranking.objects.exists()
    assert "不再更改" in html and 'name="confirmed" value="yes"' in html
    assert client.post("/rankings/compute/", {**data, "confirmed": "yes"}).status_code == 302
    assert Ranking.objects.count() == 1
