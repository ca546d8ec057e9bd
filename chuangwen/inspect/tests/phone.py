"""Shared pieces of the phone app's browser tests: a round built with the ORM, a camera JPEG, a phone-sized
browser context with a fake position, and small waiting helpers."""

from __future__ import annotations

import datetime
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_started
from django.urls import Resolver404, resolve
from django.utils import timezone

from conftest import PASSWORD

SCREENSHOT_DIR = Path(os.environ.get("CHUANGWEN_VAR_DIR", "/tmp"))
PHONE = {"width": 390, "height": 844}
# About 50 m from 西湖大道 (30.05, 120.02), inside the round's 300 m; about 1.4 km from 柳浪农贸市场.
PHONE_POSITION = {"latitude": 30.0504, "longitude": 120.0202, "accuracy": 12}
API_PATHS = ["/api/v1/inspect/assignments", "/api/v1/evidence", "/api/v1/inspect/visits"]

# The photos the app keeps in IndexedDB (size, type, position, kind), read from inside the page.
STORED_PHOTOS_JS = """async () => {
  const id = JSON.parse(document.getElementById("config").textContent).user.id;
  const open = indexedDB.open(`cw-inspect-u${id}`);
  const db = await new Promise((ok) => { open.onsuccess = () => ok(open.result); });
  const request = db.transaction("photos").objectStore("photos").getAll();
  const all = await new Promise((ok) => { request.onsuccess = () => ok(request.result); });
  return all.map((p) => ({ width: p.width, height: p.height, type: p.blob.type, lat: p.lat, kind: p.kind }));
}"""


def skip_without_api() -> None:
    """Skip (naming what is missing) while the inspection API is not there; never fake it."""
    missing = []
    for path in API_PATHS:
        try:
            resolve(path)
        except Resolver404:
            missing.append(path)
    if missing:
        pytest.skip(f"inspection API not implemented yet: {', '.join(missing)}")


@pytest.fixture
def phone_round(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> Any:
    """A round in progress, users["inspector"] on its one team, 西湖大道 then 柳浪农贸市场 on the route."""
    from chuangwen.rounds.models import Round, RoundSite, RoundStatus, Team
    from chuangwen.standards.services import load_default_standard

    today = datetime.date.today()
    round_ = Round.objects.create(
        name="2026年12月暗访",
        kind="unannounced",
        standard=load_default_standard(),
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=today,
        period_end=today + datetime.timedelta(days=4),
        status=RoundStatus.IN_PROGRESS,
        params={"max_distance_m": 300},
        created_by=users["coordinator"],
    )
    team = Team.objects.create(round=round_, name="第1组")
    team.members.add(users["inspector"])
    for order, key in enumerate(["west_road", "west_market"], start=1):
        RoundSite.objects.create(
            round=round_, site=sites[key], draw_order=order, team=team, route_order=order
        )
    return round_


@pytest.fixture
def camera_photo(tmp_path: Path) -> Path:
    """A camera-sized JPEG (3000 × 2250) that the phone must scale down to 2000 × 1500."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (3000, 2250), (120, 140, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, 3000, 150):
        draw.rectangle([x, 0, x + 75, 2250], fill=(180, 60 + x % 120, 40))
    draw.ellipse([1000, 700, 2000, 1600], fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(buffer.getvalue())
    # Just taken by the phone's clock (it reads the server's, see open_app): the app refuses a stale photo by
    # its file time, and the file system stamps the real time, not the moved one.
    taken = time.time()
    os.utime(path, (taken, taken))
    return path


@pytest.fixture
def server_paths() -> Iterator[list[str]]:
    """ "METHOD /path" of every request that reached the live server, in order."""
    paths: list[str] = []

    def record(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if environ is not None:
            paths.append(f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}")

    request_started.connect(record, dispatch_uid="phone-test-paths")
    yield paths
    request_started.disconnect(dispatch_uid="phone-test-paths")


def wait_until(page: Any, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(200)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOT_DIR / f"phone-{name}.png"), full_page=True)


def open_app(browser: Any, live_server: Any) -> tuple[Any, Any, list[str]]:
    """A phone-sized context at PHONE_POSITION, signed in as the inspector, with the app installed."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=PHONE_POSITION,
        permissions=["geolocation"],
    )
    # The phone's clock reads the server's time (moved by CHUANGWEN_TEST_NOW or a test's travel): the app
    # compares them (the session's absolute end, the visit's times).
    context.clock.install(time=timezone.now())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/?next=/m/")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/m/")
    # The service worker controls the page once it has cached the shell and the assets.
    page.wait_for_function("() => document.documentElement.dataset.sw === 'ready'", timeout=15000)
    return context, page, errors


def site_row(site: Any) -> str:
    return f".m-site[data-site='{site.pk}']"


def open_site(page: Any, site: Any) -> None:
    page.click(f"{site_row(site)} .m-site__main")
    page.wait_for_selector("#app[data-view=visit]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=position]').textContent.includes('距点位')"
    )


def judge(page: Any, code: str, result: str) -> None:
    page.click(f".m-item[data-code='{code}'] .m-judge__btn[data-result='{result}']")
    assert page.get_attribute(f".m-item[data-code='{code}']", "data-result") == result


def error_text(page: Any) -> str:
    errors = page.locator("[data-testid=errors]")
    errors.wait_for()
    return str(errors.inner_text())
