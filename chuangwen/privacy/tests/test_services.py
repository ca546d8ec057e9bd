"""The citizen's own report (services): the right pair finds it, a wrong pair reads like an unknown code,
removal clears only that report's reporter fields and is audited, attempts are limited per code."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from chuangwen.audit.models import AuditEntry
from chuangwen.privacy import services
from chuangwen.privacy.tests.conftest import OTHER_PHONE, PHONE
from chuangwen.reports.limits import RateLimited
from chuangwen.reports.models import CitizenReport


def test_it_finds_the_report_with_its_code_and_phone(reports: dict[str, CitizenReport]) -> None:
    mine = reports["mine"]
    code = mine.tracking_code.lower()  # case and spaces are forgiven like on the status page
    found = services.find_own(f" {code} ", f"+86 {PHONE}", ip="10.0.0.1", device=None)
    assert found.pk == mine.pk
    data = services.own_data(found)
    assert data["phone"] == PHONE and data["address"] == "西湖大道 1 号门口"
    assert data["sender_address_hash_kept"] is False and data["photos"] == 0


def test_it_answers_a_wrong_pair_exactly_like_an_unknown_code(reports: dict[str, CitizenReport]) -> None:
    with pytest.raises(services.NotFound) as wrong:
        services.find_own(reports["mine"].tracking_code, OTHER_PHONE, ip="10.0.0.1", device=None)
    with pytest.raises(services.NotFound) as unknown:
        services.find_own("SP23456789", PHONE, ip="10.0.0.1", device=None)
    assert str(wrong.value) == str(unknown.value) == services.not_found_message()


def test_it_checks_the_fields_before_counting(reports: dict[str, CitizenReport]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.find_own("", "12345", ip="10.0.0.1", device=None)
    assert set(refused.value.message_dict) == {"tracking_code", "phone"}
    assert "11 位" in refused.value.message_dict["phone"][0]


def test_it_forgets_only_that_reports_personal_data(reports: dict[str, CitizenReport]) -> None:
    mine, other_of_mine = reports["mine"], reports["mine_east"]
    CitizenReport.objects.filter(pk=mine.pk).update(
        rating=4, rating_comment="处理及时，谢谢", address_hash="ab" * 32
    )
    before = AuditEntry.objects.count()
    services.forget(CitizenReport.objects.get(pk=mine.pk))
    mine.refresh_from_db()
    assert (mine.phone, mine.rating_comment, mine.address_hash) == ("", "", "")
    # The report's content and the campaign's figures stay.
    assert mine.rating == 4 and mine.description and mine.address == "西湖大道 1 号门口" and mine.case_id
    other_of_mine.refresh_from_db()
    assert other_of_mine.phone == PHONE
    assert CitizenReport.objects.get(pk=reports["theirs"].pk).phone == OTHER_PHONE
    entry = AuditEntry.objects.get(action="privacy.citizen_delete")
    assert AuditEntry.objects.count() == before + 1
    assert entry.detail == {"tracking_code": mine.tracking_code, "phone": "138****5678"}
    assert PHONE not in str(entry.detail)
    # Afterwards the pair no longer finds anything: the same answer as an unknown code.
    with pytest.raises(services.NotFound):
        services.find_own(mine.tracking_code, PHONE, ip="10.0.0.2", device=None)


def test_it_limits_the_attempts_on_one_code_from_anywhere(
    reports: dict[str, CitizenReport], settings: Any
) -> None:
    code = reports["mine"].tracking_code
    for n in range(settings.PRIVACY_REQUEST_CODE_LIMIT):
        with pytest.raises(services.NotFound):
            services.find_own(code, OTHER_PHONE, ip=f"10.0.1.{n}", device=None)
    with pytest.raises(RateLimited) as limited:
        services.find_own(code, PHONE, ip="10.0.2.1", device=None)  # even the right pair now waits
    assert limited.value.field == "code"


def test_it_limits_an_unknown_code_the_same_way(reports: dict[str, CitizenReport], settings: Any) -> None:
    for n in range(settings.PRIVACY_REQUEST_CODE_LIMIT):
        with pytest.raises(services.NotFound):
            services.find_own("SP23456789", PHONE, ip=f"10.0.1.{n}", device=None)
    with pytest.raises(RateLimited):
        services.find_own("SP23456789", PHONE, ip="10.0.2.1", device=None)


def test_it_limits_one_address(reports: dict[str, CitizenReport], settings: Any) -> None:
    settings.PRIVACY_REQUEST_ADDRESS_LIMIT = 2
    for _n in range(2):
        with pytest.raises(services.NotFound):
            services.find_own("SP23456789", PHONE, ip="10.0.0.9", device=None)
    with pytest.raises(RateLimited) as limited:
        services.find_own(reports["mine"].tracking_code, PHONE, ip="10.0.0.9", device=None)
    assert limited.value.field == "address"
