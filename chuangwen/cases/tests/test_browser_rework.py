"""A case through rework in a real browser: accept, rectify with a photo, fail, rectify again, pass."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from chuangwen.cases import services
from chuangwen.cases.models import CaseState
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.rounds import services as round_services
from chuangwen.rounds.models import Finding
from chuangwen.rounds.tests.round_fixtures import accept_visit_with_finding
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg(path: Any, colour: tuple[int, int, int]) -> str:
    Image.new("RGB", (640, 480), colour).save(path, "JPEG", quality=90)
    return str(path)


@pytest.fixture
def dispatched(started_round: Any, users: dict[str, Any], tmp_path: Any) -> Any:
    """A published finding with its problem photo, opened as a case and dispatched by the coordinator."""
    entry = started_round.entries.filter(site__responsible_unit__code="S01").select_related("site").first()
    visit = accept_visit_with_finding(started_round, entry, users["inspector"])
    finding = Finding.objects.get(visit=visit)
    with open(jpeg(tmp_path / "problem.jpg", (90, 90, 90)), "rb") as upload:
        photo, _created = ingest_photo(
            upload, PhotoMeta(client_id=uuid.uuid4(), kind=EvidenceKind.RECTIFICATION), users["inspector"]
        )
    # The phone's field upload (round, team, site) is not under test here: attach the photo to the judgement.
    Evidence.objects.filter(pk=photo.pk).update(
        kind=EvidenceKind.PROBLEM, visit=visit, judgement=finding.judgement, round=started_round
    )
    round_services.publish_round(started_round, users["coordinator"], confirm_missing=True)
    case = services.open_case_from_finding(finding, users["coordinator"])
    if case.state == CaseState.NEW:  # publication's intake may already have dispatched it
        services.apply(case, "triage_accept", users["coordinator"], unit=entry.site.responsible_unit)
    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED and case.unit is not None and case.unit.code == "S01"
    return case


def sign_in(browser: Any, live_server: Any, username: str) -> Any:
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def state_of(page: Any) -> str:
    return page.locator("h1 .cw-tag").first.inner_text().strip()


def field(page: Any, label: str) -> str:
    return page.locator(f"#case-fields dt:has-text('{label}') + dd").inner_text().strip()


def rectify(page: Any, reason: str, photo: str) -> None:
    form = page.locator("form[data-action=rectify]")
    form.locator("textarea").fill(reason)
    form.locator("input[type=file]").set_input_files(photo)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".cw-page-head h1:has-text('已整改待核查')")


def images_loaded(page: Any, selector: str, expected: int) -> int:
    """How many of the section's images the browser has drawn, once ``expected`` of them have (images load
    on their own after the page; the wait times out, and the count says how many came, if they never do)."""
    script = (
        "([sel, n]) => [...document.querySelectorAll(sel + ' img')]"
        ".filter(img => img.complete && img.naturalWidth > 0).length >= n"
    )
    try:
        page.wait_for_function(script, arg=[selector, expected], timeout=10_000)
    except PlaywrightTimeout:
        pass  # the count below tells the assertion how many did come
    return page.eval_on_selector_all(
        f"{selector} img", "imgs => imgs.filter(img => img.complete && img.naturalWidth > 0).length"
    )


def test_it_takes_a_case_through_rework_to_closure(browser, live_server, users, dispatched, tmp_path):
    url = f"{live_server.url}/cases/{dispatched.pk}/"
    handler = sign_in(browser, live_server, "west_handler")
    handler.goto(url)
    assert state_of(handler) == "已派遣"
    handler.locator("form[data-action=accept] button[type=submit]").click()
    handler.wait_for_selector(".cw-page-head h1:has-text('已受理')")
    rectify(handler, "已清理路面堆放物", jpeg(tmp_path / "after1.jpg", (40, 160, 60)))

    verifier = sign_in(browser, live_server, "verifier")
    verifier.goto(url)
    verifier.wait_for_load_state("networkidle")
    assert images_loaded(verifier, "#problem-photos", 1) == 1
    assert images_loaded(verifier, "#rectification-photos", 1) == 1
    fail = verifier.locator("form[data-action=verify_fail]")
    fail.locator("textarea").fill("现场仍有垃圾")
    fail.locator("button[type=submit]").click()
    verifier.wait_for_selector(".cw-page-head h1:has-text('返工')")
    assert state_of(verifier) == "返工"
    assert field(verifier, "返工次数") == "1"

    handler.goto(url)
    assert state_of(handler) == "返工"
    rectify(handler, "再次清理并设置围挡", jpeg(tmp_path / "after2.jpg", (30, 90, 200)))

    verifier.goto(url)
    verifier.wait_for_load_state("networkidle")
    assert images_loaded(verifier, "#rectification-photos", 2) == 2
    verifier.locator("form[data-action=verify_pass] button[type=submit]").click()
    verifier.wait_for_selector(".cw-page-head h1:has-text('已结案')")
    assert state_of(verifier) == "已结案"
    assert field(verifier, "返工次数") == "1"
    steps = verifier.locator("#case-timeline li").evaluate_all("items => items.map(li => li.dataset.action)")
    assert steps == ["open", "triage_accept", "accept", "rectify", "verify_fail", "rectify", "verify_pass"]
    timeline = verifier.locator("#case-timeline").inner_text()
    assert "现场仍有垃圾" in timeline and "再次清理并设置围挡" in timeline
    assert verifier.locator("#case-actions").count() == 0  # nothing left to do on a closed case
