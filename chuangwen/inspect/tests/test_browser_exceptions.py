"""The phone app's other paths in a real browser: a refused visit far from its site (reason, photo, distance
reason), and a visit the server refuses (shown as 需处理, sent back to the form, never stored twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chuangwen.inspect.tests.phone import (  # noqa: F401  (fixtures)
    camera_photo,
    error_text,
    judge,
    open_app,
    open_site,
    phone_round,
    shot,
    site_row,
    skip_without_api,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refused_visit_far_from_the_site_needs_reasons_and_a_photo(
    browser: Any,
    live_server: Any,
    phone_round: Any,  # noqa: F811
    users: Any,
    sites: Any,
    camera_photo: Path,  # noqa: F811
) -> None:
    from chuangwen.evidence.models import Evidence
    from chuangwen.rounds.models import Visit

    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    market = sites["west_market"]
    page.wait_for_selector(f"{site_row(market)}[data-status=todo]")
    open_site(page, market)
    assert page.get_attribute(".m-position", "data-far") == "true"
    assert "距点位超过 300 米，须填写说明" in page.inner_text(".m-position")
    assert page.locator("textarea[name=far_reason]").is_visible()

    page.click(".m-exception [data-outcome=refused]")
    page.wait_for_selector(".m-exception--active[data-outcome=refused]")
    assert page.locator(".m-item").count() == 0
    page.click("[data-testid=submit]")
    errors = error_text(page)
    assert "请填写拒访原因" in errors
    assert "拒访须至少拍 1 张现场照片" in errors
    assert "超过 300 米，请填写距离说明" in errors

    page.fill("textarea[name=exception_reason]", "市场管理方拒绝督查员进入")
    page.locator("input[data-capture=exception]").set_input_files(str(camera_photo))
    page.wait_for_selector(".m-exception .m-thumb img")
    page.fill("textarea[name=far_reason]", "市场坐标有误，入口在北侧")
    page.wait_for_selector("[data-testid=errors]", state="hidden")
    shot(page, "refused")
    page.click("[data-testid=submit]")
    page.wait_for_selector(f"{site_row(market)}[data-status=done]")

    visit = Visit.objects.get()
    assert (visit.site, visit.outcome) == (market, "refused")
    assert visit.exception_reason == "市场管理方拒绝督查员进入"
    assert visit.far_reason == "市场坐标有误，入口在北侧"
    assert visit.distance_m is not None and visit.distance_m > 300
    photo = Evidence.objects.get()
    assert (photo.kind, photo.visit_id) == ("exception", visit.pk)
    assert page_errors == []
    context.close()


def test_a_visit_the_server_refuses_goes_back_to_the_form(
    browser: Any,
    live_server: Any,
    phone_round: Any,  # noqa: F811
    users: Any,
    sites: Any,
) -> None:
    from chuangwen.rounds.models import Visit

    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    road = sites["west_road"]
    page.wait_for_selector(f"{site_row(road)}[data-status=todo]")
    open_site(page, road)
    for code in ["ZD-01", "ZD-02", "ZD-03", "ZD-04", "ZD-05", "ZD-06", "ZD-07"]:
        judge(page, code, "conforming")
    # Meanwhile the coordinator tightens the distance rule: the phone (about 45 m away) did not know.
    phone_round.params = {"max_distance_m": 20}
    phone_round.save(update_fields=["params"])
    page.click("[data-testid=submit]")
    page.wait_for_selector(f"{site_row(road)}[data-status=error]")
    assert "需处理" in page.inner_text(site_row(road))
    assert page.inner_text("#sync-pending") == "待上传 1"
    assert not Visit.objects.exists()

    page.click(f"{site_row(road)} .m-site__main")
    page.wait_for_selector("#app[data-view=sent] .m-sent[data-status=error]")
    refused = page.inner_text(".m-sent")
    assert "服务器未接受本次测评" in refused
    assert "米" in refused  # the server's own Chinese reason about the distance
    shot(page, "server-refused")

    # Back to the form with every judgement kept; the new rule now asks for the reason on the phone.
    page.click("[data-testid=edit-again]")
    page.wait_for_selector("#app[data-view=visit]")
    assert page.inner_text("[data-testid=progress]") == "已判定 7/7"
    assert page.inner_text("#sync-pending") == ""
    page.wait_for_selector(".m-position[data-far=true]")
    page.fill("textarea[name=far_reason]", "路口施工，只能在对面观察")
    page.click("[data-testid=submit]")
    page.wait_for_selector(f"{site_row(road)}[data-status=done]")
    visit = Visit.objects.get()
    assert visit.far_reason == "路口施工，只能在对面观察"
    assert visit.judgements.count() == 7
    assert page_errors == []
    context.close()
