"""GeoReport v2 endpoints: parse the arguments, call the services, render JSON or XML; every error is the
spec's ``errors`` body with the spec's HTTP status (404 missing resource, 403 api_key, 400 anything else)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from chuangwen.cases.models import OPEN_STATES
from chuangwen.core.bounds import PAGE_MAX, parse_ids
from chuangwen.open311 import render, services
from chuangwen.open311.models import Datatype, ServiceAttribute, Submission
from chuangwen.open311.services import MAX_REQUESTS, MAX_SPAN, Open311Error, Posted
from chuangwen.sites.models import Site

MAX_DESCRIPTION = 4000
CHANGESET = "2026-01-01T00:00:00+08:00"  # when this discovery document last changed

View = Callable[..., HttpResponse]


def _arg(data: QueryDict, name: str) -> str:
    """An optional argument: empty is the same as absent."""
    return (data.get(name) or "").strip()


def _many(data: QueryDict, name: str) -> list[str]:
    """An argument that may be declared several times and comma delimited."""
    return [part.strip() for value in data.getlist(name) for part in value.split(",") if part.strip()]


def open311_view(methods: tuple[str, ...] = ("GET",)) -> Callable[[View], View]:
    """Format check, jurisdiction check, method check, and Open311Error → the spec's errors body."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in render.FORMATS:
                return render.errors("xml", 404, [(404, _("Unknown format: %(fmt)s") % {"fmt": fmt})])
            try:
                if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                    raise Open311Error(400, _("Method %(m)s is not supported here") % {"m": request.method})
                data = request.POST if request.method == "POST" else request.GET
                services.check_jurisdiction(
                    _arg(data, "jurisdiction_id") or _arg(request.GET, "jurisdiction_id")
                )
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return render.errors(fmt, exc.status, exc.errors)

        return wrapper

    return decorate


# --- discovery and services ---------------------------------------------------------------------------------


@open311_view()
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    document = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT or _("区文明办（创建办）"),
        "key_service": _("接入密钥（api_key）由系统管理员在后台“Open311 接入方”中签发"),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": request.build_absolute_uri(request.path.rsplit("/", 1)[0]),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render.respond(fmt, "discovery", document)


@open311_view()
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render.respond(fmt, "services", [services.service_item(c) for c in services.active_services()])


@open311_view()
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    category = services.service(service_code)
    return render.respond(fmt, "service_definition", services.service_definition(category))


# --- requests -----------------------------------------------------------------------------------------------


@csrf_exempt
@open311_view(methods=("GET", "POST"))
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    return _list_requests(request, fmt)


def _float(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number") % {"name": name}) from None
    if not math.isfinite(value):
        raise Open311Error(400, _("%(name)s must be a number") % {"name": name})
    return value


def _location(data: QueryDict) -> tuple[float, float, str]:
    """lat & long, or else address_id (a site code of our registry), or else address_string (a site's exact
    name or address): the report needs a position to be routed and checked for duplicates."""
    lat_text, long_text = _arg(data, "lat"), _arg(data, "long")
    address = _arg(data, "address_string")
    if lat_text or long_text:
        if not (lat_text and long_text):
            raise Open311Error(400, _("lat & long both need to be sent"))
        lat, lng = _float("lat", lat_text), _float("long", long_text)
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise Open311Error(400, _("lat/long are not a WGS-84 position"))
        return lat, lng, address
    address_id = _arg(data, "address_id")
    site: Site | None = None
    if address_id:
        site = Site.objects.filter(code=address_id, active=True).first()
        if site is None:
            raise Open311Error(400, _("address_id not found: %(id)s") % {"id": address_id})
    elif address:
        matches = list(Site.objects.filter(Q(name=address) | Q(address=address), active=True)[:2])
        if len(matches) != 1:
            raise Open311Error(
                400, _("address_string could not be located; send lat & long (WGS-84) with it")
            )
        site = matches[0]
    else:
        raise Open311Error(
            400, _("A full location parameter must be submitted: lat & long, address_string or address_id")
        )
    return site.lat, site.lng, address or site.address or site.name


def _attributes(data: QueryDict, definition: list[ServiceAttribute]) -> dict[str, list[str]]:
    """``attribute[code]=value`` and, for a multivaluelist, ``attribute[code][]=value`` repeated."""
    given: dict[str, list[str]] = {}
    for key, values in data.lists():
        if not key.startswith("attribute[") or "]" not in key:
            continue
        code = key[len("attribute[") : key.index("]")]
        given.setdefault(code, []).extend(v.strip() for v in values if v.strip())
    by_code = {a.code: a for a in definition if a.variable}
    problems: list[str] = []
    for code in given:
        if code not in by_code:
            problems.append(_("attribute[%(code)s] is not part of this service definition") % {"code": code})
    for code, attribute in by_code.items():
        values = given.get(code, [])
        if not values:
            if attribute.required:
                problems.append(_("attribute[%(code)s] is required") % {"code": code})
            continue
        problem = _attribute_problem(attribute, values)
        if problem:
            problems.append(problem)
    if problems:
        raise Open311Error(400, *problems)
    return {code: values for code, values in given.items() if values}


def _attribute_problem(attribute: ServiceAttribute, values: list[str]) -> str | None:
    code = attribute.code
    keys = attribute.value_keys()
    if attribute.datatype == Datatype.MULTIVALUELIST:
        if any(v not in keys for v in values):
            return _("attribute[%(code)s] has a value that is not in its list") % {"code": code}
        return None
    if len(values) > 1:
        return _("attribute[%(code)s] takes one value") % {"code": code}
    value = values[0]
    if attribute.datatype == Datatype.SINGLEVALUELIST and value not in keys:
        return _("attribute[%(code)s] has a value that is not in its list") % {"code": code}
    if attribute.datatype == Datatype.NUMBER:
        try:
            _float(f"attribute[{code}]", value)
        except Open311Error as exc:
            return str(exc)
    if attribute.datatype == Datatype.DATETIME:
        try:
            services.parse_w3(f"attribute[{code}]", value)
        except Open311Error as exc:
            return str(exc)
    return None


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    integration = services.integration_for_key(_arg(data, "api_key") or _arg(request.GET, "api_key"))
    category = services.service(_arg(data, "service_code"))
    lat, lng, address = _location(data)
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, _("description is limited to 4,000 characters"))
    attributes = _attributes(data, list(category.open311_attributes.all()))
    media_url = _arg(data, "media_url")
    try:
        if media_url:
            URLValidator(schemes=["http", "https"])(media_url)
    except ValidationError:
        raise Open311Error(400, _("media_url is not a valid URL")) from None
    posted = Posted(
        category=category,
        lat=lat,
        lng=lng,
        description=description,
        address=address[:200],
        phone=_arg(data, "phone"),
        client_id=_arg(data, "client_id")[:100],
        attributes=attributes,
        media_url=media_url[:500],
        account_id=_arg(data, "account_id")[:100],
        device_id=_arg(data, "device_id")[:100],
    )
    submission, _created = services.post_request(integration, posted, request=request)
    body = [
        {
            "service_request_id": submission.report_id,
            "service_notice": _("已收到，文明办将分拣并派至责任单位处置"),
            "account_id": submission.account_id or None,
        }
    ]
    return render.respond(fmt, "service_requests", body)


def _window(data: QueryDict) -> tuple[datetime, datetime]:
    start_text, end_text = _arg(data, "start_date"), _arg(data, "end_date")
    start = services.parse_w3("start_date", start_text) if start_text else None
    end = services.parse_w3("end_date", end_text) if end_text else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, _("end_date is before start_date"))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days"))
    return start, end


def _page(data: QueryDict) -> tuple[int, int]:
    """The pagination extension (page, page_size); without it, the first 1000 requests."""
    try:
        page = int(_arg(data, "page") or 1)
        size = int(_arg(data, "page_size") or MAX_REQUESTS)
    except ValueError:
        raise Open311Error(400, _("page and page_size must be whole numbers")) from None
    if not 1 <= page <= PAGE_MAX or not 1 <= size <= MAX_REQUESTS:
        raise Open311Error(400, _("page must be 1 or more, page_size 1 to 1000"))
    return (page - 1) * size, size


def _extensions(data: QueryDict) -> bool:
    return _arg(data, "extensions").lower() in {"true", "1"}


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.GET
    reports = services.public_requests()
    ids = _many(data, "service_request_id")
    if ids:  # "This overrides all other arguments."
        reports = reports.filter(pk__in=parse_ids(",".join(ids)))
    else:
        codes = _many(data, "service_code")
        if codes:
            reports = reports.filter(category__code__in=codes)
        statuses = set(_many(data, "status"))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open or closed"))
        if statuses == {"open"}:
            reports = reports.filter(case__state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            reports = reports.exclude(case__state__in=OPEN_STATES)
        start, end = _window(data)
        reports = reports.filter(created_at__gte=start, created_at__lte=end)
    offset, size = _page(data)
    page = reports.order_by("-created_at", "-pk")[offset : offset + size]
    body = services.request_items(page, request, extensions=_extensions(data))
    return render.respond(fmt, "service_requests", body)


@open311_view()
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    found = parse_ids(service_request_id) if service_request_id.isdigit() else []
    report = services.public_requests().filter(pk=found[0]).first() if found else None
    if report is None:
        raise Open311Error(404, _("service_request_id not found: %(id)s") % {"id": service_request_id})
    body = services.request_items([report], request, extensions=_extensions(request.GET))
    return render.respond(fmt, "service_requests", body)


@open311_view()
def token(request: HttpRequest, token_id: str, fmt: str) -> HttpResponse:
    submission = None
    try:
        submission = Submission.objects.filter(client_id=token_id).only("report_id", "client_id").first()
    except ValidationError:  # not a UUID: no such token
        submission = None
    if submission is None:
        raise Open311Error(404, _("token not found: %(token)s") % {"token": token_id})
    body = [{"service_request_id": submission.report_id, "token": str(submission.client_id)}]
    return render.respond(fmt, "service_requests", body)


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "json" if path.endswith(".json") else "xml"
    return render.errors(fmt, 404, [(404, _("No such resource: /%(path)s") % {"path": path})])
