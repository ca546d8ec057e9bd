"""The coordinator's home lists the big screen and the heat map as links of their own, no stray brackets."""

from __future__ import annotations

from typing import Any

from conftest import client_for


def test_it_shows_the_screen_and_heatmap_links_without_stray_punctuation(users: dict[str, Any]) -> None:
    html = client_for(users["coordinator"]).get("/").content.decode()
    assert 'href="/dashboards/screen/">大屏</a></li>' in html
    assert 'href="/dashboards/heatmap/">问题热力图</a></li>' in html
    assert "数据看板</a>（" not in html and "大屏</a>、" not in html and "问题热力图</a>）" not in html
