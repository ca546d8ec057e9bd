"""The JSON API under /api/v1/: each app adds its router here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import SessionAuth

from chuangwen.accounts.token_auth import ExpiredTokenError, TokenAuth
from chuangwen.core.api_errors import ApiError

api = NinjaAPI(
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


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> Any:
    """422 as ninja has it (``detail``: loc, msg, type), with pydantic's English messages put in Chinese."""
    from chuangwen.core.bounds import chinese_error

    return api.create_response(request, {"detail": [chinese_error(e) for e in exc.errors]}, status=422)


def _register() -> None:
    from chuangwen.bulletins.api import router as bulletins_router
    from chuangwen.cases.api import ROUTERS as cases_routers
    from chuangwen.dashboards.api import router as dashboards_router
    from chuangwen.evidence.api import router as evidence_router
    from chuangwen.materials.api import router as materials_router
    from chuangwen.notify.api import router as notify_router
    from chuangwen.org.api import router as org_router
    from chuangwen.rankings.api import router as rankings_router
    from chuangwen.rounds.api import router as rounds_router
    from chuangwen.sites.api import router as sites_router
    from chuangwen.standards.api import router as standards_router
    from chuangwen.surveys.api import router as surveys_router
    from chuangwen.volunteers.api import ROUTERS as volunteers_routers

    api.add_router("/units", org_router)
    api.add_router("/sites", sites_router)
    api.add_router("/standards", standards_router)
    api.add_router("/inspect", rounds_router)
    api.add_router("/evidence", evidence_router)
    for router in cases_routers:
        api.add_router("/cases", router)
    api.add_router("/inbox", notify_router)
    api.add_router("/dashboards", dashboards_router)
    api.add_router("/rankings", rankings_router)
    api.add_router("/materials", materials_router)
    api.add_router("/surveys", surveys_router)
    api.add_router("/bulletins", bulletins_router)
    for volunteers_router in volunteers_routers:
        api.add_router("/volunteers", volunteers_router)


_register()
