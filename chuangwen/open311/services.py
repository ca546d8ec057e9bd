"""Open311 rules: api keys, the jurisdiction, idempotent posting, and what a service request looks like.

The views only parse and render; everything that decides something is here, as plain functions.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.cases.models import CaseState
from chuangwen.core.bounds import date_error, earliest_date, latest_date
from chuangwen.open311.models import Integration, Submission
from chuangwen.reports.models import CitizenReport, ReportCategory, ReportSource
from chuangwen.reports.public import PublicStatus, first_public_after_photos, public_statuses
from chuangwen.reports.services import RateLimited, submit_report

KEY_PREFIX = "o311_"
# The spec's response volume: "a span of 90 days or first 1000 requests returned, whichever is smallest".
MAX_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
# Idempotency keys (and tokens) of requests without a UUID of their own are UUID-5s in this namespace.
NAMESPACE = uuid.UUID("6f6b3c0e-4f0c-5c8e-9a31-311311311311")


class Open311Error(Exception):
    """An error answer: the HTTP status and the spec's list of (code, description)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else str(status))
        self.status = status
        self.errors = [(status, text) for text in descriptions]


# --- jurisdiction -------------------------------------------------------------------------------------------


def jurisdiction_id() -> str:
    """The one jurisdiction served: ``OPEN311_JURISDICTION_ID``, else the host of ``CHUANGWEN_BASE_URL``."""
    configured = settings.OPEN311_JURISDICTION_ID
    if configured:
        return str(configured)
    host = urlsplit(settings.CHUANGWEN_BASE_URL).hostname or "localhost"
    return host.removeprefix("www.")


def check_jurisdiction(given: str | None) -> None:
    """One jurisdiction, so the argument is optional; a different one does not exist here (404)."""
    if given and given.strip() != jurisdiction_id():
        raise Open311Error(404, _("jurisdiction_id not found: %(id)s") % {"id": given})


# --- api keys -----------------------------------------------------------------------------------------------


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(integration: Integration, *, request: HttpRequest | None = None) -> str:
    """Give the integration a new key (saving it if new) and return the key: it is shown once, only its
    SHA-256 and a short prefix are kept. Issuing again replaces the old key and lifts a revocation."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    integration.key_prefix = key[:12]
    integration.key_hash = key_digest(key)
    integration.revoked_at = None
    integration.active = True
    if integration.created_by_id is None and request is not None and request.user.is_authenticated:
        integration.created_by = request.user  # type: ignore[assignment]
    with transaction.atomic():
        integration.save()
        record(
            request,
            "open311_key_issued",
            obj=integration,
            detail={
                "name": integration.name,
                "organisation": integration.organisation,
                "prefix": integration.key_prefix,
            },
        )
    return key


def revoke_key(integration: Integration, *, request: HttpRequest | None = None) -> bool:
    """Revoke the key for good (until a new one is issued); False when it was revoked already."""
    with transaction.atomic():
        changed = Integration.objects.filter(pk=integration.pk, revoked_at=None).update(
            revoked_at=timezone.now(), active=False
        )
        if changed:
            record(
                request,
                "open311_key_revoked",
                obj=integration,
                detail={"name": integration.name, "prefix": integration.key_prefix},
            )
    integration.refresh_from_db(fields=["revoked_at", "active"])
    return bool(changed)


def integration_for_key(key: str | None) -> Integration:
    """The integration of a usable key, or the spec's 403 (missing, wrong or revoked key)."""
    if not key:
        raise Open311Error(403, _("api_key is missing -- can't proceed with create_request."))
    integration = Integration.objects.filter(key_hash=key_digest(key.strip())).first()
    if integration is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    if not integration.usable:
        raise Open311Error(403, _("The api_key has been revoked -- can't proceed with create_request."))
    now = timezone.now()
    if integration.last_used_at is None or now - integration.last_used_at > timedelta(minutes=1):
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
    return integration


# --- services -----------------------------------------------------------------------------------------------


def active_services() -> Iterable[ReportCategory]:
    return ReportCategory.objects.filter(active=True).prefetch_related("open311_attributes")


def service(code: str | None) -> ReportCategory:
    if not code:
        raise Open311Error(400, _("service_code was not provided"))
    category = ReportCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code not found: %(code)s") % {"code": code})
    return category


def service_item(category: ReportCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": any(a.variable for a in category.open311_attributes.all()),
        "type": "realtime",
        "keywords": ", ".join(category.keywords.split()),
        "group": category.duty,
    }


def service_definition(category: ReportCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description or None,
                "order": attribute.order,
                "description": attribute.description,
                "values": [{"key": key, "name": name} for key, name in attribute.value_names().items()],
            }
            for attribute in category.open311_attributes.order_by("order", "code")
        ],
    }


# --- dates --------------------------------------------------------------------------------------------------


def w3(moment: datetime | None) -> str | None:
    """ISO 8601 as in the W3C note, with the offset: 2026-12-01T09:30:00+08:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def parse_w3(name: str, text: str) -> datetime:
    """A W3C datetime (2010-01-01T00:00:00Z, with an offset, optional seconds and fraction) or a plain date
    (local midnight). A time without its zone is refused, as the note requires it."""
    text = text.strip()
    try:
        if len(text) == 10:
            moment = timezone.make_aware(datetime.strptime(text, "%Y-%m-%d"))
        elif "T" not in text:
            raise ValueError(text)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(
            400, _("%(name)s must use the w3 format, eg 2010-01-01T00:00:00Z") % {"name": name}
        ) from None
    if moment.tzinfo is None:
        raise Open311Error(
            400, _("%(name)s must include the time zone (Z or ±hh:mm)") % {"name": name}
        ) from None
    if date_error(moment, name) is not None:  # 9999-12-31 + 90 days does not exist (chuangwen.core.bounds)
        low, high = earliest_date(), latest_date()
        raise Open311Error(
            400,
            _("%(name)s must lie between %(low)s and %(high)s") % {"name": name, "low": low, "high": high},
        )
    return moment


# --- posting ------------------------------------------------------------------------------------------------


@dataclass
class Posted:
    """A parsed ``POST requests`` form."""

    category: ReportCategory
    lat: float
    lng: float
    description: str = ""
    address: str = ""
    phone: str = ""
    client_id: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    media_url: str = ""
    account_id: str = ""
    device_id: str = ""  # the spec's device_id: not kept, only counted against the per-device limit


def idempotency_key(integration: Integration, posted: Posted, at: datetime) -> uuid.UUID:
    """The key that makes a retry return the first request instead of creating a second.

    - With ``client_id``: the integrator's own identifier. A UUID is used as it is (and is then the token the
      integrator can look up); any other text becomes a UUID-5 of (integration, text).
    - Without: a UUID-5 of (integration, lat, long, service_code, description, address, minute of receipt), so
      the same request sent twice within the same minute is one request.
    """
    if posted.client_id:
        try:
            return uuid.UUID(posted.client_id)
        except ValueError:
            return uuid.uuid5(NAMESPACE, f"client_id\n{integration.pk}\n{posted.client_id}")
    minute = timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")
    content = "\n".join(
        [
            "content",
            str(integration.pk),
            f"{posted.lat:.6f}",
            f"{posted.lng:.6f}",
            posted.category.code,
            posted.description.strip(),
            posted.address.strip(),
            minute,
        ]
    )
    return uuid.uuid5(NAMESPACE, content)


# The reports app's field names → the spec's, for error descriptions.
FIELD_NAMES = {
    "category": "service_code",
    "lat": "lat",
    "lng": "long",
    "address": "address_string",
    "description": "description",
    "phone": "phone",
    "client_id": "client_id",
}


def _validation_errors(exc: ValidationError) -> Open311Error:
    if hasattr(exc, "error_dict"):
        texts = [
            f"{FIELD_NAMES.get(name, name)}: {message}"
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        texts = list(exc.messages)
    return Open311Error(400, *texts)


def _existing(client_id: uuid.UUID, integration: Integration) -> Submission | None:
    submission = Submission.objects.select_related("report").filter(client_id=client_id).first()
    if submission is not None and submission.integration_id != integration.pk:
        raise Open311Error(400, _("client_id has already been used by another integration"))
    return submission


def _describe(posted: Posted) -> str:
    """The citizen's description with the answers to the service definition's questions after it, so the
    coordinator's triage sees them."""
    if not posted.attributes:
        return posted.description
    by_code = {a.code: a for a in posted.category.open311_attributes.all()}
    lines = []
    for code, values in posted.attributes.items():
        attribute = by_code.get(code)
        names = attribute.value_names() if attribute else {}
        shown = "、".join(names.get(v, v) for v in values)
        lines.append(f"{attribute.description if attribute else code}：{shown}")
    return "\n".join([posted.description, *lines]).strip()


def post_request(
    integration: Integration, posted: Posted, *, request: HttpRequest | None = None
) -> tuple[Submission, bool]:
    """Create the citizen report (and its case, state ``new``, for the coordinator's triage) once per
    idempotency key; a retry returns the first one. Returns (submission, created)."""
    client_id = idempotency_key(integration, posted, timezone.now())
    existing = _existing(client_id, integration)
    if existing is not None:
        return existing, False
    if CitizenReport.objects.filter(client_id=client_id).exists():
        # The UUID of a report sent through the web page: not this integration's to claim.
        raise Open311Error(400, _("client_id has already been used by another integration"))
    try:
        with transaction.atomic():
            report = submit_report(
                category=posted.category,
                description=_describe(posted),
                lat=posted.lat,
                lng=posted.lng,
                client_id=client_id,
                phone=posted.phone,
                address=posted.address,
                gcj02=False,
                source=ReportSource.OPEN311,
                integration=integration.name,
                ip=None,
                device=f"open311:{integration.pk}:{posted.device_id}" if posted.device_id else None,
            )
            submission = Submission.objects.create(
                integration=integration,
                report=report,
                client_id=client_id,
                external_id=posted.client_id[:100],
                attributes=posted.attributes,
                media_url=posted.media_url,
                account_id=posted.account_id,
            )
            record(
                request,
                "open311_request_created",
                obj=report,
                actor_name=f"open311:{integration.name}",
                detail={"integration": integration.name, "service_request_id": report.pk},
            )
    except ValidationError as exc:
        raise _validation_errors(exc) from None
    except RateLimited as exc:
        raise Open311Error(400, exc.message) from None
    except IntegrityError:
        # Two identical requests at once: the other one won; answer with its request.
        existing = _existing(client_id, integration)
        if existing is None:
            raise
        return existing, False
    return submission, True


# --- service requests ---------------------------------------------------------------------------------------


def public_requests() -> QuerySet[CitizenReport]:
    """Every citizen report is a public service request; nothing else (findings, hotline orders) is."""
    return CitizenReport.objects.select_related("case", "case__unit", "category")


def request_items(
    reports: Iterable[CitizenReport], request: HttpRequest, *, extensions: bool = False
) -> list[dict[str, Any]]:
    """The service requests as the spec lists them, in a fixed number of queries whatever their number;
    never the reporter's phone, e-mail, name or device.

    ``status`` and ``status_notes`` are the public status page's (``reports.public``); ``media_url`` is the
    first photo the public may see (blurred, EXIF-free, served by the privacy module), or none: the reports
    app decides which photos are public; nothing else is ever linked."""
    reports = list(reports)
    photos = first_public_after_photos(reports)
    return [
        _request_item(report, status, photos.get(report.pk), request, extensions)
        for report, status in zip(reports, public_statuses(reports), strict=True)
    ]


def _request_item(
    report: CitizenReport, status: PublicStatus, photo: str | None, request: HttpRequest, extensions: bool
) -> dict[str, Any]:
    case = report.case
    item: dict[str, Any] = {
        "service_request_id": report.pk,
        "status": "open" if status.open else "closed",
        "status_notes": status.notes or None,
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description or None,
        "agency_responsible": case.unit.name if case.unit is not None else None,
        "service_notice": None,
        "requested_datetime": w3(report.created_at),
        "updated_datetime": w3(case.closed_at if not status.open and case.closed_at else status.updated_at),
        "expected_datetime": w3(case.deadline) if status.open and case.state != CaseState.NEW else None,
        "address": report.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lng,
        "media_url": request.build_absolute_uri(photo) if photo else None,
    }
    if extensions:
        item["extended_attributes"] = {
            "chuangwen_state": case.state,
            "chuangwen_state_label": str(CaseState(case.state).label),
            "chuangwen_public_status": status.code,
            "channel": report.source,
        }
    return item
