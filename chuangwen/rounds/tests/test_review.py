"""The coordinator's review: accept, send back (and visit again), the review pages and round secrecy."""

from __future__ import annotations

from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.rounds.models import Finding, RoundStatus, Visit, VisitStatus
from chuangwen.rounds.tests.visit_fixtures import done_payload, make_photo
from chuangwen.rounds.visits import ReviewRefused, VisitRefused, accept_visit, send_back_visit, submit_visit
from conftest import client_for

OUTSIDERS = ["leader", "west_handler", "west_head"]


def _visit(users: dict[str, Any], round_: Any, site: Any, **failures: Any) -> Visit:
    inspector = users["inspector"]
    fail = {code: (count, [make_photo(inspector).client_id]) for code, count in failures.items()}
    visit, _created = submit_visit(done_payload(round_, site, failures=fail), inspector)
    return visit


@pytest.fixture
def visit(users, sites, visit_round) -> Visit:
    return _visit(users, visit_round, sites["west_road"], **{"ZD-02": 3})


def test_accept(users, visit) -> None:
    accept_visit(visit, users["coordinator"])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ACCEPTED and visit.reviewed_by == users["coordinator"]
    assert visit.reviewed_at is not None
    assert AuditEntry.objects.filter(action="visit_accepted", object_id=str(visit.pk)).exists()
    with pytest.raises(ReviewRefused, match="已被他人处理"):
        accept_visit(visit, users["coordinator"])


def test_only_coordinators_review(users, visit) -> None:
    for who in ["inspector", "leader", "west_head"]:
        with pytest.raises(ReviewRefused):
            accept_visit(visit, users[who])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED


def test_send_back_needs_a_reason(users, visit) -> None:
    with pytest.raises(ReviewRefused, match="须填写原因"):
        send_back_visit(visit, "  ", users["coordinator"])
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED


def test_send_back_removes_findings_and_allows_a_new_visit(users, sites, visit_round) -> None:
    visit = _visit(users, visit_round, sites["west_road"], **{"ZD-02": 3})
    assert Finding.objects.filter(visit=visit).count() == 1
    again = done_payload(visit_round, sites["west_road"])
    with pytest.raises(VisitRefused) as exc:
        submit_visit(again, users["inspector"])
    assert exc.value.code == "already_visited"
    send_back_visit(visit, "照片模糊，无法判断", users["coordinator"])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SENT_BACK and visit.review_note == "照片模糊，无法判断"
    assert not Finding.objects.filter(visit=visit).exists()
    assert visit.judgements.count() == 7  # the record stays
    revisit, created = submit_visit(again, users["inspector"])
    assert created and revisit.pk != visit.pk and revisit.status == VisitStatus.SUBMITTED
    # the resend of the sent-back visit still returns the stored one
    body = client_for(users["inspector"]).get(f"/api/v1/inspect/assignments/{visit_round.pk}").json()
    assert body["sites"][0]["visit"]["client_id"] == again["client_id"]


def test_accepted_visit_can_still_be_sent_back_before_publication(users, visit) -> None:
    accept_visit(visit, users["coordinator"])
    send_back_visit(visit, "复核发现点位错误", users["coordinator"])
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SENT_BACK


def test_no_review_after_publication(users, visit, visit_round) -> None:
    visit_round.status = RoundStatus.PUBLISHED
    visit_round.save()
    with pytest.raises(ReviewRefused):
        accept_visit(visit, users["coordinator"])


# --- pages -----------------------------------------------------------------------------------------


def test_round_page_lists_visits(users, sites, visit_round, visit) -> None:
    response = client_for(users["coordinator"]).get(f"/visits/round/{visit_round.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "西湖大道" in html and f"/visits/{visit.pk}/" in html
    assert "已测评 1 / 3 个抽中点位" in html
    assert "97.00" in html and "85.71%" in html


def test_visit_page_shows_scores_photos_position_and_review(users, sites, visit_round) -> None:
    site = sites["west_road"]
    photo = make_photo(users["inspector"])
    payload = done_payload(
        visit_round,
        site,
        lat=site.lat + 0.005,
        far_reason="道路封闭",
        failures={"ZD-04": (8, [photo.client_id])},
    )
    visit, _created = submit_visit(payload, users["inspector"])
    html = client_for(users["coordinator"]).get(f"/visits/{visit.pk}/").content.decode()
    assert "90.00" in html and "85.71%" in html  # 100 − min(10, 2×8)
    assert f'src="/evidence/{photo.pk}/thumb"' in html and f'href="/evidence/{photo.pk}/display"' in html
    assert "556 米" in html and "道路封闭" in html
    assert "ZD-04" in html and "10.00" in html
    assert 'id="visit-accept"' in html and 'id="visit-send-back"' in html


def test_exception_visit_page(users, sites, visit_round) -> None:
    photo = make_photo(users["inspector"], kind="exception")
    payload = done_payload(visit_round, sites["west_market"], outcome="not_possible", judgements=[])
    payload.update(exception_reason="市场停业装修", exception_photo_ids=[str(photo.client_id)])
    visit, _created = submit_visit(payload, users["inspector"])
    html = client_for(users["coordinator"]).get(f"/visits/{visit.pk}/").content.decode()
    assert "无法调查" in html and "市场停业装修" in html and f"/evidence/{photo.pk}/thumb" in html


def test_accept_and_send_back_through_the_page(users, visit) -> None:
    client = client_for(users["coordinator"])
    response = client.post(f"/visits/{visit.pk}/send-back/", {"note": ""}, follow=True)
    assert "退回须填写原因" in response.content.decode()
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED
    response = client.post(f"/visits/{visit.pk}/accept/", follow=True)
    assert "已采纳该测评" in response.content.decode()
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.ACCEPTED
    response = client.post(f"/visits/{visit.pk}/send-back/", {"note": "位置不对"}, follow=True)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SENT_BACK
    assert "位置不对" in response.content.decode()


def test_inspector_sees_but_cannot_review(users, visit) -> None:
    client = client_for(users["inspector"])
    html = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'id="visit-accept"' not in html
    assert client.post(f"/visits/{visit.pk}/accept/").status_code == 403
    assert client.get(f"/visits/{visit.pk}/accept/").status_code in (403, 405)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED


@pytest.mark.parametrize("who", OUTSIDERS)
def test_unpublished_round_is_invisible(users, visit_round, visit, who) -> None:
    client = client_for(users[who])
    assert client.get(f"/visits/round/{visit_round.pk}/").status_code == 404
    assert client.get(f"/visits/{visit.pk}/").status_code == 404
    assert client.post(f"/visits/{visit.pk}/accept/").status_code == 404
    assert client.post(f"/visits/{visit.pk}/send-back/", {"note": "x"}).status_code == 404
    assert client.get(f"/api/v1/inspect/assignments/{visit_round.pk}").status_code == 404
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED
    assert client_for(users["coordinator"]).get(f"/visits/{visit.pk}/").status_code == 200


def test_published_round_shows_each_unit_its_own_sites(users, sites, visit_round, visit) -> None:
    east = _visit(users, visit_round, sites["east_estate"])
    visit_round.status = RoundStatus.PUBLISHED
    visit_round.save()
    client = client_for(users["west_handler"])
    assert client.get(f"/visits/{visit.pk}/").status_code == 200
    assert client.get(f"/visits/{east.pk}/").status_code == 404
    html = client.get(f"/visits/round/{visit_round.pk}/").content.decode()
    assert "西湖大道" in html and "东门老旧小区" not in html
    assert "抽中点位" not in html  # the sample size is for those who see the whole round
    assert 'id="visit-accept"' not in client.get(f"/visits/{visit.pk}/").content.decode()
