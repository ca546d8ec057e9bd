"""Shared fixtures: a small district with two streets, users of every role, and sites in each street."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API inside pytest-django

# Shared fixtures of the apps' tests, registered once here instead of star-imported by each test file.
pytest_plugins = [
    "chuangwen.cases.tests.case_fixtures",
    "chuangwen.cases.tests.photo_fixtures",
    "chuangwen.core.tests.hostile_world",
    "chuangwen.dashboards.tests.world",
    "chuangwen.materials.tests.fixtures",
    "chuangwen.rankings.tests.page_fixtures",
    "chuangwen.reports.tests.report_fixtures",
    "chuangwen.rounds.tests.round_fixtures",
    "chuangwen.rounds.tests.visit_fixtures",
    "chuangwen.surveys.tests.fixtures",
    "chuangwen.bulletins.tests.fixtures",
]

PASSWORD = "Chuangwen-2026!"

# A square district split into two streets along lng 120.05 (WGS-84, around 30°N).
DISTRICT_POLY = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]]],
}
EAST_POLY = {
    "type": "Polygon",
    "coordinates": [[[120.05, 30.0], [120.1, 30.0], [120.1, 30.1], [120.05, 30.1], [120.05, 30.0]]],
}
WEST_POLY = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.05, 30.0], [120.05, 30.1], [120.0, 30.1], [120.0, 30.0]]],
}


@pytest.fixture
def org(db: Any) -> dict[str, Any]:
    from chuangwen.org.models import Unit, UnitKind

    city = Unit.objects.create(code="C01", name="示范市", kind=UnitKind.CITY)
    district = Unit.objects.create(
        code="D01", name="文明区", kind=UnitKind.DISTRICT, parent=city, boundary=DISTRICT_POLY
    )
    west = Unit.objects.create(
        code="S01", name="西湖街道", kind=UnitKind.STREET, parent=district, boundary=WEST_POLY
    )
    east = Unit.objects.create(
        code="S02", name="东城街道", kind=UnitKind.STREET, parent=district, boundary=EAST_POLY
    )
    west_c = Unit.objects.create(code="S01C01", name="柳浪社区", kind=UnitKind.COMMUNITY, parent=west)
    east_c = Unit.objects.create(code="S02C01", name="东门社区", kind=UnitKind.COMMUNITY, parent=east)
    dept = Unit.objects.create(
        code="D01B01", name="区城管局", kind=UnitKind.DEPARTMENT, parent=district, duty_tags=["城管"]
    )
    return {
        "city": city,
        "district": district,
        "west": west,
        "east": east,
        "west_c": west_c,
        "east_c": east_c,
        "dept": dept,
    }


def make_user(username: str, role: str, unit: Any, **extra: Any) -> Any:
    from chuangwen.accounts.models import User

    user = User(username=username, role=role, unit=unit, full_name=extra.pop("full_name", username), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def users(org: dict[str, Any]) -> dict[str, Any]:
    return {
        "coordinator": make_user("coord", "coordinator", org["district"]),
        "leader": make_user("leader", "leader", org["district"]),
        "admin": make_user("admin", "admin", org["district"], is_staff=True, is_superuser=True),
        "inspector": make_user("inspector", "inspector", org["district"]),
        "verifier": make_user("verifier", "verifier", org["district"]),
        "west_head": make_user("west_head", "unit_head", org["west"]),
        "west_handler": make_user("west_handler", "handler", org["west"]),
        "east_handler": make_user("east_handler", "handler", org["east"]),
        "dept_handler": make_user("dept_handler", "handler", org["dept"]),
    }


@pytest.fixture
def sites(org: dict[str, Any]) -> dict[str, Any]:
    from chuangwen.sites.models import Site

    return {
        "west_road": Site.objects.create(
            code="P0001",
            name="西湖大道",
            site_type="ZD",
            lng=120.02,
            lat=30.05,
            area_unit=org["west_c"],
            responsible_unit=org["west"],
            declared=True,
        ),
        "west_market": Site.objects.create(
            code="P0002",
            name="柳浪农贸市场",
            site_type="NM",
            lng=120.03,
            lat=30.04,
            area_unit=org["west_c"],
            responsible_unit=org["west"],
            risk_tags=["农贸周边"],
        ),
        "east_estate": Site.objects.create(
            code="P0003",
            name="东门老旧小区",
            site_type="LJ",
            lng=120.07,
            lat=30.06,
            area_unit=org["east_c"],
            responsible_unit=org["east"],
            risk_tags=["老旧小区"],
        ),
    }


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


class _Chromium:
    """Playwright and one Chromium for the whole test process (a launch costs about a second per test).

    Between its calls Playwright leaves its event loop marked as running in this thread, and while it is,
    Django keeps the thread's database connections in a separate context. The mark is therefore set only
    while a browser test runs, exactly as when each test started its own Playwright."""

    def __init__(self) -> None:
        import asyncio

        from playwright.sync_api import sync_playwright

        self.manager = sync_playwright()
        self.playwright = self.manager.start()
        self.loop = asyncio.get_running_loop()
        self.browser = self._launch()
        self.idle()

    def _launch(self) -> Any:
        executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
        return self.playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)

    def busy(self) -> Any:
        import asyncio

        asyncio._set_running_loop(self.loop)
        if not self.browser.is_connected():  # crashed in an earlier test: that test failed, not the next
            self.browser = self._launch()
        return self.browser

    def idle(self) -> None:
        import asyncio

        asyncio._set_running_loop(None)

    def stop(self) -> None:
        import asyncio

        asyncio._set_running_loop(self.loop)
        if self.browser.is_connected():
            self.browser.close()
        self.manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def _chromium() -> Iterator[_Chromium]:
    chromium = _Chromium()
    yield chromium
    chromium.stop()


@pytest.fixture
def browser(_chromium: _Chromium) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never a downloaded browser. Shared by the tests of a process:
    each test opens its own contexts (new_page, new_context), closed after it, so nothing carries over."""
    b = _chromium.busy()
    try:
        yield b
        for context in b.contexts:
            context.close()
        # While Playwright's loop runs, Django keeps this thread's connections in a separate context:
        # close them here, or PostgreSQL refuses to drop the test database at the end.
        from django.db import connections

        connections.close_all()
    finally:
        _chromium.idle()


@pytest.fixture(autouse=True)
def _chinese_first() -> Iterator[None]:
    """Every test starts in the default language, whatever an earlier request activated in this thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _tasks_run_inline() -> Iterator[None]:
    """Background tasks run inside the test that enqueues them (test_task_queue checks the real storage)."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    """Uploads, error reports and photos of a test go to its own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user: Any) -> Any:
    """A test client signed in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- Moving the whole session's clock (CHUANGWEN_TEST_NOW) ---
# A test must not pass only on the day it was written. With CHUANGWEN_TEST_NOW set (an ISO datetime with an
# offset, e.g. 2027-02-18T09:30:00+08:00) the whole session runs with the clock moved there and ticking; CI's
# second pass uses it. A test that pins its own clock with time_machine still wins inside it (travels nest).
TEST_NOW_ENV = "CHUANGWEN_TEST_NOW"
_session_clock: list[Any] = []


def _moved_now() -> Any:
    from datetime import datetime

    raw = os.environ.get(TEST_NOW_ENV, "").strip()
    if not raw:
        return None
    try:
        moved = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"{TEST_NOW_ENV}={raw!r} is not an ISO datetime: {exc}") from exc
    if moved.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW_ENV}={raw!r} needs an offset, e.g. 2027-02-18T09:30:00+08:00")
    return moved


def pytest_configure(config: pytest.Config) -> None:
    import time_machine

    moved = _moved_now()
    if moved is None:
        return
    traveller = time_machine.travel(moved, tick=True)
    traveller.start()
    _session_clock.append(traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _session_clock:
        _session_clock.pop().stop()


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which plain `pytest` runs need not load
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``pytest -n`` the tests of a class run on one worker, so its class-scoped fixture (the demo
    district: a minute on SQLite, two on PostgreSQL) is built once; every other test goes to whichever worker
    is free. The biggest classes start first. (xdist's own ``--dist loadgroup`` cannot do this with pytest 9:
    it renames the items through an attribute pytest no longer reads.) Another ``--dist`` mode is obeyed."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ClassScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            parts = nodeid.split("::")
            return "::".join(parts[:2]) if len(parts) > 2 else nodeid

    return ClassScheduling(config, log)


def pytest_report_header(config: pytest.Config) -> str | None:
    moved = _moved_now()
    return f"clock moved to {moved.isoformat()} ({TEST_NOW_ENV})" if moved is not None else None
