"""The JSON API under /api/v1/: each app adds its router here."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from chuangwen.accounts.token_auth import ExpiredTokenError, TokenAuth
from chuangwen.core.api_errors import ApiError, ContractAPI

# ContractAPI: the schema also lists the answers of the machinery (401, 404 of a path id, 422 …), see
# core/api_errors.py; core/tests/test_api_contract.py checks the schema against the server.
api = ContractAPI(
    title="创文 API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],  # a token request must not fail the session CSRF check first
    docs_url="/docs",
)


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    """The one handler of the API's refusals (``core/api_errors.py``)."""
    return exc.response()


@api.exception_handler(ExpiredTokenError)
def expired_token(request: HttpRequest, exc: ExpiredTokenError) -> HttpResponse:
    return ApiError(401, "token_expired", exc.message).response()


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """``get_object_or_404`` inside an endpoint: the API's error shape, worded like every other 404."""
    return ApiError(404, "not_found", _("对象不存在")).response()


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """ninja's own 401 (``{"detail": "Unauthorized"}``), kept as it was: the HttpError handler below would
    otherwise take it."""
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's ``handler404`` (chuangwen/urls.py): under /api/ the API's JSON 404, elsewhere the 404 page."""
    if request.path.startswith("/api/"):
        return ApiError(404, "not_found", _("对象不存在")).response()
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


_HTTP_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 429: "throttled"}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's refusals (a body that does not parse, the session's CSRF check) in the API's error shape."""
    detail = exc.message
    if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        detail = _("请求体无法解析")
    elif exc.status_code == 403 and "CSRF" in detail:
        detail = _("CSRF 检查未通过")
    code = _HTTP_ERROR_CODES.get(exc.status_code, "error")
    return ApiError(exc.status_code, code, detail).response()


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> Any:
    """422 as ninja has it (``detail``: loc, msg, type), with pydantic's English messages put in Chinese."""
    from chuangwen.core.bounds import chinese_error

    return api.create_response(request, {"detail": [chinese_error(e) for e in exc.errors]}, status=422)


def _register() -> None:
    from chuangwen.accounts.api import router as accounts_router
    from chuangwen.accounts.api_tokens import router as tokens_router
    from chuangwen.bulletins.api import router as bulletins_router
    from chuangwen.bulletins.api_exposure import router as bulletins_exposure_router
    from chuangwen.cases.api import ROUTERS as cases_routers
    from chuangwen.cases.api_photo_checks import router as case_photo_checks_router
    from chuangwen.core.api_imports import router as imports_router
    from chuangwen.dashboards.api import router as dashboards_router
    from chuangwen.evidence.api import router as evidence_router
    from chuangwen.materials.api import router as materials_router
    from chuangwen.materials.api_files import router as materials_files_router  # the same router
    from chuangwen.materials.api_periods import router as materials_periods_router  # the same, with writes
    from chuangwen.notify.api import router as notify_router
    from chuangwen.notify.api_settings import router as notify_settings_router
    from chuangwen.open311.api_keys import router as open311_keys_router
    from chuangwen.org.api import router as org_router
    from chuangwen.org.api_manage import router as org_manage_router  # the units router with the writes
    from chuangwen.privacy.api import router as privacy_router
    from chuangwen.rankings.api import router as rankings_router
    from chuangwen.reports.api import router as reports_router
    from chuangwen.rounds.api import router as rounds_router
    from chuangwen.rounds.api_manage import ROUTERS as rounds_manage_routers
    from chuangwen.sites.api import router as sites_router
    from chuangwen.sites.api_manage import router as sites_manage_router  # the sites router with the writes
    from chuangwen.standards.api import router as standards_router
    from chuangwen.surveys.api import router as surveys_router
    from chuangwen.surveys.api_staff import router as surveys_staff_router
    from chuangwen.volunteers.api import ROUTERS as volunteers_routers
    from chuangwen.volunteers.api_activity_new import router as volunteers_activity_router  # the same
    from chuangwen.volunteers.api_manage import router as volunteers_manage_router  # people router, writes
    from chuangwen.workdays.api import router as workdays_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/accounts", tokens_router)
    api.add_router("/units", org_router)
    assert org_manage_router is org_router
    api.add_router("/sites", sites_router)
    assert sites_manage_router is sites_router
    api.add_router("/standards", standards_router)
    api.add_router("/inspect", rounds_router)
    api.add_router("/evidence", evidence_router)
    for router in cases_routers:
        api.add_router("/cases", router)
    api.add_router("/cases", case_photo_checks_router)
    api.add_router("/inbox", notify_router)
    api.add_router("/notify", notify_settings_router)
    api.add_router("/dashboards", dashboards_router)
    api.add_router("/rankings", rankings_router)
    api.add_router("/materials", materials_router)
    assert materials_periods_router is materials_router and materials_files_router is materials_router
    api.add_router("/surveys", surveys_router)
    api.add_router("/surveys", surveys_staff_router)
    api.add_router("/bulletins", bulletins_router)
    api.add_router("/bulletins", bulletins_exposure_router)
    api.add_router("/privacy", privacy_router)
    assert volunteers_manage_router in volunteers_routers and volunteers_activity_router in volunteers_routers
    for volunteers_router in volunteers_routers:
        api.add_router("/volunteers", volunteers_router)
    api.add_router("/workdays", workdays_router)
    api.add_router("/imports", imports_router)
    api.add_router("/open311", open311_keys_router)
    for rounds_manage_router in rounds_manage_routers:
        api.add_router("/rounds", rounds_manage_router)
    api.add_router("/reports", reports_router)


_register()
