"""Fixtures of the privacy tests: conftest's district, a fixed clock, two reports of one citizen, and an
officer of the district and one of the east street."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.accounts.models import LoginFailure
from chuangwen.reports import guard
from chuangwen.reports.models import CitizenReport, ReportCategory
from chuangwen.reports.tests.report_fixtures import EAST, WEST, submit
from chuangwen.surveys.models import CoachingVisit
from chuangwen.surveys.services import phone_key
from chuangwen.volunteers import requests
from chuangwen.volunteers import services as volunteer_services
from chuangwen.volunteers.models import ServiceRequest
from chuangwen.volunteers.tests.fixtures import PASSWORD as VOLUNTEER_PASSWORD
from chuangwen.volunteers.tests.fixtures import id_number
from conftest import make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A working morning; every test computes its expectations from it.
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=SHANGHAI)
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
ID_NUMBER = id_number(41)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_limits(settings: Any) -> None:
    settings.PRIVACY_REQUEST_ADDRESS_LIMIT = 10
    settings.PRIVACY_REQUEST_DEVICE_LIMIT = 10
    settings.PRIVACY_REQUEST_CODE_LIMIT = 5
    settings.PRIVACY_REQUEST_CAPTCHA_AFTER = 100  # tests that want the captcha lower it


@pytest.fixture
def reports(
    clock: Any, org: dict[str, Any], categories: dict[str, ReportCategory]
) -> dict[str, CitizenReport]:
    """Two reports of PHONE (west and east), one of another citizen (west)."""
    category = next(iter(categories.values()))
    return {
        "mine": submit(category, WEST, phone=PHONE, address="西湖大道 1 号门口"),
        "mine_east": submit(category, EAST, phone=PHONE),
        "theirs": submit(category, WEST, phone=OTHER_PHONE),
    }


@pytest.fixture
def officers(users: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    return {
        "district": users["coordinator"],
        "east": make_user("east_coord", "coordinator", org["east"]),
        "west": make_user("west_coord", "coordinator", org["west"]),
        "handler": users["west_handler"],
    }


def service_request(org: dict[str, Any], phone: str = PHONE, unit: str = "west_c") -> ServiceRequest:
    """A 点单 request of the resident with ``phone``, through the public service."""
    return requests.submit(
        requests.Submission(
            unit_id=org[unit].pk,
            category=requests.ServiceCategory.ELDERLY,
            description="家中老人需要陪同就医",
            requester_name="王阿姨",
            requester_phone=phone,
            client_id=uuid.uuid4(),
        )
    )


@pytest.fixture
def person(reports: dict[str, CitizenReport], org: dict[str, Any]) -> dict[str, Any]:
    """One resident (PHONE) everywhere in the west community: the reports above, a “me too” on a neighbour's
    report, a volunteer with an account, a 点单 request, a coaching visit and a failed login."""
    guard.support_report(reports["theirs"], phone=PHONE, ip="10.0.0.7")
    helper = volunteer_services.register(
        volunteer_services.Registration(
            name="李志愿",
            phone=PHONE,
            id_number=ID_NUMBER,
            unit_id=org["west_c"].pk,
            password=VOLUNTEER_PASSWORD,
        )
    )
    LoginFailure.objects.create(username=PHONE, address="10.9.9.9")
    return {
        "volunteer": helper,
        "request": service_request(org),
        "coaching": CoachingVisit.objects.create(
            unit=org["west_c"], respondent_key=phone_key(PHONE), visited_on=NOW.date(), note="入户宣传"
        ),
    }
