"""The daily purge of personal data past retention (docs/privacy.md, "Retention"): each kind below is cleared
(anonymised) or deleted once older than its ``PRIVACY_*_DAYS`` setting, while what the campaign counts stays —
reports and their cases, ratings and supporter counts, requests and their states, volunteers' hours, survey
results — and the audit log is never touched (its own retention, ``AUDIT_RETENTION_DAYS`` ≥ 180, is pruned
only by ``chuangwen audit prune``). One audit entry per run names the counts.

Survey respondents' hashes and positions have their own daily purge (``surveys.retention``,
``SURVEY_IDENTIFIER_DAYS``); citizen-report limit counters and captchas theirs (``reports.tasks``, hourly).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from chuangwen.accounts.models import ApiToken, LoginFailure, User
from chuangwen.audit.services import record
from chuangwen.cases.models import OPEN_STATES
from chuangwen.core.models import ApiWrite
from chuangwen.notify.models import Delivery, DeliveryStatus
from chuangwen.privacy.services import anonymise_reports
from chuangwen.reports.models import CitizenReport, ReportSupporter
from chuangwen.volunteers.models import RequestState, ServiceRequest

ANON_PREFIX = "anon-"
# 点单 requests that no longer need their requester: refused, withdrawn, done (awaiting a rating) or rated.
FINISHED_REQUESTS = (RequestState.REJECTED, RequestState.CANCELLED, RequestState.DONE, RequestState.RATED)
FINISHED_DELIVERIES = (DeliveryStatus.SENT, DeliveryStatus.GAVE_UP)


def _before(now: datetime, days: int) -> datetime:
    return now - timedelta(days=int(days))


def expired_reports(now: datetime) -> QuerySet[CitizenReport]:
    """Reports whose case is no longer open and has not changed for PRIVACY_REPORT_DAYS, with something
    personal left."""
    return (
        CitizenReport.objects.filter(case__updated_at__lt=_before(now, settings.PRIVACY_REPORT_DAYS))
        .exclude(case__state__in=OPEN_STATES)
        .exclude(phone="", address_hash="", rating_comment="")
    )


def expired_supporters(now: datetime) -> QuerySet[ReportSupporter]:
    """“我也遇到” rows of such reports still holding a person's keyed hash (the count stays on the report)."""
    before = _before(now, settings.PRIVACY_REPORT_DAYS)
    return (
        ReportSupporter.objects.filter(report__case__updated_at__lt=before)
        .exclude(report__case__state__in=OPEN_STATES)
        .exclude(person_hash__startswith=ANON_PREFIX)
    )


def _anonymise_supporters(rows: QuerySet[ReportSupporter]) -> int:
    # "anon-<pk>" stays unique per report (the row's own key), so the rows and their count remain.
    return rows.update(person_hash=Concat(Value(ANON_PREFIX), Cast(F("pk"), CharField())))


def expired_requests(now: datetime) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(
        state__in=FINISHED_REQUESTS, updated_at__lt=_before(now, settings.PRIVACY_SERVICE_REQUEST_DAYS)
    ).exclude(requester_name="", requester_phone="")


def expired_login_failures(now: datetime) -> QuerySet[LoginFailure]:
    return LoginFailure.objects.filter(at__lt=_before(now, settings.PRIVACY_LOGIN_FAILURE_DAYS))


def expired_tokens(now: datetime) -> QuerySet[ApiToken]:
    before = _before(now, settings.PRIVACY_API_TOKEN_DAYS)
    return ApiToken.objects.filter(Q(expires_at__lt=before) | Q(revoked_at__lt=before))


def expired_accounts(now: datetime) -> QuerySet[User]:
    """Deactivated accounts not signed in (or, never signed in, not created) for PRIVACY_ACCOUNT_DAYS."""
    return (
        User.objects.alias(last_seen=Coalesce("last_login", "date_joined"))
        .filter(is_active=False, last_seen__lt=_before(now, settings.PRIVACY_ACCOUNT_DAYS))
        .exclude(phone="", email="")
    )


def expired_deliveries(now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        status__in=FINISHED_DELIVERIES, created_at__lt=_before(now, settings.PRIVACY_DELIVERY_DAYS)
    ).exclude(target="", body="", payload={}, last_error="")


def expired_api_writes(now: datetime) -> QuerySet[ApiWrite]:
    return ApiWrite.objects.filter(created_at__lt=_before(now, settings.PRIVACY_API_WRITE_DAYS))


# Each kind: the rows past retention, and what is done to them (returns how many rows).
KINDS: dict[str, tuple[Callable[[datetime], QuerySet[Any]], Callable[[QuerySet[Any]], int]]] = {
    "reports": (expired_reports, anonymise_reports),
    "supporters": (expired_supporters, _anonymise_supporters),
    "service_requests": (expired_requests, lambda qs: qs.update(requester_name="", requester_phone="")),
    "login_failures": (expired_login_failures, lambda qs: qs.delete()[0]),
    "api_tokens": (expired_tokens, lambda qs: qs.delete()[0]),
    "accounts": (expired_accounts, lambda qs: qs.update(phone="", email="")),
    "deliveries": (
        expired_deliveries,
        lambda qs: qs.update(target="", body="", payload={}, last_error=""),
    ),
    "api_writes": (expired_api_writes, lambda qs: qs.delete()[0]),
}


def purge(now: datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Clear or delete every kind past retention in one transaction, audited once (``privacy.purge``) with
    the counts; ``dry_run`` only counts and writes nothing."""
    now = now or timezone.now()
    if dry_run:
        return {name: find(now).count() for name, (find, _act) in KINDS.items()}
    with transaction.atomic():
        counts = {name: act(find(now)) for name, (find, act) in KINDS.items()}
        record(None, "privacy.purge", actor_name="system", detail={"counts": counts, "at": now.isoformat()})
    return counts
