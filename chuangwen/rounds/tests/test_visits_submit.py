"""submit_visit and POST /api/v1/inspect/visits: the rules of docs/inspection-api.md §3."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from chuangwen.audit.models import AuditEntry
from chuangwen.evidence.models import Evidence
from chuangwen.org.coords import wgs84_to_gcj02
from chuangwen.org.distance import haversine_m
from chuangwen.rounds.models import Finding, FindingStatus, Judgement, RoundStatus, Visit, VisitStatus
from chuangwen.rounds.tests.visit_fixtures import done_payload, make_photo, post_json
from chuangwen.rounds.visits import VisitRefused, submit_visit
from conftest import client_for

URL = "/api/v1/inspect/visits"


def _nothing_written(audit_before: int) -> None:
    assert Visit.objects.count() == 0
    assert Judgement.objects.count() == 0
    assert Finding.objects.count() == 0
    assert not Evidence.objects.filter(visit__isnull=False).exists()
    assert AuditEntry.objects.count() == audit_before


def _post_422(user: Any, payload: Any) -> list[dict[str, Any]]:
    audit_before = AuditEntry.objects.count()
    response = post_json(client_for(user), URL, payload)
    assert response.status_code == 422, response.content
    _nothing_written(audit_before)
    return response.json()["detail"]


def _has(errors: list[dict[str, Any]], loc: list[Any], words: str) -> bool:
    return any(e["loc"] == ["body", *loc] and words in e["msg"] for e in errors)


def test_done_visit_scores_and_stores_everything(users, sites, visit_round) -> None:
    inspector = users["inspector"]
    photos = [make_photo(inspector) for _ in range(3)]
    payload = done_payload(
        visit_round,
        sites["west_road"],
        # ZD-02: 1 × 3 = 3; ZD-04: 2 × 8 = 16 capped at 10; ZD-07 binary 2. 100 − 15 = 85
        failures={
            "ZD-02": (3, [photos[0].client_id]),
            "ZD-04": (8, [photos[1].client_id]),
            "ZD-07": (5, [photos[2].client_id]),
        },
        na={"ZD-06"},
    )
    response = post_json(client_for(inspector), URL, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    visit = Visit.objects.get()
    # 3 conforming of 6 applicable (ZD-06 does not apply)
    assert body == {
        "id": visit.pk,
        "client_id": payload["client_id"],
        "status": "submitted",
        "score": "85.00",
        "score_rate": "0.5000",
        "duplicate": False,
    }
    assert visit.score == Decimal("85.00") and visit.inspector == inspector
    assert visit.team is not None and visit.distance_m == pytest.approx(0, abs=0.01)
    assert visit.judgements.count() == 7
    findings = {f.check_item.code: f for f in Finding.objects.all()}
    assert set(findings) == {"ZD-02", "ZD-04", "ZD-07"}
    assert findings["ZD-04"].deduction == Decimal("10.00") and findings["ZD-04"].count == 8
    assert findings["ZD-07"].count == 1
    assert all(f.status == FindingStatus.HIDDEN for f in findings.values())
    for photo in photos:
        photo.refresh_from_db()
        assert photo.visit == visit and photo.round == visit_round and photo.site == sites["west_road"]
        assert photo.judgement is not None and photo.judgement.result == "not_conforming"
    entry = AuditEntry.objects.get(action="visit_submitted")
    assert entry.actor == inspector and entry.object_id == str(visit.pk)


def test_refused_visit_needs_reason_and_photo_and_has_no_score(users, sites, visit_round) -> None:
    inspector = users["inspector"]
    photo = make_photo(inspector, kind="exception")
    payload = done_payload(visit_round, sites["west_market"], outcome="refused", judgements=[])
    payload.update(exception_reason="市场管理方拒绝进入", exception_photo_ids=[str(photo.client_id)])
    visit, created = submit_visit(payload, inspector)
    assert created and visit.outcome == "refused"
    assert visit.score is None and visit.score_rate is None
    assert visit.exception_reason == "市场管理方拒绝进入"
    photo.refresh_from_db()
    assert photo.visit == visit and photo.judgement is None


def test_missing_judgement_is_422(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"])
    payload["judgements"] = payload["judgements"][:-1]
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["judgements"], "ZD-07") and _has(errors, ["judgements"], "尚未判定")


def test_unknown_and_repeated_items_are_422(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"])
    payload["judgements"].append({"item_code": "NM-01", "result": "conforming"})
    payload["judgements"].append({"item_code": "ZD-01", "result": "conforming"})
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["judgements", 7, "item_code"], "不是该点位类型的测评指标")
    assert _has(errors, ["judgements", 8, "item_code"], "重复")


def test_per_occurrence_failure_needs_a_count(users, sites, visit_round) -> None:
    photo = make_photo(users["inspector"])
    payload = done_payload(visit_round, sites["west_road"], failures={"ZD-02": (0, [photo.client_id])})
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["judgements", 1, "count"], "问题数量")


def test_binary_failure_needs_no_count_but_a_photo(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"], failures={"ZD-07": (0, [])})
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["judgements", 6, "photo_ids"], "至少拍摄一张")
    assert not any(e["loc"][-1] == "count" for e in errors)


@pytest.mark.parametrize("outcome", ["refused", "not_possible"])
def test_exception_outcomes_need_reason_and_photo(users, sites, visit_round, outcome) -> None:
    payload = done_payload(visit_round, sites["west_road"], outcome=outcome)
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["exception_reason"], "须填写原因")
    assert _has(errors, ["exception_photo_ids"], "至少拍摄一张照片")
    assert _has(errors, ["judgements"], "不填写判定")


def test_far_position_needs_far_reason(users, sites, visit_round) -> None:
    site = sites["west_road"]
    payload = done_payload(visit_round, site, lat=site.lat + 0.005)  # about 556 m north
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["far_reason"], "超过 300 米")
    payload["far_reason"] = "道路施工封闭，在路口外观察"
    visit, _created = submit_visit(payload, users["inspector"])
    assert visit.distance_m == pytest.approx(556, abs=2)
    assert visit.far_reason == "道路施工封闭，在路口外观察"


def test_round_limit_comes_from_params(users, sites, visit_round) -> None:
    visit_round.params = {"max_distance_m": 1000}
    visit_round.save()
    site = sites["west_road"]
    visit, created = submit_visit(done_payload(visit_round, site, lat=site.lat + 0.005), users["inspector"])
    assert created and visit.far_reason == ""


def test_missing_position_needs_a_reason(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"], lat=None, lng=None)
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["far_reason"], "没有定位")


def test_gcj02_position_is_converted(users, sites, visit_round) -> None:
    site = sites["west_road"]
    g_lng, g_lat = wgs84_to_gcj02(site.lng, site.lat)
    assert haversine_m(site.lat, site.lng, g_lat, g_lng) > 300  # the datum offset alone is too far here
    as_wgs = done_payload(visit_round, site, lat=g_lat, lng=g_lng)
    _post_422(users["inspector"], as_wgs)
    as_gcj = done_payload(visit_round, site, lat=g_lat, lng=g_lng, coord_system="GCJ-02")
    visit, _created = submit_visit(as_gcj, users["inspector"])
    assert visit.lat == pytest.approx(site.lat, abs=1e-6) and visit.lng == pytest.approx(site.lng, abs=1e-6)
    assert visit.distance_m is not None and visit.distance_m < 1


def test_shape_errors_are_chinese_422(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"], outcome="maybe", lat=120, started_at="yesterday")
    del payload["client_id"]
    payload["judgements"][0]["count"] = "many"
    errors = _post_422(users["inspector"], payload)
    assert _has(errors, ["client_id"], "缺少此项")
    assert _has(errors, ["outcome"], "取值无效")
    assert _has(errors, ["lat"], "不能大于 90")
    assert _has(errors, ["started_at"], "格式不正确")
    assert _has(errors, ["judgements", 0, "count"], "整数")


def test_naive_times_and_reversed_times_are_422(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"], started_at="2026-12-01T09:10:00")
    assert _has(_post_422(users["inspector"], payload), ["started_at"], "时区")
    payload = done_payload(visit_round, sites["west_road"], finished_at="2026-12-01T08:00:00+08:00")
    assert _has(_post_422(users["inspector"], payload), ["finished_at"], "早于")


def test_not_json_is_422(users, visit_round) -> None:
    response = client_for(users["inspector"]).post(URL, data="{oops", content_type="application/json")
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"][0]["msg"]


def test_same_client_id_twice_is_one_visit(users, sites, visit_round) -> None:
    client = client_for(users["inspector"])
    payload = done_payload(visit_round, sites["west_road"])
    first = post_json(client, URL, payload)
    second = post_json(client, URL, payload)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["duplicate"] is True and second.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1
    assert AuditEntry.objects.filter(action="visit_submitted").count() == 1


def test_photos_missing_then_success_after_upload(users, sites, visit_round) -> None:
    inspector = users["inspector"]
    client = client_for(inspector)
    early, late = make_photo(inspector), uuid.uuid4()
    payload = done_payload(visit_round, sites["west_road"], failures={"ZD-02": (2, [early.client_id, late])})
    response = post_json(client, URL, payload)
    assert response.status_code == 409
    assert response.json()["code"] == "photos_missing" and response.json()["missing"] == [str(late)]
    assert "照片" in response.json()["detail"]
    assert Visit.objects.count() == 0
    make_photo(inspector, client_id=late)
    response = post_json(client, URL, payload)
    assert response.status_code == 201
    assert Evidence.objects.filter(visit_id=response.json()["id"]).count() == 2


def test_someone_elses_photo_counts_as_missing(users, sites, visit_round) -> None:
    other = make_photo(users["coordinator"])
    payload = done_payload(visit_round, sites["west_road"], failures={"ZD-07": (1, [other.client_id])})
    with pytest.raises(VisitRefused) as exc:
        submit_visit(payload, users["inspector"])
    assert exc.value.code == "photos_missing"


def test_photo_of_another_visit_is_422(users, sites, visit_round) -> None:
    inspector = users["inspector"]
    photo = make_photo(inspector)
    first = done_payload(visit_round, sites["west_road"], failures={"ZD-07": (1, [photo.client_id])})
    submit_visit(first, inspector)
    second = done_payload(visit_round, sites["east_estate"], failures={"LJ-01": (1, [photo.client_id])})
    errors = _post_422_after(inspector, second)
    assert any("已用于其他测评" in e["msg"] for e in errors)


def _post_422_after(user: Any, payload: Any) -> list[dict[str, Any]]:
    visits_before = Visit.objects.count()
    response = post_json(client_for(user), URL, payload)
    assert response.status_code == 422, response.content
    assert Visit.objects.count() == visits_before
    return response.json()["detail"]


def test_already_visited_site_is_409(users, sites, visit_round) -> None:
    client = client_for(users["inspector"])
    assert post_json(client, URL, done_payload(visit_round, sites["west_road"])).status_code == 201
    response = post_json(client, URL, done_payload(visit_round, sites["west_road"]))
    assert response.status_code == 409 and response.json()["code"] == "already_visited"
    assert Visit.objects.count() == 1


def test_closed_round_takes_no_visits(users, sites, visit_round) -> None:
    visit_round.status = RoundStatus.PUBLISHED
    visit_round.save()
    response = post_json(client_for(users["inspector"]), URL, done_payload(visit_round, sites["west_road"]))
    assert response.status_code == 409 and response.json()["code"] == "round_closed"


def test_site_not_in_round_is_404(users, sites, visit_round) -> None:
    visit_round.entries.filter(site=sites["east_estate"]).delete()
    response = post_json(client_for(users["inspector"]), URL, done_payload(visit_round, sites["east_estate"]))
    assert response.status_code == 404 and response.json()["code"] == "site_not_in_round"


@pytest.mark.django_db(transaction=True)
def test_concurrent_resend_stores_one_visit(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"])
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def send() -> None:
        try:
            client = client_for(users["inspector"])
            barrier.wait(timeout=10)
            response = post_json(client, URL, payload)
            results.append((response.status_code, response.json()))
        except Exception as exc:  # pragma: no cover - reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r[0] for r in results) == [200, 201], results
    assert {r[1]["id"] for r in results} == {Visit.objects.get().pk}
    assert sorted(r[1]["duplicate"] for r in results) == [False, True]
    assert Visit.objects.get().status == VisitStatus.SUBMITTED


def test_photo_uploaded_through_the_evidence_api_completes_the_visit(users, sites, visit_round) -> None:
    import io

    from PIL import Image

    client = client_for(users["inspector"])
    photo_id = uuid.uuid4()
    payload = done_payload(visit_round, sites["west_road"], failures={"ZD-03": (2, [photo_id])})
    assert post_json(client, URL, payload).json()["missing"] == [str(photo_id)]
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 120, 200)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    form = {
        "file": buffer,
        "client_id": str(photo_id),
        "kind": "problem",
        "round_id": visit_round.pk,
        "site_id": sites["west_road"].pk,
        "captured_at": "2026-12-01T09:20:00+08:00",
        "lat": sites["west_road"].lat,
        "lng": sites["west_road"].lng,
    }
    upload = client.post("/api/v1/evidence", form)
    assert upload.status_code == 201, upload.content
    response = post_json(client, URL, payload)
    assert response.status_code == 201
    evidence = Evidence.objects.get(client_id=photo_id)
    assert evidence.visit_id == response.json()["id"] and evidence.judgement is not None
