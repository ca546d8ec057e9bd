"""A volunteer's first activity in a real browser on a phone: registers, signs up, checks in and out at the
place with the code the organiser's QR screen shows, the organiser confirms the hours, and the volunteer's
own page shows them with the progress to the first star. No page throws and the console stays free of errors
(a Content-Security-Policy refusal would show there)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from chuangwen.volunteers.models import HoursState, SignUp, Volunteer
from chuangwen.volunteers.tests.fixtures import PASSWORD, PLACE, activity, id_number, team
from chuangwen.volunteers.tests.fixtures_activities import STARTS
from conftest import PASSWORD as STAFF_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_VIEWPORT = {"width": 390, "height": 844}


def watch(page: Any, who: str, problems: list[str]) -> Any:
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: problems.append(f"{who} pageerror: {error}"))
    page.on("console", lambda m: problems.append(f"{who} console: {m.text}") if m.type == "error" else None)
    return page


def test_a_volunteer_registers_serves_and_sees_the_confirmed_hours(
    browser: Any, live_server: Any, org: dict[str, Any], users: dict[str, Any]
) -> None:
    problems: list[str] = []
    # A 25-minute activity: each move of the clock stays inside the sessions' idle timeout.
    with time_machine.travel(STARTS - timedelta(minutes=10), tick=True) as clock:
        a = activity(team(org), users["west_handler"], STARTS, hours=1, now=STARTS - timedelta(days=1))
        a.ends_at = STARTS + timedelta(minutes=25)
        a.save(update_fields=["ends_at"])
        phone = watch(
            browser.new_context(
                locale="zh-CN",
                viewport=PHONE_VIEWPORT,
                is_mobile=True,
                has_touch=True,
                geolocation={"latitude": PLACE[0] + 0.0003, "longitude": PLACE[1], "accuracy": 15},
                permissions=["geolocation"],
            ).new_page(),
            "phone",
            problems,
        )
        phone.goto(f"{live_server.url}/v/register/")
        phone.fill("#name", "王五")
        phone.fill("#phone", "13955556666")
        phone.fill("#id_number", id_number(31))
        phone.select_option("#unit", str(org["west_c"].pk))
        phone.check("input[name=skills][value=文明劝导]")
        phone.check("input[name=availability][value=周末]")
        phone.fill("#password", PASSWORD)
        phone.fill("#password2", PASSWORD)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
        phone.click("#register-submit")
        phone.wait_for_url(f"{live_server.url}/v/me/")
        number = Volunteer.objects.get().number
        assert phone.inner_text("#number") == number and phone.inner_text("#phone") == "139****6666"

        phone.goto(f"{live_server.url}/v/activities/")
        phone.click(f"li[data-activity='{a.pk}'] a")
        phone.click("#signup-form button")
        phone.wait_for_selector("#my-signup[data-state=signed]")

        organiser = watch(browser.new_context(locale="zh-CN").new_page(), "organiser", problems)
        organiser.goto(f"{live_server.url}/accounts/login/")
        organiser.fill("input[name=username]", "west_handler")
        organiser.fill("input[name=password]", STAFF_PASSWORD)
        organiser.click("form button[type=submit]")
        organiser.wait_for_url(f"{live_server.url}/")

        def scan(action: str, at: Any) -> str:
            clock.move_to(at)
            organiser.goto(f"{live_server.url}/volunteers/activities/{a.pk}/qr/")
            organiser.wait_for_function(
                "() => { const img = document.querySelector('#qr');"
                " return img !== null && img.complete && img.naturalWidth > 0; }"
            )
            code = organiser.inner_text("#qr-code").strip()
            phone.goto(f"{live_server.url}/v/checkin/{a.pk}/?c={code}")
            phone.click(f"#check-{action}")
            phone.wait_for_selector("#checkin-result[data-kind=ok], #checkin-result[data-kind=error]")
            return str(phone.inner_text("#checkin-result"))

        shown = scan("in", STARTS - timedelta(minutes=2))  # early: the hours count from the start
        assert "签到成功" in shown, shown
        shown = scan("out", STARTS + timedelta(minutes=26))
        assert "签退成功" in shown and "25 分钟" in shown, shown

        organiser.goto(f"{live_server.url}/volunteers/activities/{a.pk}/")
        row = organiser.locator(f"tr[data-volunteer='{number}']")
        assert row.get_attribute("data-hours") == "pending"
        row.locator("form.vo-confirm button[type=submit]").click()
        organiser.wait_for_selector(f"tr[data-volunteer='{number}'][data-hours=confirmed]")
        assert SignUp.objects.get().hours_state == HoursState.CONFIRMED

        phone.goto(f"{live_server.url}/v/me/")
        assert phone.inner_text("#hours-total") == "0.4"
        assert phone.inner_text("#next-star") == "距 1 星还需 99.6 小时"
        assert "已确认 25 分钟" in phone.inner_text("#past")
    assert problems == []
