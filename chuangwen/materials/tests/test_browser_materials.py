"""One material through 网上申报 in a real browser: the clerk uploads a PDF on the task page and submits
it, the unit head approves it on the review page, the 网申组 returns it with a comment, the clerk reads the
comment, uploads a replacement and resubmits, the head approves, the 网申组 passes it, and the board shows
the cell 已通过. No page throws and the console stays free of errors (a Content-Security-Policy refusal
would show there)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.materials.models import Material, MaterialState
from chuangwen.materials.tests import samples
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def sign_in(browser: Any, live_server: Any, username: str, problems: list[str]) -> Any:
    page = browser.new_context(locale="zh-CN").new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: problems.append(f"{username} pageerror: {error}"))
    page.on(
        "console", lambda m: problems.append(f"{username} console: {m.text}") if m.type == "error" else None
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def approve_all(page: Any, url: str, done: str) -> None:
    """Tick every row of the review queue and approve them at once."""
    page.goto(url)
    page.locator("#review-table input[name=material]").first.check()
    page.click("#bulk-pass")
    page.wait_for_selector(f".cw-messages :text('{done}')")


def test_it_takes_a_material_from_upload_through_a_return_to_passed(
    browser: Any, live_server: Any, material_tasks: Any, clerks: Any, users: Any, tmp_path: Any
) -> None:
    task = material_tasks["01-01-01"]
    period = task.period
    review = f"{live_server.url}/materials/periods/{period.pk}/review/"
    problems: list[str] = []
    first = tmp_path / "活动方案.pdf"
    first.write_bytes(samples.pdf_bytes("法治宣传教育活动方案"))
    second = tmp_path / "活动方案（含签到表）.pdf"
    second.write_bytes(samples.pdf_bytes("法治宣传教育活动方案 签到表"))

    clerk = sign_in(browser, live_server, "west_clerk", problems)
    clerk.goto(f"{live_server.url}/materials/")
    clerk.click("#my-tasks a:text('01-01-01')")
    clerk.select_option("#id_kind", "document")
    clerk.fill("#id_activity_date", "2026-06-01")
    clerk.set_input_files("#id_file", str(first))
    clerk.click("#upload-button")
    clerk.wait_for_selector(".cw-messages :text('已上传 1 份材料')")
    clerk.click("#submit-drafts-button")
    clerk.wait_for_selector("#task-materials [data-state=submitted]")

    head = sign_in(browser, live_server, "west_head", problems)
    approve_all(head, review, "已审核通过 1 份材料")

    coordinator = sign_in(browser, live_server, "coord", problems)
    coordinator.goto(review)
    row = coordinator.locator("#review-table tbody tr").first
    row.locator("input[name=comment]").fill("缺少活动签到表")
    row.locator("button:text('退回')").click()
    coordinator.wait_for_selector(".cw-messages :text('已退回')")

    clerk.goto(f"{live_server.url}/materials/tasks/{task.pk}/")
    clerk.click("#task-materials a:text('活动方案')")
    assert "缺少活动签到表" in clerk.inner_text("#last-comment")
    clerk.set_input_files("#replace-form input[type=file]", str(second))
    clerk.click("#replace-button")
    clerk.wait_for_selector(".cw-messages :text('已更换材料')")
    clerk.click("form[data-action=resubmit] button[type=submit]")  # htmx swaps the review box in place
    clerk.wait_for_function(
        "() => document.querySelector('#material-state').textContent.includes('待单位审核')"
    )

    approve_all(head, review, "已审核通过 1 份材料")
    approve_all(coordinator, review, "已审核通过 1 份材料")
    material = Material.objects.get()
    assert material.state == MaterialState.PASSED and material.version == 2

    coordinator.goto(f"{live_server.url}/materials/periods/{period.pk}/board/")
    cell = coordinator.locator("tr[data-indicator='01-01-01'] td[data-unit='S01']")
    assert cell.get_attribute("data-standing") == "passed" and cell.inner_text().strip() == "已通过"
    assert problems == []
