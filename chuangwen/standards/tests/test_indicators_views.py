"""The 测评体系 page and GET /api/v1/standards/{id}/indicators."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chuangwen.standards.services import load_default_standard
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def default(db: Any) -> Any:
    return load_default_standard()


def test_it_shows_every_method_of_the_tree_on_one_page(users, default, django_assert_max_num_queries):
    client = client_for(users["east_handler"])
    with django_assert_max_num_queries(20):  # the tree comes in a fixed number of queries, not one per node
        response = client.get(reverse("standards:tree", args=[default.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("01 理想信念与思想道德建设", "01-03 未成年人思想道德建设", "08 负面清单", "满分"):
        assert text in html
    row = html[html.index('id="indicator-01-03-01"') :]
    row = row[: row.index("</tr>")]
    assert "01-03-01" in row and "校门 200 米范围内无网吧" in row
    assert 'data-method="online">网上申报' in row and 'data-method="field">实地考察' in row
    assert "XX-01</a> 校门 200 米内无网吧、游戏厅、歌舞娱乐场所" in row
    assert "情况说明、实景图片" in row
    assert 'data-method="survey">问卷调查' in html and 'data-method="negative">负面清单' in html


def test_it_totals_points_per_project_and_per_method(users, default):
    html = client_for(users["leader"]).get(reverse("standards:tree", args=[default.pk])).content.decode()
    totals = html[html.index('id="method-totals"') :]
    totals = totals[: totals.index("</table>")]
    assert "负面清单" in totals and "实地考察" in totals
    assert "负面清单扣分" in html  # the negative group's points are shown apart from the full score


def test_it_links_the_tree_from_the_detail_page(users, default):
    html = client_for(users["inspector"]).get(reverse("standards:detail", args=[default.pk])).content.decode()
    assert reverse("standards:tree", args=[default.pk]) in html and "条测评标准" in html


def test_it_says_when_a_version_has_no_tree(users, starter):
    html = client_for(users["inspector"]).get(reverse("standards:tree", args=[starter.pk])).content.decode()
    assert "该版本尚未设置测评项目" in html


def test_the_page_needs_login_and_a_real_version(users, default):
    assert Client().get(reverse("standards:tree", args=[default.pk])).status_code == 302
    assert client_for(users["inspector"]).get(reverse("standards:tree", args=[9999])).status_code == 404


def test_the_api_returns_the_tree(users, default):
    response = client_for(users["west_handler"]).get(f"/api/v1/standards/{default.pk}/indicators")
    assert response.status_code == 200
    body = response.json()
    assert (body["standard_id"], body["code"], body["version"]) == (default.pk, "CW-2026", 1)
    assert [p["code"] for p in body["projects"]][:2] == ["01", "02"] and len(body["projects"]) == 8
    minors = next(c for c in body["projects"][0]["contents"] if c["code"] == "01-03")
    first = minors["indicators"][0]
    assert first["code"] == "01-03-01" and first["methods"] == ["online", "field"]
    assert first["method_labels"] == ["网上申报", "实地考察"] and first["check_items"] == ["XX-01"]
    assert first["material_types"] == ["account", "photo"] and first["window_months"] == 12
    assert isinstance(first["points"], float)
    assert body["full_points"] == sum(p["points"] for p in body["projects"])


def test_the_api_answers_404_and_401(users, default):
    response = client_for(users["west_handler"]).get("/api/v1/standards/9999/indicators")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Client().get(f"/api/v1/standards/{default.pk}/indicators").status_code == 401
