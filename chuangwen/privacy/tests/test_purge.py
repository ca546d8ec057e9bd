"""The daily purge: exactly what is past retention is cleared or deleted, what the campaign counts and the
audit log stay, one audit entry per run; the command's dry run changes nothing; the task runs it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import time_machine
from django.core.management import call_command

from chuangwen.accounts.models import ApiToken, LoginFailure
from chuangwen.audit.models import AuditEntry
from chuangwen.core.models import ApiWrite
from chuangwen.notify.models import Delivery, DeliveryStatus
from chuangwen.open311.models import Integration, Submission
from chuangwen.privacy import tasks
from chuangwen.privacy.purge import purge
from chuangwen.privacy.tests.conftest import NOW, OTHER_PHONE, PHONE, service_request
from chuangwen.reports import guard, triage
from chuangwen.reports.models import CitizenReport, ReportSupporter
from chuangwen.volunteers.models import RequestState, ServiceRequest, Volunteer
from chuangwen.volunteers.tests.fixtures import volunteer
from conftest import make_user

DAY = timedelta(days=1)


def _report_world(reports: dict[str, CitizenReport], coordinator: Any, clock: Any) -> None:
    """mine: supported, sent through Open311, rated with a comment, rejected on NOW (old by +366 days);
    theirs: rejected on NOW + 300 days (recent); mine_east: still open."""
    mine = reports["mine"]
    guard.support_report(mine, phone=OTHER_PHONE, ip="10.0.0.5")
    integration = Integration.objects.create(
        name="12345", organisation="市热线", key_prefix="ab", key_hash="0" * 64
    )
    Submission.objects.create(
        integration=integration,
        report=mine,
        client_id=uuid.uuid4(),
        account_id="acct-9",
        media_url="https://x/a.jpg",
    )
    CitizenReport.objects.filter(pk=mine.pk).update(rating_comment="谢谢", address_hash="ab" * 32)
    triage.reject_report(mine, coordinator, "不属于创建范围")
    clock.move_to(NOW + 300 * DAY)
    triage.reject_report(reports["theirs"], coordinator, "不属于创建范围")


def test_it_clears_reports_past_retention_and_keeps_the_rest(
    reports: dict[str, CitizenReport], users: dict[str, Any], clock: Any, settings: Any
) -> None:
    assert settings.PRIVACY_REPORT_DAYS == 365
    _report_world(reports, users["coordinator"], clock)
    audit_before = AuditEntry.objects.count()
    clock.move_to(NOW + 366 * DAY)
    counts = purge()
    mine = CitizenReport.objects.get(pk=reports["mine"].pk)
    assert (mine.phone, mine.address_hash, mine.rating_comment) == ("", "", "")
    assert mine.description and mine.supporters == 1 and mine.case.state == "rejected"
    submission = Submission.objects.get(report=mine)
    assert (submission.account_id, submission.media_url) == ("", "")
    row = ReportSupporter.objects.get(report=mine)
    assert row.person_hash == f"anon-{row.pk}"
    assert CitizenReport.objects.get(pk=reports["theirs"].pk).phone == OTHER_PHONE  # 66 days ago
    assert CitizenReport.objects.get(pk=reports["mine_east"].pk).phone == PHONE  # still open
    assert counts["reports"] == 1 and counts["supporters"] == 1
    # Nothing of the audit log went; the run added exactly one entry with its counts.
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "privacy.purge" and entry.detail["counts"] == counts
    # A second run finds nothing more, and still says so once.
    assert set(purge().values()) == {0}
    assert AuditEntry.objects.filter(action="privacy.purge").count() == 2


def test_it_keeps_a_report_one_day_inside_retention(
    reports: dict[str, CitizenReport], users: dict[str, Any], clock: Any
) -> None:
    triage.reject_report(reports["mine"], users["coordinator"], "不属于创建范围")
    clock.move_to(NOW + 364 * DAY)
    assert purge()["reports"] == 0
    assert CitizenReport.objects.get(pk=reports["mine"].pk).phone == PHONE


def test_it_purges_the_other_kinds_past_retention(org: dict[str, Any], clock: Any) -> None:
    old_failure = LoginFailure.objects.create(username="someone", address="10.1.1.1")
    gone = make_user(
        "gone", "handler", org["west"], is_active=False, phone="13700000000", email="g@example.cn"
    )
    staying = make_user("staying", "handler", org["west"], phone="13700000001", email="s@example.cn")
    old_token = ApiToken.objects.create(
        user=staying, name="旧手机", key_hash="1" * 64, expires_at=NOW + 10 * DAY
    )
    new_token = ApiToken.objects.create(
        user=staying, name="新手机", key_hash="2" * 64, expires_at=NOW + 300 * DAY
    )
    sent = Delivery.objects.create(
        channel_kind="email", target="g@example.cn", subject="通知", body="正文", status=DeliveryStatus.SENT
    )
    pending = Delivery.objects.create(
        channel_kind="email", target="p@example.cn", subject="通知", body="正文"
    )
    finished = service_request(org)
    ServiceRequest.objects.filter(pk=finished.pk).update(state=RequestState.RATED, updated_at=NOW)
    waiting = service_request(org, phone=OTHER_PHONE)
    helper = volunteer(org, 3)
    Volunteer.objects.filter(pk=helper.pk).update(confirmed_minutes=600)
    clock.move_to(NOW + 350 * DAY)
    new_failure = LoginFailure.objects.create(username="someone", address="10.1.1.2")
    clock.move_to(NOW + 366 * DAY)

    counts = purge()

    assert list(LoginFailure.objects.values_list("pk", flat=True)) == [new_failure.pk]
    assert not LoginFailure.objects.filter(pk=old_failure.pk).exists()
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [new_token.pk]
    assert not ApiToken.objects.filter(pk=old_token.pk).exists()
    gone.refresh_from_db()
    staying.refresh_from_db()
    assert (gone.phone, gone.email, gone.full_name) == ("", "", "gone")
    assert (staying.phone, staying.email) == ("13700000001", "s@example.cn")
    sent.refresh_from_db()
    pending.refresh_from_db()
    assert (sent.target, sent.body, sent.subject) == ("", "", "通知")
    assert pending.target == "p@example.cn"
    finished.refresh_from_db()
    waiting.refresh_from_db()
    assert (finished.requester_name, finished.requester_phone, finished.rating) == ("", "", None)
    assert finished.state == RequestState.RATED
    assert waiting.requester_phone == OTHER_PHONE  # still awaiting review
    helper.refresh_from_db()
    assert helper.confirmed_minutes == 600 and helper.phone  # an active volunteer keeps everything
    assert counts == {
        "reports": 0,
        "supporters": 0,
        "service_requests": 1,
        "login_failures": 1,
        "api_tokens": 1,
        "accounts": 1,
        "deliveries": 1,
        "api_writes": 0,
    }


def test_it_counts_without_writing_on_a_dry_run(
    reports: dict[str, CitizenReport], users: dict[str, Any], clock: Any, capsys: Any
) -> None:
    triage.reject_report(reports["mine"], users["coordinator"], "不属于创建范围")
    clock.move_to(NOW + 400 * DAY)
    audit_before = AuditEntry.objects.count()
    call_command("privacy", "purge", "--dry-run")
    out = capsys.readouterr().out
    assert "将要处理" in out and "随手拍（手机号、评价意见、来源摘要）：1" in out
    assert CitizenReport.objects.get(pk=reports["mine"].pk).phone == PHONE
    assert AuditEntry.objects.count() == audit_before
    call_command("privacy", "purge")
    assert CitizenReport.objects.get(pk=reports["mine"].pk).phone == ""
    assert AuditEntry.objects.count() == audit_before + 1


def test_it_runs_daily_on_the_worker(reports: dict[str, CitizenReport], users: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        triage.reject_report(reports["theirs"], users["coordinator"], "不属于创建范围")
        clock.move_to(NOW + 366 * DAY)
        tasks.purge_personal_data.call_local()
    assert CitizenReport.objects.get(pk=reports["theirs"].pk).phone == ""
    assert AuditEntry.objects.filter(action="privacy.purge").count() == 1


def test_it_never_lowers_the_audit_retention_below_180_days(settings: Any) -> None:
    assert settings.AUDIT_RETENTION_DAYS >= 180
    assert settings.PRIVACY_REPORT_DAYS > settings.REPORTS_REOPEN_DAYS


def test_it_forgets_old_records_of_api_writes(org: dict[str, Any], clock: Any) -> None:
    caller = make_user("caller", "coordinator", org["west"])
    old = ApiWrite.objects.create(client_id=uuid.uuid4(), user=caller, operation="units.create")
    clock.move_to(NOW + 80 * DAY)
    recent = ApiWrite.objects.create(client_id=uuid.uuid4(), user=caller, operation="units.create")
    clock.move_to(NOW + 91 * DAY)

    counts = purge()

    assert counts["api_writes"] == 1
    assert list(ApiWrite.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not ApiWrite.objects.filter(pk=old.pk).exists()
