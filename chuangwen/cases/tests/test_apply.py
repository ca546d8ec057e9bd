"""apply(): what must be given, separation of duties, optimistic locking, scope, history and audit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import verify_chain
from chuangwen.cases import machine, services
from chuangwen.cases.exceptions import CaseNotFound, Conflict, TransitionRefused
from chuangwen.cases.models import Case, CaseEvent
from chuangwen.cases.tests.case_fixtures import make_case, make_photo
from chuangwen.rounds.models import Finding, FindingStatus, Judgement, RoundStatus, Visit
from chuangwen.rounds.tests.visit_fixtures import make_round, standard  # noqa: F401
from chuangwen.standards.models import CheckItem

DOC = Path(__file__).resolve().parents[3] / "docs" / "cases.md"


def unchanged(case: Case, state: str, version: int = 1, events: int = 0) -> bool:
    case.refresh_from_db()
    return case.state == state and case.version == version and case.events.count() == events


@pytest.mark.parametrize(
    ("state", "action", "actor_key", "field", "message"),
    [
        ("new", "reject", "coordinator", "reason", "不予受理须说明理由"),
        ("new", "triage_accept", "coordinator", "unit", "分拣派遣须指定责任单位"),
        ("new", "mark_duplicate", "coordinator", "duplicate_of", "标记重复须指明与哪个案卷重复"),
        ("dispatched", "request_return", "east_handler", "reason", "申请退回须说明理由"),
        ("accepted", "rectify", "east_handler", "photos", "报告整改须上传照片"),
        ("accepted", "rectify", "east_handler", "reason", "报告整改须说明理由"),
        ("accepted", "suspend", "coordinator", "planned_date", "挂账须填写计划完成日期"),
        ("rectified", "verify_fail", "verifier", "reason", "核查不通过须说明理由"),
        ("closed", "reopen", "coordinator", "reason", "重新打开须说明理由"),
    ],
)
def test_it_names_the_missing_field_and_writes_nothing(org, people, state, action, actor_key, field, message):
    case = make_case(state, org["east"], area=org["east_c"])
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.apply(case, action, people[actor_key], reason="   ")
    assert message in excinfo.value.message_dict[field]
    assert unchanged(case, state)
    assert AuditEntry.objects.count() == audit_before


def test_it_refuses_wrong_values_by_field(org, people):
    case = make_case("new", None, area=org["east_c"])
    someone_elses = make_photo(people["west_handler"])
    with pytest.raises(ValidationError) as excinfo:
        services.apply(case, "triage_accept", people["coordinator"], unit=org["city"], photos=[someone_elses])
    errors = excinfo.value.message_dict
    assert "责任单位不存在或不在您的管辖范围内" in errors["unit"]
    assert "照片不存在或无权使用" in errors["photos"]
    accepted = make_case("accepted", org["east"])
    with pytest.raises(ValidationError) as excinfo:
        services.apply(
            accepted, "suspend", people["coordinator"], reason="改造", planned_date=timezone.localdate()
        )
    assert "计划完成日期须晚于今天" in excinfo.value.message_dict["planned_date"]
    assert unchanged(case, "new") and unchanged(accepted, "accepted")


def test_it_says_why_a_transition_is_refused(org, people):
    case = make_case("dispatched", org["east"])
    with pytest.raises(TransitionRefused, match="案卷当前状态为“已派遣”，不能核查通过"):
        services.apply(case, "verify_pass", people["verifier"])
    with pytest.raises(TransitionRefused, match="只有文明办协调员可以改派"):
        services.apply(case, "reroute", people["east_handler"], reason="x", unit=org["west"])
    with pytest.raises(TransitionRefused, match="没有待审批的退回申请"):
        services.apply(case, "approve_return", people["east_head"])
    with pytest.raises(TransitionRefused, match="未知操作"):
        services.apply(case, "teleport", people["coordinator"])
    assert unchanged(case, "dispatched")


def walk_to_rectified(org, people) -> Case:
    case = make_case("new", None, area=org["east_c"])
    coordinator, handler = people["coordinator"], people["east_handler"]
    services.apply(case, "triage_accept", coordinator, unit=org["east"])
    services.apply(case, "accept", handler)
    services.apply(case, "rectify", handler, reason="已清理", photos=[make_photo(handler)])
    return case


def test_it_walks_the_main_loop_with_history_and_audit(org, people):
    case = walk_to_rectified(org, people)
    services.apply(
        case, "verify_fail", people["verifier"], reason="仍有堆放", photos=[make_photo(people["verifier"])]
    )
    assert case.state == "rework" and case.rework_count == 1
    handler = people["east_handler"]
    services.apply(case, "rectify", handler, reason="再次清理", photos=[make_photo(handler)])
    services.apply(case, "verify_pass", people["verifier"])
    assert case.state == "closed" and case.closed_at is not None and case.version == 7
    history = list(case.events.values_list("action", "from_state", "to_state"))
    assert history == [
        ("triage_accept", "new", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("rectify", "accepted", "rectified"),
        ("verify_fail", "rectified", "rework"),
        ("rectify", "rework", "rectified"),
        ("verify_pass", "rectified", "closed"),
    ]
    assert case.events.get(action="verify_fail").photos.count() == 1
    assert case.rectified_by == handler
    actions = list(
        AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-1] == "case.verify_pass" and len(actions) == 6
    assert verify_chain().ok


def test_it_never_lets_the_rectifier_verify(org, people):
    case = walk_to_rectified(org, people)
    handler = people["east_handler"]
    # the handler moves to the verification team: he still may not verify his own fix
    handler.role, handler.unit = "verifier", org["district"]
    handler.save()
    for action, extra in [("verify_pass", {}), ("verify_fail", {"reason": "x"})]:
        assert action not in machine.allowed_actions(case, handler)
        with pytest.raises(TransitionRefused, match="整改人不能核查自己整改的案卷"):
            services.apply(case, action, handler, **extra)
    assert unchanged(case, "rectified", 4, 3)
    services.apply(case, "verify_pass", people["verifier2"])
    assert case.state == "closed"


def test_it_lets_one_of_two_stale_appliers_win(org, people):
    case = make_case("dispatched", org["east"])
    seen = case.version
    services.apply(case, "accept", people["east_handler"], expected_version=seen)
    with pytest.raises(Conflict, match="案卷已被他人处理，请刷新后重试"):
        services.apply(case, "request_return", people["east_head"], reason="非本单位", expected_version=seen)
    stale = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(version=5)  # someone else got there meanwhile
    with pytest.raises(Conflict):
        services.apply(
            stale, "rectify", people["east_handler"], reason="x", photos=[make_photo(people["east_handler"])]
        )
    assert case.events.count() == 1 and Case.objects.get(pk=case.pk).state == "accepted"


def test_it_treats_a_case_outside_the_scope_as_not_found(org, people):
    west = make_case("dispatched", org["west"], area=org["west_c"])
    east_handler = people["east_handler"]
    assert not Case.objects.visible_to(east_handler).filter(pk=west.pk).exists()
    assert Case.objects.visible_to(people["west_handler"]).filter(pk=west.pk).exists()
    with pytest.raises(CaseNotFound, match="案卷不存在"):
        services.apply(west, "accept", east_handler)
    # a new case is seen by the district's offices by its area, not by the street people before routing
    new = make_case("new", None, area=org["east_c"])
    assert Case.objects.visible_to(people["leader"]).filter(pk=new.pk).exists()
    assert not Case.objects.visible_to(east_handler).filter(pk=new.pk).exists()
    assert unchanged(west, "dispatched")


def test_it_asks_the_unit_head_to_approve_a_return(org, people):
    case = make_case("dispatched", org["east"])
    services.apply(case, "request_return", people["east_handler"], reason="属于城管职责")
    assert case.state == "dispatched" and case.return_requested
    with pytest.raises(TransitionRefused):
        services.apply(case, "approve_return", people["east_handler"])
    services.apply(case, "approve_return", people["east_head"])
    assert case.state == "returned" and not case.return_requested
    services.apply(case, "redispatch", people["coordinator"], unit=org["dept"])
    assert case.state == "dispatched" and case.unit == org["dept"]
    assert Case.objects.visible_to(people["dept_handler"]).filter(pk=case.pk).exists()


def test_it_marks_a_duplicate_and_suspends_and_resumes(org, people):
    first = make_case("dispatched", org["east"], area=org["east_c"])
    second = make_case("new", None, area=org["east_c"])
    services.apply(
        second, "mark_duplicate", people["coordinator"], reason="同一问题", data={"duplicate_of": first.code}
    )
    assert second.state == "duplicate" and second.events.get().data["duplicate_of"] == first.code
    accepted = make_case("accepted", org["east"])
    planned = timezone.localdate() + timedelta(days=200)
    services.apply(
        accepted, "suspend", people["coordinator"], reason="纳入老旧小区改造", planned_date=planned
    )
    assert accepted.suspended_until == planned
    services.apply(accepted, "resume", people["coordinator"])
    assert accepted.state == "accepted" and accepted.suspended_until is None


def make_finding(org, users, sites, standard, status) -> Finding:  # noqa: F811
    round_ = make_round(org, users, standard, status=RoundStatus.PUBLISHED)
    site = sites["east_estate"]
    visit = Visit.objects.create(
        client_id=uuid.uuid4(), round=round_, site=site, inspector=users["inspector"]
    )
    item = CheckItem.objects.filter(site_type__standard=standard, site_type__code=site.site_type).first()
    assert item is not None
    judgement = Judgement.objects.create(visit=visit, check_item=item, result="not_conforming", count=2)
    return Finding.objects.create(
        judgement=judgement, round=round_, visit=visit, site=site, check_item=item, status=status
    )


def test_it_opens_one_case_per_finding_and_dispatches_the_finding(org, people, sites, standard):  # noqa: F811
    finding = make_finding(org, people, sites, standard, FindingStatus.READY)
    case = services.open_case_from_finding(finding, people["coordinator"])
    assert services.open_case_from_finding(finding, people["coordinator"]) == case
    assert (case.state, case.source, case.area_unit, case.site) == (
        "new",
        "finding",
        org["east_c"],
        sites["east_estate"],
    )
    assert case.code.startswith(f"AJ{timezone.localdate():%Y%m%d}-") and case.events.get().action == "open"
    services.apply(case, "triage_accept", people["coordinator"], unit=org["east"])
    finding.refresh_from_db()
    assert finding.status == FindingStatus.DISPATCHED


def test_it_never_opens_a_case_from_a_hidden_finding(org, people, sites, standard):  # noqa: F811
    finding = make_finding(org, people, sites, standard, FindingStatus.HIDDEN)
    with pytest.raises(TransitionRefused, match="尚未发布"):
        services.open_case_from_finding(finding, None)
    assert not Case.objects.exists()


def test_it_numbers_cases_per_day_and_retries_a_taken_code(org, monkeypatch):
    first = make_case("new", None, area=org["east_c"])
    assert first.code.endswith("-0001")
    codes = iter([first.code, first.code])
    real = services.next_code
    monkeypatch.setattr(services, "next_code", lambda: next(codes, None) or real())
    second = make_case("new", None, area=org["east_c"])
    assert second.code.endswith("-0002")


def test_it_keeps_the_history_append_only(org, people):
    case = walk_to_rectified(org, people)
    event = CaseEvent.objects.filter(case=case).first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_the_doc_shows_the_table_as_the_code_has_it():
    table = machine.describe_table()
    assert table in DOC.read_text(encoding="utf-8"), "regenerate docs/cases.md from machine.describe_table()"
