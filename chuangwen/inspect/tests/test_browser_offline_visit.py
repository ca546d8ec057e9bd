"""Done-when of the phone app: a visit in a phone-sized browser with a fake position, offline in the middle,
kept on the phone (also across a reload served by the service worker), sent when the network returns, and
stored exactly once — also when the answers to the first sends are lost and everything is sent again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chuangwen.inspect.tests.phone import (  # noqa: F401  (fixtures)
    STORED_PHOTOS_JS,
    camera_photo,
    error_text,
    judge,
    open_app,
    open_site,
    phone_round,
    server_paths,
    shot,
    site_row,
    skip_without_api,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def fill_the_visit_half_offline(context: Any, page: Any, camera_photo: Path) -> None:  # noqa: F811
    """Judge the checklist of 西湖大道 (ZD-01 … ZD-07); the network goes away after the third item."""
    assert page.inner_text("[data-testid=protocol]") == "沿主路步行 500 米，双侧观察"
    assert "精度 ±12 米" in page.inner_text("[data-testid=position]")
    assert page.locator(".m-item").count() == 7
    judge(page, "ZD-01", "conforming")
    judge(page, "ZD-02", "not_conforming")
    page.click(".m-item[data-code='ZD-02'] .m-stepper__btn[aria-label='增加']")
    assert page.input_value(".m-item[data-code='ZD-02'] .m-stepper__value") == "2"
    page.fill(".m-item[data-code='ZD-02'] .m-item__note", "公交站旁垃圾两处")
    judge(page, "ZD-03", "conforming")

    context.set_offline(True)
    page.wait_for_selector("#sync[data-net=offline]")
    capture = page.locator(".m-item[data-code='ZD-02'] input[type=file]")
    assert capture.get_attribute("capture") == "environment"
    assert capture.get_attribute("accept") == "image/*"
    # Submitting too early names what is missing, in Chinese.
    page.click("[data-testid=submit]")
    errors = error_text(page)
    assert "第 4 项（ZD-04）尚未判定" in errors
    assert "ZD-02 判定为不符合时须至少拍 1 张照片" in errors
    shot(page, "visit-errors")

    capture.set_input_files(str(camera_photo))
    page.wait_for_selector(".m-item[data-code='ZD-02'] .m-thumb img")
    judge(page, "ZD-04", "not_applicable")
    for code in ["ZD-05", "ZD-06", "ZD-07"]:
        judge(page, code, "conforming")
    assert page.inner_text("[data-testid=progress]") == "已判定 7/7"
    # The list of problems follows the fixes.
    page.wait_for_selector("[data-testid=errors]", state="hidden")
    shot(page, "visit-filled")


def lose_first_response(counter: dict[str, int], kind: str) -> Callable[[Any], None]:
    """Let the first POST reach the server, then drop its answer (as a dying network would)."""

    def handler(route: Any) -> None:
        if route.request.method == "POST" and counter[kind] == 0:
            counter[kind] += 1
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    return handler


def sync_until_done(page: Any, row: str) -> None:
    for _ in range(4):
        if page.get_attribute(row, "data-status") == "done":
            return
        page.wait_for_selector("#sync-now:not([disabled])")
        page.click("#sync-now")
        page.wait_for_timeout(500)
    page.wait_for_selector(f"{row}[data-status=done]")


def test_an_offline_visit_is_submitted_exactly_once(
    browser: Any,
    live_server: Any,
    phone_round: Any,  # noqa: F811
    users: Any,
    sites: Any,
    camera_photo: Path,  # noqa: F811
    server_paths: list[str],  # noqa: F811
) -> None:
    from chuangwen.evidence.models import Evidence
    from chuangwen.rounds.models import Visit

    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    row = site_row(sites["west_road"])
    page.wait_for_selector(f"{row}[data-status=todo]")
    assert page.get_attribute(f"{row} [data-nav=geo]", "href").startswith("geo:30.05,120.02?q=")
    shot(page, "today")

    open_site(page, sites["west_road"])
    fill_the_visit_half_offline(context, page, camera_photo)
    [photo] = page.evaluate(STORED_PHOTOS_JS)
    assert (photo["width"], photo["height"], photo["type"]) == (2000, 1500, "image/jpeg")
    assert photo["lat"] == pytest.approx(30.0504)

    page.click("[data-testid=submit]")
    page.wait_for_selector(f"#app[data-view=today] {row}[data-status=outbox]")
    client_id = page.get_attribute(row, "data-client-id")
    assert page.inner_text("#sync-net") == "离线"
    assert page.inner_text("#sync-pending") == "待上传 1 · 照片 1"
    shot(page, "outbox-offline")

    # A reload without network: the service worker serves the shell; the outbox is still on the phone.
    seen = len(server_paths)
    page.reload()
    page.wait_for_selector(f"{row}[data-status=outbox]")
    assert page.inner_text("#sync-net") == "离线"
    assert page.inner_text("#sync-pending") == "待上传 1 · 照片 1"
    assert server_paths[seen:] == []
    assert Visit.objects.count() == 0 and Evidence.objects.count() == 0

    # Back online; the answer to the first POST of each kind is lost, so the phone sends both again.
    lost = {"evidence": 0, "visits": 0}
    page.route("**/api/v1/evidence", lose_first_response(lost, "evidence"))
    page.route("**/api/v1/inspect/visits", lose_first_response(lost, "visits"))
    context.set_offline(False)
    wait_until(page, lambda: lost["evidence"] == 1 and Evidence.objects.count() == 1)
    sync_until_done(page, row)
    assert lost == {"evidence": 1, "visits": 1}
    assert server_paths.count("POST /api/v1/evidence") == 2
    assert server_paths.count("POST /api/v1/inspect/visits") == 2
    assert page.inner_text("#sync-pending") == ""
    assert page.evaluate(STORED_PHOTOS_JS) == []  # sent photos leave the phone
    shot(page, "submitted")
    assert_stored_once(client_id, users["inspector"])

    # Another start-up sync, and the button: nothing more is sent, nothing is duplicated.
    page.unroute("**/api/v1/evidence")
    page.unroute("**/api/v1/inspect/visits")
    page.reload()
    page.wait_for_selector(f"{row}[data-status=done]")
    page.click("#sync-now")
    page.wait_for_timeout(1000)
    assert server_paths.count("POST /api/v1/inspect/visits") == 2
    assert_stored_once(client_id, users["inspector"])
    assert page_errors == []
    context.close()


def assert_stored_once(client_id: str, inspector: Any) -> None:
    from chuangwen.evidence.models import Evidence
    from chuangwen.rounds.models import Judgement, Visit

    assert Visit.objects.count() == 1
    visit = Visit.objects.get(client_id=client_id)
    assert (visit.inspector, visit.outcome) == (inspector, "done")
    assert visit.lat == pytest.approx(30.0504) and visit.lng == pytest.approx(120.0202)
    assert visit.accuracy_m == pytest.approx(12)
    assert visit.distance_m is not None and visit.distance_m < 100
    assert Judgement.objects.count() == 7
    results = {j.check_item.code: (j.result, j.count, j.note) for j in visit.judgements.all()}
    assert results["ZD-02"] == ("not_conforming", 2, "公交站旁垃圾两处")
    assert results["ZD-04"][0] == "not_applicable"
    conforming = sorted(code for code, (result, _, _) in results.items() if result == "conforming")
    assert conforming == ["ZD-01", "ZD-03", "ZD-05", "ZD-06", "ZD-07"]
    assert Evidence.objects.count() == 1
    photo = Evidence.objects.get()
    assert (photo.width, photo.height) == (2000, 1500)
    assert (photo.kind, photo.uploader) == ("problem", inspector)
    assert photo.lat == pytest.approx(30.0504) and photo.accuracy_m == pytest.approx(12)
    assert photo.visit_id == visit.pk
    # Taken in the app with the site's capture token (issued with the assignments) and the clock offset.
    assert photo.capture_state == "bound", photo.capture_detail
    assert photo.clock_offset_ms is not None and abs(photo.clock_offset_ms) < 5_000
