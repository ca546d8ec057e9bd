"""The leader overview, its big screen, its JSON and the API: who may open them and what they show."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["west_handler", "west_head", "inspector", "verifier", "admin"])
def test_it_refuses_everyone_but_leaders_and_coordinators(
    world: dict[str, Any], users: dict[str, Any], who: str
) -> None:
    client = client_for(users[who])
    for url in ("/dashboards/", "/dashboards/?screen=1", "/dashboards/screen/", "/dashboards/heatmap/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/dashboards/data.json").status_code == 403
    assert client.get("/dashboards/heatmap.json").status_code == 403
    api = client.get("/api/v1/dashboards/overview")
    assert api.status_code == 403 and api.json()["code"] == "refused"


def test_it_shows_the_leader_the_district(world: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["leader"])
    page = client.get("/dashboards/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="mean_score">86.67<' in html
    assert 'data-figure="overdue">1<' in html
    assert 'data-figure="disposal_rate">20.0%<' in html
    assert "西湖街道" in html and "东城街道" in html  # sub-units
    assert 'id="dash-map"' in html and "/cases/map.geojson" in html
    assert "vendor/echarts/echarts.min.js" in html
    data = client.get("/dashboards/data.json").json()
    assert data["indicators"]["mean_score"] == pytest.approx(86.67)
    assert [c["category"] for c in data["categories"]] == ["环境卫生", "交通秩序"]
    assert client.get("/api/v1/dashboards/overview").json() == data


def test_it_serves_the_big_screen(world: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["coordinator"])
    for url in ("/dashboards/screen/", "/dashboards/?screen=1"):
        html = client.get(url).content.decode()
        assert 'class="cw-screen"' in html and 'data-refresh-seconds="300"' in html
        assert 'data-theme="dark"' in html and 'data-figure="mean_score">86.67<' in html


def test_it_shows_a_street_coordinator_only_his_street(world: dict[str, Any]) -> None:
    client = client_for(world["west_coord"])
    html = client.get("/dashboards/").content.decode()
    assert 'data-figure="mean_score">80.00<' in html
    assert 'data-figure="open">3<' in html
    assert "东门老旧小区" not in html and "东城街道" not in html
    data = client.get("/dashboards/data.json").json()
    assert data["unit"]["name"] == "西湖街道"
    assert [row["code"] for row in data["worst_sites"]] == ["P0001", "P0002"]
    assert data["indicators"]["lights"] == {"red": 1, "yellow": 0, "green": 1}


def test_it_links_leaders_and_coordinators_to_the_dashboards(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    for who in ("leader", "coordinator"):
        assert 'href="/dashboards/"' in client_for(users[who]).get("/").content.decode()
    assert 'href="/dashboards/"' not in client_for(users["west_handler"]).get("/").content.decode()


def test_it_shows_the_latest_published_street_ranking(world: dict[str, Any], users: dict[str, Any]) -> None:
    from django.utils import timezone

    from chuangwen.rankings.compute import Period
    from chuangwen.rankings.services import publish

    client = client_for(users["leader"])
    assert "尚未发布排名" in client.get("/dashboards/").content.decode()
    ranking = publish(Period.for_month(timezone.localdate()), "street", users["coordinator"])
    html = client.get("/dashboards/").content.decode()
    assert 'id="latest-ranking"' in html and ranking.title in html and f"/rankings/{ranking.pk}/" in html
    for row in ranking.rows.all():
        assert row.unit_name in html


def test_it_exports_the_overview_tables(world: dict[str, Any], users: dict[str, Any]) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from chuangwen.audit.models import AuditEntry

    client = client_for(users["leader"])
    page = client.get("/dashboards/").content.decode()
    assert "/dashboards/export/worst.xlsx" in page
    worst = client.get("/dashboards/export/worst.csv")
    rows = list(csv.reader(io.StringIO(worst.content.decode("utf-8-sig"))))
    shown = client.get("/dashboards/data.json").json()
    assert rows[0][:3] == ["点位编码", "点位", "最近得分"]
    assert [r[0] for r in rows[1:]] == [s["code"] for s in shown["worst_sites"]] != []
    book = load_workbook(io.BytesIO(client.get("/dashboards/export/children.xlsx").content))
    sheet = book.active
    assert sheet is not None and sheet.title == "下级单位"
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"西湖街道", "东城街道"} <= names
    for table in ("categories", "hotspots"):
        assert client.get(f"/dashboards/export/{table}.xlsx").status_code == 200
    assert client.get("/dashboards/export/nothing.xlsx").status_code == 404
    assert client.get("/dashboards/export/worst.pdf").status_code == 404
    assert AuditEntry.objects.filter(action="dashboard.export").count() == 4
    assert client_for(users["west_handler"]).get("/dashboards/export/worst.xlsx").status_code == 403
