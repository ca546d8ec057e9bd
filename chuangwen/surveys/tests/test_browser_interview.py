"""Done-when of the interviewer's phone app (入户/街访): in a phone-sized browser with a fake position, the
interviewer downloads the wave, loses the network, completes an interview (skip logic on screen, full quota
cells marked 已满), sees it queued on the phone (also across a reload served by the service worker), and it is
sent when the network returns — exactly once, also when the answer to the first send is lost; a refused
interview stays on the phone with the server's reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone

from chuangwen.inspect.tests.phone import server_paths, shot, wait_until  # noqa: F401  (fixture)
from chuangwen.surveys.tests.fixtures import full_answers
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
# Inside 西湖街道 (lng < 120.05), where 柳浪社区 lies; the interview ends a few dozen metres further on.
START = {"latitude": 30.0504, "longitude": 120.0202, "accuracy": 12}
END = {"latitude": 30.0507, "longitude": 120.0206, "accuracy": 8}
RESPONSES = "**/api/v1/surveys/waves/*/responses"


def open_app(browser: Any, live_server: Any) -> tuple[Any, Any, list[str]]:
    """A phone-sized context at START, signed in as the interviewer, with the app's service worker running."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=START,
        permissions=["geolocation"],
    )
    # The phone's clock reads the server's (moved by survey_clock): the wave is fielding on that day.
    context.clock.install(time=timezone.now())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/?next=/surveys/interview/")
    page.fill("input[name=username]", "interviewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/surveys/interview/")
    page.wait_for_function("() => document.documentElement.dataset.sw === 'ready'", timeout=15000)
    return context, page, errors


def download(page: Any, wave: Any) -> None:
    card = f".iv-wave[data-wave='{wave.pk}']"
    page.wait_for_selector(f"{card}[data-downloaded=no]")
    page.click(f"{card} [data-testid=download]")
    page.wait_for_selector(f"{card}[data-downloaded=yes]")
    assert "已完成 0/40" in page.inner_text(f"{card} [data-testid=download-state]")


def go_offline(context: Any, page: Any) -> None:
    context.set_offline(True)
    page.wait_for_selector("#sync[data-net=offline]")


def screen(page: Any, stratum: Any, cell: str, phone: str = "") -> None:
    """Pick the community and the respondent's cell, confirm the residence, then start the questionnaire."""
    page.click(".iv-wave [data-testid=start]")
    page.wait_for_selector("#app[data-phase=screening]")
    page.check(f".iv-choice[data-stratum='{stratum.pk}'] input")
    page.check(f".iv-cell[data-cell='{cell}'] input")
    if phone:
        page.fill("#phone", phone)
    page.check("#resident")
    page.click("[data-testid=begin]")
    page.wait_for_selector("#app[data-phase=questionnaire]")


def choose(page: Any, code: str, value: Any) -> None:
    block = f".cw-q[data-code='{code}']"
    if isinstance(value, int):
        page.fill(f"{block} input", str(value))
    else:
        for item in value if isinstance(value, list) else [value]:
            page.check(f"{block} input[value='{item}']")


def answer_everything(page: Any) -> None:
    """The starter questionnaire as full_answers() fills it, skip logic checked on the way."""
    answers = full_answers()
    channel = page.locator(".cw-q[data-code='aw_channel']")
    choose(page, "aw_campaign", "no")
    assert channel.is_hidden()  # 渠道 only for those who know the campaign
    choose(page, "aw_campaign", "yes")
    assert channel.is_visible()
    for code, value in answers.items():
        if code != "aw_campaign":
            choose(page, code, value)
            page.wait_for_timeout(30)
    assert page.locator(".cw-q[data-code='sp_reason']").is_hidden()  # only for those who do not support it


def lose_first_response(counter: dict[str, int]) -> Callable[[Any], None]:
    """Let the first POST reach the server, then drop its answer (as a dying network would)."""

    def handler(route: Any) -> None:
        if route.request.method == "POST" and counter["lost"] == 0:
            counter["lost"] += 1
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    return handler


def test_an_offline_interview_is_sent_exactly_once(
    browser: Any,
    live_server: Any,
    survey_wave: Any,
    survey_people: dict[str, Any],
    org: dict[str, Any],
    server_paths: list[str],  # noqa: F811
) -> None:
    from chuangwen.surveys.models import QuotaCell, Response, Stratum

    west = Stratum.objects.get(wave=survey_wave, unit=org["west_c"])
    QuotaCell.objects.filter(stratum=west, age_band="18-29", sex="m").update(filled=1, target=1)
    context, page, page_errors = open_app(browser, live_server)
    download(page, survey_wave)
    go_offline(context, page)
    seen = len(server_paths)

    page.click(".iv-wave [data-testid=start]")
    page.wait_for_selector("#app[data-phase=screening]")
    # The screening names what is missing, in Chinese; a full cell cannot be chosen.
    page.click("[data-testid=begin]")
    assert "请选择受访者所在社区" in page.inner_text("[data-testid=errors]")
    page.check(f".iv-choice[data-stratum='{west.pk}'] input")
    full = page.locator(".iv-cell[data-cell='18-29|m']")
    assert full.get_attribute("data-full") == "yes"
    assert full.locator(".iv-cell__count").inner_text() == "已满"
    assert full.locator("input").is_disabled()
    page.check(".iv-cell[data-cell='30-39|f'] input")
    page.fill("#phone", "138 0013 8000")
    page.click("[data-testid=begin]")
    assert page.inner_text("[data-testid=errors]").strip() == "受访者须在本地居住满半年，请确认后勾选"
    assert "不保存号码本身" in page.inner_text("[data-testid=phone-hint]")
    page.check("#resident")
    page.click("[data-testid=begin]")
    page.wait_for_selector("#app[data-phase=questionnaire]")
    assert page.inner_text("[data-testid=respondent]") == "柳浪社区 · 30–39 岁 女 · 居住满半年"
    page.wait_for_function(
        "() => document.querySelector('[data-testid=position]').textContent.includes('±12')"
    )

    # Finishing too early names how many questions wait.
    page.click("[data-testid=finish]")
    assert "道题没有答完或填写有误" in page.inner_text("[data-testid=errors]")
    answer_everything(page)
    shot(page, "interview-questionnaire")
    context.clock.fast_forward("06:00")  # a real interview takes minutes (the wave's minimum is two)
    context.set_geolocation(END)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=position]').textContent.includes('±8')"
    )
    page.click("[data-testid=finish]")

    page.wait_for_selector("#app[data-view=home] .iv-record[data-state=pending]")
    client_id = page.get_attribute(".iv-record", "data-client-id")
    assert page.inner_text(".iv-record .m-chip") == "待上传"
    assert page.inner_text("#sync-net") == "离线"
    assert page.inner_text("#sync-pending") == "待上传 1"
    assert page.inner_text("#sync-sent") == "今日已上传 0"
    shot(page, "interview-queued")

    # A reload without network: the service worker serves the shell; the interview is still on the phone.
    page.reload()
    page.wait_for_selector(".iv-record[data-state=pending]")
    assert page.inner_text("#sync-pending") == "待上传 1"
    assert server_paths[seen:] == []
    assert Response.objects.count() == 0

    # Back online; the answer to the first send is lost, so the phone sends the same interview again.
    lost = {"lost": 0}
    page.route(RESPONSES, lose_first_response(lost))
    context.set_offline(False)
    wait_until(page, lambda: lost["lost"] == 1 and Response.objects.count() == 1)
    for _ in range(4):
        if page.get_attribute(".iv-record", "data-state") == "sent":
            break
        page.wait_for_selector("#sync-now:not([disabled])")
        page.click("#sync-now")
        page.wait_for_timeout(500)
    page.wait_for_selector(f".iv-record[data-client-id='{client_id}'][data-state=sent]")
    assert page.inner_text("#sync-pending") == "待上传 0"
    assert page.inner_text("#sync-sent") == "今日已上传 1"
    posts = f"POST /api/v1/surveys/waves/{survey_wave.pk}/responses"
    assert server_paths.count(posts) == 2
    shot(page, "interview-sent")

    response = Response.objects.get()
    assert str(response.client_id) == client_id
    assert (response.mode, response.interviewer) == ("interviewer", survey_people["interviewer"])
    assert (response.stratum, response.cell.age_band, response.cell.sex) == (west, "30-39", "f")
    assert response.answers == full_answers()
    assert response.lat == pytest.approx(END["latitude"]) and response.lng == pytest.approx(END["longitude"])
    assert response.accuracy_m == pytest.approx(8)
    assert response.paradata["start"]["lat"] == pytest.approx(START["latitude"])
    seconds = response.paradata["seconds"]
    assert set(full_answers()) <= set(seconds) and all(s >= 0 for s in seconds.values())
    assert response.duration_seconds >= 360
    assert (response.status, response.flags) == ("accepted", [])
    assert response.respondent_key and "13800138000" not in response.respondent_key
    west.refresh_from_db()
    assert west.filled == 1
    # The quota download that followed the send shows the new count.
    assert "已完成 1/40" in page.inner_text(".iv-wave [data-testid=download-state]")
    # Nothing of the sent interview but its summary stays on the phone: no answers, no phone number.
    stored = page.evaluate(STORED_OUTBOX_JS)
    assert stored == [{"state": "sent", "payload": None, "phone_kept": False}]

    # Another start-up sync, and the button: nothing more is sent, nothing is duplicated.
    page.unroute(RESPONSES)
    page.reload()
    page.wait_for_selector(".iv-record[data-state=sent]")
    page.click("#sync-now")
    page.wait_for_timeout(1000)
    assert server_paths.count(posts) == 2
    assert Response.objects.count() == 1
    assert page_errors == []
    context.close()


STORED_OUTBOX_JS = """async () => {
  const id = JSON.parse(document.getElementById("config").textContent).user.id;
  const open = indexedDB.open(`cw-survey-u${id}`);
  const db = await new Promise((ok) => { open.onsuccess = () => ok(open.result); });
  const request = db.transaction("outbox").objectStore("outbox").getAll();
  const all = await new Promise((ok) => { request.onsuccess = () => ok(request.result); });
  return all.map((e) => ({
    state: e.state, payload: e.payload ?? null, phone_kept: JSON.stringify(e).includes("13800138000"),
  }));
}"""


def test_a_refused_interview_stays_on_the_phone_with_the_reason(
    browser: Any,
    live_server: Any,
    survey_wave: Any,
    org: dict[str, Any],
) -> None:
    from chuangwen.surveys.models import QuotaCell, Response, Stratum

    west = Stratum.objects.get(wave=survey_wave, unit=org["west_c"])
    context, page, page_errors = open_app(browser, live_server)
    download(page, survey_wave)
    go_offline(context, page)
    screen(page, west, "40-49|m")
    # The interview in progress survives a reload without network (the service worker serves the app).
    choose(page, "aw_campaign", "yes")
    choose(page, "aw_channel", ["tv", "board"])
    page.wait_for_selector("#app[data-saving='0']", state="attached")  # the draft is in IndexedDB
    page.reload()
    page.wait_for_selector("#app[data-phase=questionnaire]")
    assert page.inner_text("[data-testid=respondent]") == "柳浪社区 · 40–49 岁 男 · 居住满半年"
    assert page.is_checked(".cw-q[data-code='aw_campaign'] input[value='yes']")
    assert page.is_checked(".cw-q[data-code='aw_channel'] input[value='board']")
    page.uncheck(".cw-q[data-code='aw_channel'] input[value='tv']")
    page.uncheck(".cw-q[data-code='aw_channel'] input[value='board']")
    answer_everything(page)
    context.clock.fast_forward("06:00")
    page.click("[data-testid=finish]")
    page.wait_for_selector(".iv-record[data-state=pending]")
    client_id = page.get_attribute(".iv-record", "data-client-id")

    # Meanwhile other interviewers filled the cell: the server refuses, the phone keeps the interview.
    QuotaCell.objects.filter(stratum=west, age_band="40-49", sex="m").update(filled=F("target"))
    context.set_offline(False)
    page.wait_for_selector(".iv-record[data-state=error]")
    refused = page.inner_text(".iv-record [data-testid=refused]")
    assert "服务器未接受这份访问" in refused
    assert "柳浪社区 40–49 岁男的配额已满，请访问其他受访者" in refused
    assert page.inner_text(".iv-record .m-chip") == "需处理"
    assert page.inner_text("#sync-pending") == "待上传 1"
    assert "退出登录会清除本机保存的全部访问" in page.inner_text("[data-testid=unsent-warning]")
    assert Response.objects.count() == 0
    shot(page, "interview-refused")
    # The logout page says what logging out would delete from the phone.
    logout = context.new_page()
    logout.goto(f"{live_server.url}/accounts/logout/")
    logout.wait_for_selector("#unsent-warning:not([hidden])")
    assert logout.inner_text("#unsent-warning [data-count]") == "1"
    logout.close()

    # Re-sending keeps the same client_id; still full, still refused. Deleting removes it after a question.
    page.click(".iv-record [data-testid=retry]")
    page.wait_for_selector(f".iv-record[data-client-id='{client_id}'][data-state=error]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".iv-record [data-testid=delete]")
    page.wait_for_selector("[data-testid=records]", state="detached")
    assert page.locator("[data-testid=unsent-warning]").count() == 0
    assert page.inner_text("#sync-pending") == "待上传 0"
    assert Response.objects.count() == 0
    assert page_errors == []
    context.close()
