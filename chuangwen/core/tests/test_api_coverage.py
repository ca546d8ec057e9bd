"""Everything a person can do on a page can be done through /api/v1/ (docs/architecture.md, "The API
covers the pages"): every page view that accepts a write (POST, PUT, PATCH, DELETE) outside /api/ and
/admin/ is either mapped to the API operations that do the same, or exempt with a reason. The test walks
Django's URL resolver, finds the writes from the views' declared methods (``require_POST``,
``require_http_methods``, class-based views' handlers) or their code (``request.POST``, ``"POST"`` in the
view or the module functions it calls), and fails naming every write without an operation in the schema.

The Django admin (/admin/) is exempt as a whole: its writes for units, users, tokens, the holiday table,
notice channels and Open311 keys have their operations in ``ADMIN_WRITES`` below, checked the same way.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from chuangwen.api import api

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SKIPPED_PREFIXES = ("api/", "admin/")

# Writes that are no administrative action, each with the reason it needs no API operation.
EXEMPT: dict[str, str] = {
    "accounts:login": "signing in to a browser session; the API authenticates by token",
    "accounts:logout": "ends a browser session",
    "accounts:totp": "the second step of a browser sign-in",
    "accounts:totp_setup": "enrolling one's own authenticator in the browser (the QR code is for a phone)",
    "accounts:password_change": "a person changes his or her own password in a session, never by token",
    "core:csp_report": "the browser's Content-Security-Policy reports, anonymous",
    "set_language": "Django's language switch for the browser (i18n)",
    "open311:requests": "Open311 GeoReport v2 is itself an API for the 12345 platforms (docs/open311.md)",
    "reports:new": "the citizen's public report form (随手拍), anonymous",
    "reports:rate": "the citizen rates his or her report by its tracking code, anonymous",
    "reports:reopen": "the citizen reopens his or her report by its tracking code, anonymous",
    "reports:support": "「我也遇到」 on the public page, anonymous",
    "privacy:citizen": "the citizen's own privacy request on the public pages, anonymous",
    "survey_public:submit": "self-completion of a questionnaire by QR code (/q/), anonymous",
    "volunteer_public:register": "a resident registers as a volunteer on the public page",
    "volunteer_public:request_new": "a resident's service request (点单) on the public page, anonymous",
    "volunteer_public:request_public_act": "the resident follows up his or her request by its secret link",
}

# Views the detection counts as writes that write nothing, each with the reason.
NOT_WRITES: dict[str, str] = {
    "surveys:response": "a GET page; the helper it shares with the review re-shows a refused review form",
}

CASE_ACT = "POST /api/v1/cases/{case_id}/actions/{action}"
MATERIAL_ACT = "POST /api/v1/materials/materials/{material_id}/actions"

# Page action (URL name) → the API operations ("METHOD /api/v1/path") that do the same.
MAPPING: dict[str, tuple[str, ...]] = {
    "accounts:tokens": ("POST /api/v1/accounts/tokens", "GET /api/v1/accounts/tokens"),
    "accounts:token_revoke": ("POST /api/v1/accounts/tokens/{token_id}/revoke",),
    "bulletins:new": ("POST /api/v1/bulletins/",),
    "bulletins:edit": (
        "PATCH /api/v1/bulletins/{bulletin_id}",
        "PUT /api/v1/bulletins/{bulletin_id}/typical",
    ),
    "bulletins:act": ("POST /api/v1/bulletins/{bulletin_id}/transitions",),
    "bulletins:refresh": ("POST /api/v1/bulletins/{bulletin_id}/refresh",),
    "exposure:publish": ("POST /api/v1/bulletins/{bulletin_id}/exposure",),
    "exposure:withdraw": ("POST /api/v1/bulletins/{bulletin_id}/exposure/withdraw",),
    "bulletins:rerender": ("POST /api/v1/bulletins/{bulletin_id}/render",),
    "bulletins:reply": ("POST /api/v1/bulletins/{bulletin_id}/reply",),
    "bulletins:review": ("POST /api/v1/bulletins/{bulletin_id}/recipients/{unit_id}/review",),
    "bulletins:template": ("PATCH /api/v1/bulletins/templates/{template_id}",),
    "bulletins:commendation_new": ("POST /api/v1/bulletins/commendations",),
    "bulletins:talk_new": ("POST /api/v1/bulletins/talks",),
    "bulletins:talk_detail": ("POST /api/v1/bulletins/talks/{talk_id}/follow-up",),
    "cases:act": (CASE_ACT,),
    "cases:bulk_accept": (CASE_ACT,),  # the page's bulk accept is one action per case
    "cases:photo_recheck": ("POST /api/v1/cases/{case_id}/photo-checks/{event_id}/recheck",),
    "cases:hotline": ("POST /api/v1/cases/hotline",),
    "cases:instruct": ("POST /api/v1/cases/{case_id}/instructions",),
    "cases:instruction_new": ("POST /api/v1/cases/instructions",),
    "materials:period_create": ("POST /api/v1/materials/periods",),
    "materials:period_close": ("POST /api/v1/materials/periods/{period_id}/close",),
    "materials:ledger_start": ("POST /api/v1/materials/periods/{period_id}/ledger",),
    "core:import": ("POST /api/v1/imports/{kind}", "GET /api/v1/imports/jobs/{job_id}"),
    "materials:replace": ("POST /api/v1/materials/materials/{material_id}/replace",),
    "materials:task_import": ("POST /api/v1/materials/periods/{period_id}/tasks/import",),
    "materials:upload": ("POST /api/v1/materials/tasks/{task_id}/materials",),
    "materials:act": (MATERIAL_ACT,),
    "materials:task": (MATERIAL_ACT,),  # 「全部提交」: submit, one material at a time
    "materials:review": (MATERIAL_ACT,),  # the review queue's bulk pass/return, one material at a time
    "notify:preferences": ("PUT /api/v1/notify/preferences", "GET /api/v1/notify/preferences"),
    "notify:read": ("POST /api/v1/inbox/{notification_id}/read",),
    "notify:read_all": ("POST /api/v1/inbox/read-all",),
    "privacy:export": ("POST /api/v1/privacy/export",),
    "rankings:compute": ("GET /api/v1/rankings/preview", "POST /api/v1/rankings/publish"),
    # 「从哪里改」 and its what-if take the ticked cases by POST too, but only compute: nothing is written.
    "rankings:act": ("GET /api/v1/rankings/units/{unit_id}/whatif",),
    "rankings:whatif": ("GET /api/v1/rankings/units/{unit_id}/whatif",),
    "sites:create": ("POST /api/v1/sites",),
    "sites:edit": ("PATCH /api/v1/sites/{site_id}",),
    "surveys:cati_submit": ("POST /api/v1/surveys/waves/{wave_id}/responses",),
    "surveys:coaching": ("POST /api/v1/surveys/coaching",),
    "surveys:population_edit": ("PUT /api/v1/surveys/population/{unit_id}",),
    "surveys:population_import": ("PUT /api/v1/surveys/population/{unit_id}",),  # one unit per call
    "surveys:questionnaire_import": ("POST /api/v1/surveys/questionnaires",),
    "surveys:questionnaire_starter": ("POST /api/v1/surveys/questionnaires",),  # the starter is a YAML body
    "surveys:questionnaire_freeze": ("POST /api/v1/surveys/questionnaires/{questionnaire_id}/freeze",),
    "surveys:response_review": ("POST /api/v1/surveys/responses/{response_id}/review",),
    "surveys:response_callback": ("POST /api/v1/surveys/responses/{response_id}/callback",),
    "surveys:wave_create": ("POST /api/v1/surveys/waves",),
    "surveys:wave_staff": (
        "POST /api/v1/surveys/waves/{wave_id}/staff",
        "DELETE /api/v1/surveys/waves/{wave_id}/staff/{user_id}",
    ),
    "surveys:wave_plan": ("POST /api/v1/surveys/waves/{wave_id}/plan",),
    "surveys:wave_cell": ("PUT /api/v1/surveys/waves/{wave_id}/cells/{cell_id}",),
    "surveys:wave_open": ("POST /api/v1/surveys/waves/{wave_id}/open",),
    "surveys:wave_close": ("POST /api/v1/surveys/waves/{wave_id}/close",),
    "surveys:wave_publish": ("POST /api/v1/surveys/waves/{wave_id}/publish",),
    "volunteer_public:activity_sign_up": ("POST /api/v1/volunteers/activities/{activity_id}/signup",),
    "volunteer_public:activity_cancel": ("POST /api/v1/volunteers/activities/{activity_id}/cancel",),
    "volunteers:activity_new": ("POST /api/v1/volunteers/activities",),
    "volunteers:activity_cancel": ("POST /api/v1/volunteers/activities/{activity_id}/cancel-activity",),
    "volunteers:activity_confirm": ("POST /api/v1/volunteers/signups/{signup_id}/confirm",),
    "volunteer_public:me_leave": ("POST /api/v1/volunteers/me/leave",),
    "volunteers:body_form": ("PUT /api/v1/volunteers/bodies/units/{unit_id}",),
    "volunteers:team_new": ("POST /api/v1/volunteers/teams",),
    "volunteers:team_detail": ("POST /api/v1/volunteers/teams/{team_id}/members",),
    "volunteers:certificate_issue": ("POST /api/v1/volunteers/certificates",),
    "volunteers:request_act": ("POST /api/v1/volunteers/requests/{request_id}/transitions",),
}

# Being added by the rounds and report-triage API work (chuangwen/rounds/api_manage.py, chuangwen/reports/
# api.py): checked like MAPPING; a missing one is listed apart in the failure.
PENDING: dict[str, tuple[str, ...]] = {
    "rounds:create": ("POST /api/v1/rounds",),
    "rounds:edit": ("PUT /api/v1/rounds/{round_id}",),
    "rounds:delete": ("POST /api/v1/rounds/{round_id}/delete",),
    "rounds:draw": ("POST /api/v1/rounds/{round_id}/draw",),
    "rounds:teams": ("POST /api/v1/rounds/{round_id}/teams",),
    "rounds:start": ("POST /api/v1/rounds/{round_id}/start",),
    "rounds:publish": ("POST /api/v1/rounds/{round_id}/publish",),
    "rounds:reassign": ("POST /api/v1/rounds/{round_id}/entries/{entry_id}/reassign",),
    "visits:accept": ("POST /api/v1/rounds/visits/{visit_id}/accept",),
    "visits:send_back": ("POST /api/v1/rounds/visits/{visit_id}/send-back",),
    "visits:accept_clean": ("POST /api/v1/rounds/{round_id}/visits/accept-clean",),
    "report_triage:act": (
        "POST /api/v1/reports/triage/{report_id}/accept",
        "POST /api/v1/reports/triage/{report_id}/reject",
        "POST /api/v1/reports/triage/{report_id}/duplicate",
    ),
}

# The Django admin's writes that the administrative API carries (the admin itself is not walked).
ADMIN_WRITES: dict[str, tuple[str, ...]] = {
    "admin:org_unit (add, change: move, deactivate)": ("POST /api/v1/units", "PATCH /api/v1/units/{unit_id}"),
    "admin:accounts_user (add, change: role, unit, active)": (
        "POST /api/v1/accounts/users",
        "PATCH /api/v1/accounts/users/{user_id}",
        "GET /api/v1/accounts/users",
    ),
    "admin:accounts_user action reset_totp": ("POST /api/v1/accounts/users/{user_id}/second-factor-reset",),
    "admin:accounts_user action unlock_accounts": ("POST /api/v1/accounts/users/{user_id}/unlock",),
    "admin:accounts_apitoken action revoke": ("POST /api/v1/accounts/tokens/{token_id}/revoke",),
    "admin:workdays_calendarday (add, change, delete)": (
        "GET /api/v1/workdays/years",
        "PUT /api/v1/workdays/days/{day}",
        "DELETE /api/v1/workdays/days/{day}",
    ),
    "admin:notify_channel (add, change, action send_test)": (
        "GET /api/v1/notify/channels",
        "POST /api/v1/notify/channels",
        "PATCH /api/v1/notify/channels/{channel_id}",
        "POST /api/v1/notify/channels/{channel_id}/test",
    ),
    "admin:open311_integration (add, actions issue_new_key, revoke)": (
        "GET /api/v1/open311/integrations",
        "POST /api/v1/open311/integrations",
        "POST /api/v1/open311/integrations/{integration_id}/keys",
        "POST /api/v1/open311/integrations/{integration_id}/revoke",
    ),
}


def _patterns(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), namespace + pattern.name, pattern.callback


def _declared(view: Callable[..., Any]) -> tuple[set[str] | None, Callable[..., Any]]:
    """The methods a ``require_http_methods`` decorator allows (None: no such decorator), and the view
    function under its decorators."""
    declared: set[str] | None = None
    current: Any = view
    while True:
        for cell in getattr(current, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, list | tuple | set | frozenset) and value:
                if all(isinstance(item, str) and item.isupper() for item in value):
                    declared = set(value)
        following = getattr(current, "__wrapped__", None)
        if following is None:
            return declared, current
        current = following


WRITE_CODE = re.compile(r'request\.(POST|FILES)\b|"POST"')
CALLED = re.compile(r"\b([A-Za-z_]\w*)\(")


def _code(function: Any, depth: int = 2) -> str:
    """The function's source and that of the functions of its own module it calls (two calls deep)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = inspect.getsource(type(function))
    module = sys.modules.get(getattr(function, "__module__", "") or "")
    if depth and module is not None:
        for name in set(CALLED.findall(source)):
            callee = getattr(module, name, None)
            if inspect.isfunction(callee) and callee.__module__ == module.__name__ and callee is not function:
                source += _code(callee, depth - 1)
    return source


def write_methods(view: Callable[..., Any]) -> set[str]:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {name.upper() for name in ("post", "put", "patch", "delete") if hasattr(view_class, name)}
    declared, function = _declared(view)
    if declared is not None:
        return declared & WRITE_METHODS
    return {"POST"} if WRITE_CODE.search(_code(function)) else set()


def page_writes() -> dict[str, str]:
    """URL name → route of every page view that accepts a write, outside /api/ and /admin/."""
    found: dict[str, str] = {}
    for route, name, view in _patterns(get_resolver().url_patterns):
        if not route.startswith(SKIPPED_PREFIXES) and name not in NOT_WRITES and write_methods(view):
            found[name] = route
    return found


def schema_operations() -> set[str]:
    paths = api.get_openapi_schema()["paths"]
    return {f"{method.upper()} {path}" for path, operations in paths.items() for method in operations}


def _missing(mapping: dict[str, tuple[str, ...]], operations: set[str]) -> list[str]:
    return [
        f"{name} → {operation}"
        for name, wanted in sorted(mapping.items())
        for operation in wanted
        if operation not in operations
    ]


def test_it_has_an_api_operation_for_every_page_action() -> None:
    writes = page_writes()
    operations = schema_operations()
    unmapped = [f"{name} ({route})" for name, route in sorted(writes.items())
                if name not in EXEMPT and name not in MAPPING and name not in PENDING]  # fmt: skip
    missing = _missing(MAPPING, operations) + _missing(ADMIN_WRITES, operations)
    pending = _missing(PENDING, operations)
    report = []
    if unmapped:
        report.append("页面写操作没有对应的 API 操作（无映射）:\n  " + "\n  ".join(unmapped))
    if missing:
        report.append("映射到的 API 操作不在 OpenAPI 中:\n  " + "\n  ".join(missing))
    if pending:
        report.append("PENDING（轮次/随手拍分拣 API 正在添加）仍缺:\n  " + "\n  ".join(pending))
    assert not report, "\n".join(report)


def test_it_maps_only_page_actions_that_exist() -> None:
    """A renamed or removed page leaves no stale entry behind (nor a name both mapped and exempt)."""
    writes = page_writes()
    named = [*EXEMPT, *MAPPING, *PENDING]
    names = {name for _route, name, _view in _patterns(get_resolver().url_patterns)}
    assert sorted(name for name in NOT_WRITES if name not in names) == []
    assert sorted(name for name in named if name not in writes) == []
    assert len(named) == len(set(named))


def test_it_finds_the_writes_of_pages() -> None:
    """The detection itself: decorated, inline and delegated POST handling found; read-only pages not."""
    writes = page_writes()
    for name in ("accounts:token_revoke", "notify:preferences", "sites:create", "cases:act", "rounds:create"):
        assert name in writes, name
    for name in ("cases:list", "org:tree", "org:detail", "rankings:list", "dashboards:overview"):
        assert name not in writes, name
