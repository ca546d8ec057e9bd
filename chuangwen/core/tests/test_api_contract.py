"""The API contract: schemathesis drives every operation of ``/api/v1/openapi.json`` in-process (WSGI, no
port) with ALL its checks, authenticated by a coordinator's token over a seeded district, and the schema
must hold: every status code the server answers is listed, every request the schema allows is accepted and
every request it forbids is refused, every response matches its schema, nothing answers 500
(docs/inspection-api.md, "The contract").

Run it alone: ``.venv/bin/pytest -q chuangwen/core/tests/test_api_contract.py``; a few operations with
``CHUANGWEN_CONTRACT_ONLY='<regex of "METHOD /path">'``. It is deterministic (a
fixed seed, derandomized Hypothesis, no example database): a failure found once is found again every run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections

# Examples per operation of the fuzzing phase (the examples phase adds the schema's own examples).
MAX_EXAMPLES = 15
SEED = 20261207

# What the positive-data check accepts for a request the schema allows (schemathesis's default list).
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

# Requests the schema allows and the server may still refuse, because the rule needs the database (an id in
# the body or the query must name something the user sees), the clock (a deadline after now), several fields
# together, or a document's content: a JSON schema cannot say so. Only these statuses are added, only for
# these operations: every other check still holds.
DATA_RULES: dict[str, tuple[list[str], str]] = {
    "GET /api/v1/sites": (
        ["422"],
        "site_type: a code of the active standard; area/responsible: a visible unit",
    ),
    "GET /api/v1/cases": (["422"], "unit: a unit the user sees"),
    "POST /api/v1/evidence": (
        ["422"],
        "round_id + site_id or case_id, as the kind requires; the file's content",
    ),
    "GET /api/v1/evidence/capture-token": (["422"], "case_id, or round_id + site_id, of the user's work"),
    "POST /api/v1/cases/hotline": (["400"], "the spreadsheet and its column mapping are read by content"),
    "POST /api/v1/cases/instructions": (
        ["422"],
        "unit_id, site_id: visible; deadline: after now",
    ),
    "POST /api/v1/cases/{case_id}/instructions": (["422"], "deadline: after now"),
    "POST /api/v1/cases/{case_id}/actions/{action}": (["422"], "unit_id: a unit the user sees"),
    "GET /api/v1/rankings/units/{unit_id}/whatif": (["400"], "unit_id: an active street, community or dept."),
    "GET /api/v1/rankings/preview": (["400"], "period round:<id>: a published round"),
    "POST /api/v1/rankings/publish": (["400"], "period round:<id>: a published round"),
    "POST /api/v1/surveys/questionnaires": (
        ["422"],
        "the questionnaire's definition is compiled and checked",
    ),
    "POST /api/v1/surveys/coaching": (["422"], "unit_id: a unit the user sees"),
    "POST /api/v1/surveys/waves": (["422"], "questionnaire_id: one the user may use"),
    "PUT /api/v1/surveys/population/{unit_id}": (["422"], "cells: each age band × sex exactly once"),
    "POST /api/v1/bulletins/commendations": (["400"], "unit_id: a unit the user sees"),
    "POST /api/v1/bulletins/talks": (["400"], "unit_id: a unit the user sees"),
    "POST /api/v1/bulletins/": (["400"], "template_id: a template of the user's unit"),
    "PUT /api/v1/bulletins/{bulletin_id}/typical": (["400"], "finding_id: a finding of the bulletin's scope"),
    "POST /api/v1/bulletins/{bulletin_id}/transitions": (["400"], "reason: required to return"),
    "POST /api/v1/materials/tasks/{task_id}/materials": (
        ["422"],
        "title without a file; activity ≤ today",
    ),
    "POST /api/v1/privacy/export": (["422"], "one of phone or id_number; the ID number's check character"),
    "POST /api/v1/rounds": (
        ["422"],
        "period_end ≥ period_start; target and inspecting units in scope, streets of the district for 互查",
    ),
    "PUT /api/v1/rounds/{round_id}": (["422"], "target_unit_id: a unit in the caller's scope"),
    "POST /api/v1/rounds/{round_id}/teams": (["422"], "inspector_ids: inspectors available to the round"),
    "POST /api/v1/materials/periods/{period_id}/tasks/import": (
        ["400"],
        "an open period; the file's content must be an .xlsx task table",
    ),
    "POST /api/v1/imports/{kind}": (["400"], "the file's content must be an .xlsx of that kind"),
    "PATCH /api/v1/sites/{site_id}": (["400"], "lat and lng only together"),
}

CONFIG: dict[str, Any] = {
    "seed": SEED,
    "generation": {
        "mode": "all",  # positive and negative data
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": False},  # its boundary cases double the run time
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "checks": {"enabled": True},  # every check schemathesis has
    "suppress-health-check": ["all"],
    "operations": [
        {
            "include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE + statuses}},
        }
        for name, (statuses, _reason) in DATA_RULES.items()
    ],
}


@pytest.fixture
def _wsgi_keeps_test_transaction() -> Iterator[None]:
    """Django's WSGI handler closes "old" connections around each request, which would end the test's
    transaction; the test client avoids it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Path parameters that name a row, and the model whose rows exist in the seeded district.
PATH_MODELS = {
    "case_id": "cases.Case",
    "round_id": "rounds.Round",
    "entry_id": "rounds.RoundSite",
    "visit_id": "rounds.Visit",
    "site_id": "sites.Site",
    "unit_id": "org.Unit",
    "user_id": "accounts.User",
    "standard_id": "standards.Standard",
    "ranking_id": "rankings.Ranking",
    "notification_id": "notify.Notification",
    "period_id": "materials.Period",
    "task_id": "materials.Task",
    "material_id": "materials.Material",
    "questionnaire_id": "surveys.Questionnaire",
    "wave_id": "surveys.Wave",
    "bulletin_id": "bulletins.Bulletin",
    "template_id": "bulletins.BulletinTemplate",
    "cell_id": "surveys.QuotaCell",
}


def _existing_ids() -> dict[str, list[int]]:
    from django.apps import apps

    ids = {}
    for name, label in PATH_MODELS.items():
        model = apps.get_model(label)
        found = list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])
        if found:
            ids[name] = found
    return ids


def _aim_at_rows(schema: Any, ids: dict[str, list[int]]) -> None:
    """Half the generated ids in paths (the even ones) are turned into ids of rows that exist, so that the
    operations act on something besides answering 404; which row follows from the generated value, so the
    run stays reproducible."""

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return path_parameters
        mapped = dict(path_parameters)
        for name, value in path_parameters.items():
            if name in ids and type(value) is int and value >= 1 and value % 2 == 0:
                mapped[name] = ids[name][(value // 2) % len(ids[name])]
        return mapped


@pytest.fixture
def api_schema(
    world: dict[str, Any],
    users: dict[str, Any],
    org: dict[str, Any],
    material_tasks: dict[str, Any],
    survey_questionnaire: Any,
    population: dict[str, Any],
    _wsgi_keeps_test_transaction: None,
) -> Any:
    """The schema as the server serves it, with a district coordinator's token, over a seeded district: the
    dashboards' world (rounds published and under way, findings, cases in several states, photos), a
    网上申报 period with its tasks, a questionnaire and the population figures, the bulletin templates."""
    from chuangwen.accounts.services import issue_token
    from chuangwen.bulletins.services import ensure_templates
    from chuangwen.wsgi import application

    ensure_templates(org["district"])
    # A per-occurrence item with a cap: the standard's detail serves the cap as a number (it once broke its
    # schema, which said string: another module's model of the same name had taken the component).
    world["items"]["ZD-1"].site_type.items.create(
        code="ZD-3", category="公益广告", text="公益广告缺失", mode="per_occurrence", deduct=Decimal("2"),
        cap=Decimal("12"), duty="宣传",
    )  # fmt: skip

    key = issue_token(users["coordinator"], "契约测试")
    config = schemathesis.Config.from_dict({**CONFIG, "headers": {"Authorization": f"Token {key}"}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config)
    _aim_at_rows(schema, _existing_ids())
    return schema


def _call_and_validate(case: Any) -> None:
    case.call_and_validate()


def _operation_tests(api_schema: Any) -> dict[str, Callable[[], None]]:
    """Each operation's Hypothesis test, by its name ("METHOD /path")."""
    from schemathesis.checks import load_all_checks
    from schemathesis.core.result import Ok
    from schemathesis.pytest.lazy import get_all_tests

    load_all_checks()
    tests = {}
    for result in get_all_tests(
        schema=api_schema, test_func=_call_and_validate, settings=None, given_kwargs=None
    ):
        assert isinstance(result, Ok), f"the schema is broken: {result.err()}"
        operation, test = result.ok()
        tests[operation.label] = test
    return tests


def _failure(label: str, test: Callable[[], None]) -> str | None:
    """What schemathesis found wrong with the operation, or None."""
    from schemathesis.core.failures import FailureGroup, as_reported_failure

    try:
        test()
    except FailureGroup as exc:
        return f"{label}\n{as_reported_failure(exc)}"
    except Exception as exc:  # e.g. a server error raised through the WSGI app
        return f"{label}\n{type(exc).__name__}: {exc}"
    return None


def test_api_contract(api_schema: Any) -> None:
    only = os.environ.get("CHUANGWEN_CONTRACT_ONLY", "")  # a regex of operation names, to run a few alone
    tests = _operation_tests(api_schema)
    assert only or len(tests) > 100, "every operation of the API is tested"
    failures = [
        failure
        for label, test in tests.items()
        if not only or re.search(only, label)
        if (failure := _failure(label, test)) is not None
    ]
    assert not failures, f"{len(failures)} operations break the contract:\n\n" + "\n\n".join(failures)


def test_data_rules_name_real_operations() -> None:
    """An exception for an operation that no longer exists (renamed, removed) is dropped, not kept."""
    from chuangwen.api import api

    schema = api.get_openapi_schema()
    labels = {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}
    assert set(DATA_RULES) <= labels


def test_component_names_are_unique() -> None:
    """ninja keeps one model per component name; ``ContractAPI`` names a second one by its module."""
    from chuangwen.api import api

    api.get_openapi_schema()
    assert api.schema_collisions == frozenset()
