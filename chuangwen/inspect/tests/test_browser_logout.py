"""Issue 10: a secret round must not outlive the session on the phone. After logout, after the session's
absolute end by the phone's clock, or when the server has ended the session, the app opened again (offline
too) shows no site of the round, and neither IndexedDB nor Cache Storage holds its names or addresses."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from chuangwen.inspect.tests.phone import (  # noqa: F401  (fixtures)
    judge,
    open_app,
    open_site,
    phone_round,
    shot,
    site_row,
    skip_without_api,
    wait_until,
)
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Every IndexedDB database and Cache Storage cache of the origin, as text (read from a page of the origin).
STORAGE_JS = """async () => {
  const out = { databases: {}, caches: {}, workers: 0 };
  for (const { name } of await indexedDB.databases()) {
    const db = await new Promise((ok, ko) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => ko(r.error);
    });
    const stores = {};
    for (const store of db.objectStoreNames) {
      const r = db.transaction(store).objectStore(store).getAll();
      stores[store] = await new Promise((ok) => { r.onsuccess = () => ok(r.result); });
    }
    db.close();
    out.databases[name] = stores;
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    const texts = [];
    for (const request of await cache.keys()) texts.push(await (await cache.match(request)).text());
    out.caches[name] = texts.join("\\n");
  }
  out.workers = (await navigator.serviceWorker.getRegistrations()).length;
  return out;
}"""


@pytest.fixture
def secrets(phone_round: Any, sites: dict[str, Any]) -> list[str]:  # noqa: F811
    """What the round reveals: its name, its sites' names and addresses."""
    from chuangwen.sites.models import Site

    Site.objects.filter(pk=sites["west_road"].pk).update(address="西湖区西湖大道 18 号公交站")
    Site.objects.filter(pk=sites["west_market"].pk).update(address="西湖区柳浪路 66 号")
    return [phone_round.name, "西湖大道", "柳浪农贸市场", "西湖大道 18 号公交站", "柳浪路 66 号"]


def storage(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(STORAGE_JS))


def revealed(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def assert_app_has_round(page: Any, sites: dict[str, Any], secrets: list[str]) -> None:
    """The control: before the session ends the round is on the screen and in IndexedDB."""
    page.wait_for_selector(f"{site_row(sites['west_road'])}[data-status=todo]")
    assert revealed(page.inner_text("#app"), secrets) == secrets
    assert revealed(repr(storage(page)["databases"]), secrets) == secrets


def assert_offline_app_shows_nothing(live_server: Any, context: Any, page: Any, secrets: list[str]) -> None:
    context.set_offline(True)
    try:
        page.goto(f"{live_server.url}/m/")
    except PlaywrightError:
        pass  # nothing left to serve offline: the browser's own error page
    page.wait_for_timeout(500)
    assert revealed(page.content(), secrets) == []


def login(page: Any, live_server: Any) -> None:
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/m/")


def keep_a_draft(page: Any, sites: dict[str, Any]) -> None:
    """Unsent work: one item judged at 西湖大道, saved on the phone only."""
    open_site(page, sites["west_road"])
    judge(page, "ZD-01", "conforming")
    page.wait_for_selector("[data-testid=saved]:has-text('已自动保存')")
    page.click(".m-back")
    page.wait_for_selector(f"{site_row(sites['west_road'])}[data-status=draft]")


def test_it_leaves_no_secret_round_on_the_phone_after_logout(
    browser: Any, live_server: Any, sites: dict[str, Any], secrets: list[str]
) -> None:
    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    assert_app_has_round(page, sites, secrets)

    # Logging out from the ordinary confirmation page (the phone's browser, not the app).
    page.goto(f"{live_server.url}/accounts/logout/")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    left = storage(page)
    assert left == {"databases": {}, "caches": {}, "workers": 0}

    assert_offline_app_shows_nothing(live_server, context, page, secrets)
    assert page_errors == []
    context.close()


def test_it_forgets_the_round_offline_after_the_session_absolute_end(
    browser: Any, live_server: Any, sites: dict[str, Any], secrets: list[str], settings: Any
) -> None:
    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    assert_app_has_round(page, sites, secrets)
    # The session began at login, before this moment: its absolute end is sooner than this.
    past_the_end = page.evaluate("() => Date.now()") / 1000 + settings.SESSION_ABSOLUTE_SECONDS + 60

    # Offline within the session: the service worker's shell and the stored round, as before.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector(f"{site_row(sites['west_road'])}[data-status=todo]")

    # The phone's clock passes the session's absolute end: no network needed to forget the round.
    page.clock.set_fixed_time(datetime.datetime.fromtimestamp(past_the_end, tz=datetime.UTC))
    page.reload()
    page.wait_for_selector("#app[data-state=ready]")
    assert revealed(page.inner_text("body"), secrets) == []
    assert page.get_attribute("#app", "data-view") == "ended"
    assert "本机保存的任务和点位已清除" in page.inner_text("#app")
    assert page.get_attribute("[data-testid=relogin]", "href") == "/accounts/login/?next=/m/"
    shot(page, "session-ended")
    left = storage(page)
    assert left["databases"] == {}
    assert revealed(repr(left["caches"]), secrets) == []
    assert page_errors == []
    context.close()


def test_it_forgets_the_round_when_the_server_has_ended_the_session(
    browser: Any, live_server: Any, sites: dict[str, Any], secrets: list[str]
) -> None:
    from django.contrib.sessions.models import Session

    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    assert_app_has_round(page, sites, secrets)
    keep_a_draft(page, sites)

    # The server ends the session (timeout, administrator); the app learns it on its next call.
    Session.objects.all().delete()
    page.click("#sync-now")
    page.wait_for_selector("#app[data-view=ended]")
    assert revealed(page.inner_text("body"), secrets) == []
    assert "本机还有 1 条未上传的测评或草稿" in page.inner_text("[data-testid=kept]")
    shot(page, "session-ended-work-kept")
    left = storage(page)
    assert revealed(repr(left["caches"]), secrets) == []
    # Only the inspector's unsent work stays (ids and answers, no names) for the next login.
    [stores] = left["databases"].values()
    assert stores["assignments"] == [] and len(stores["drafts"]) == 1
    assert revealed(repr(left["databases"]), secrets) == []

    page.click("[data-testid=relogin]")
    login(page, live_server)
    page.wait_for_selector(f"{site_row(sites['west_road'])}[data-status=draft]")
    assert page_errors == []
    context.close()


def without_clear_site_data(route: Any) -> None:
    """A browser that ignores Clear-Site-Data: the logout answer arrives without it."""
    if route.request.method != "POST":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "clear-site-data"}
    route.fulfill(response=response, headers=headers)


def test_it_wipes_the_phone_at_logout_even_where_the_browser_ignores_clear_site_data(
    browser: Any, live_server: Any, sites: dict[str, Any], secrets: list[str]
) -> None:
    skip_without_api()
    context, page, page_errors = open_app(browser, live_server)
    assert_app_has_round(page, sites, secrets)
    keep_a_draft(page, sites)
    page.route("**/accounts/logout/", without_clear_site_data)

    # Unsent work: the app asks first; cancelling keeps everything.
    messages: list[str] = []

    def answer(accept: bool) -> Any:
        def handler(dialog: Any) -> None:
            messages.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handler

    page.once("dialog", answer(False))
    page.click("[data-testid=logout]")
    wait_until(page, lambda: len(messages) == 1)
    assert "本机还有 1 条测评或草稿未上传，退出后将从本机删除且无法恢复" in messages[0]
    page.wait_for_timeout(300)
    assert page.url.startswith(f"{live_server.url}/m/")
    page.wait_for_selector(f"{site_row(sites['west_road'])}[data-status=draft]")

    page.once("dialog", answer(True))
    page.click("[data-testid=logout]")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    left = storage(page)
    assert left["databases"] == {}
    assert revealed(repr(left["caches"]), secrets) == []
    assert_offline_app_shows_nothing(live_server, context, page, secrets)
    assert page_errors == []
    context.close()
