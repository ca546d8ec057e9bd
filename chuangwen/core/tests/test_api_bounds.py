"""Every numeric parameter of every API operation refuses huge, negative and non-numeric values with a
structured 4xx naming the parameter (never a 500): the operations are walked from the ninja router itself,
so a new endpoint is covered without touching this test."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pydantic import BaseModel

from chuangwen.api import api

HUGE = "60190102081118010343424"
BAD_VALUES = (HUGE, "-" + HUGE, "-1", "abc", "1e400", "nan")


@dataclass(frozen=True)
class Param:
    method: str
    path: str  # the API path with ninja's {name} / {int:name} placeholders
    source: str  # path, query, body, form
    name: str
    floating: bool


def _numeric(annotation: Any) -> tuple[bool, bool]:
    """(is numeric, is float) for int, float, Optional[...] and list[...] of them."""
    if annotation is bool:
        return False, False
    if annotation in (int, float):
        return True, annotation is float
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        for arg in args:
            numeric, floating = _numeric(arg)
            if numeric:
                return True, floating
    return False, False


def _fields(annotation: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            yield from _fields(field.annotation, name)
    else:
        yield prefix, annotation


def numeric_params() -> list[Param]:
    found = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for model in operation.models:
                    source = getattr(model, "__ninja_param_source__", "")
                    for key, field in model.model_fields.items():
                        for name, annotation in _fields(field.annotation, key):
                            numeric, floating = _numeric(annotation)
                            if numeric:
                                found.append(
                                    Param(operation.methods[0], prefix + path, source, name, floating)
                                )
    return found


PARAMS = numeric_params()


# A request each operation with a body or a form accepts apart from the parameter under test, so that the
# bad value is the only thing wrong with it.
DEADLINE = "2026-12-20T18:00:00+08:00"
CLIENT_ID = "5b0c3a53-4a59-4f7e-9b36-d7c5a0d3c1a2"
POSITION = {"code": "1", "lat": 30.0, "lng": 120.0, "client_id": CLIENT_ID}
BODIES: dict[str, dict[str, Any]] = {
    "/cases/{int:case_id}/instructions": {"text": "督办", "deadline": DEADLINE},
    "/cases/instructions": {"title": "问题", "unit_id": 1, "deadline": DEADLINE},
    "/bulletins/{bulletin_id}/typical": {"version": 1, "picks": []},
    "/bulletins/{bulletin_id}/transitions": {"action": "submit"},
    "/volunteers/requests/{request_id}/transitions": {"action": "approve"},
    "/volunteers/certificates": {
        "volunteer_id": 1,
        "team_id": 1,
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
    },
    "/units": {"client_id": CLIENT_ID, "code": "BX01", "name": "测试单位", "kind": "street", "parent_id": 1},
    "/units/{unit_id}": {"client_id": CLIENT_ID},
    "/sites": {
        "client_id": CLIENT_ID,
        "code": "BX0001",
        "name": "测试点位",
        "site_type": "ZD",
        "lng": 120.0,
        "lat": 30.0,
        "responsible_unit_id": 1,
    },
    "/volunteers/activities": {
        "client_id": CLIENT_ID,
        "team_id": 1,
        "title": "活动",
        "place": "广场",
        "lat": 30.0,
        "lng": 120.0,
        "starts_at": DEADLINE,
        "ends_at": "2026-12-20T20:00:00+08:00",
        "places": 10,
    },
    "/volunteers/activities/{activity_id}/check-in": POSITION,
    "/volunteers/activities/{activity_id}/check-out": POSITION,
    "/volunteers/signups/{signup_id}/confirm": {"reason": ""},
    "/volunteers/activities/{activity_id}/cancel-activity": {"reason": "取消"},
}
FORMS: dict[str, dict[str, Any]] = {
    "/evidence": {"client_id": "5b0c3a53-4a59-4f7e-9b36-d7c5a0d3c1a1", "round_id": "1", "site_id": "1"},
}
OTHER_PATH_PARTS = {"{action}": "accept"}


def _url(param: Param, value: str) -> str:
    path = param.path
    for name in {p.name for p in PARAMS if p.path == param.path and p.source == "path"}:
        filled = value if name == param.name else "1"
        path = path.replace(f"{{int:{name}}}", filled).replace(f"{{{name}}}", filled)
    for part, filled in OTHER_PATH_PARTS.items():
        path = path.replace(part, filled)
    return "/api/v1" + path


def _send(client: Client, param: Param, value: str) -> Any:
    url = _url(param, value if param.source == "path" else "1")
    if param.source == "query":
        return client.generic(param.method, url + f"?{param.name}={value}")
    if param.source == "form" or param.path in FORMS:
        photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
        form = {**FORMS.get(param.path, {}), "file": photo}
        if param.source == "form":
            form[param.name] = value
        return client.post(url, form)
    body = dict(BODIES.get(param.path, {}))
    if param.source == "body":
        try:
            number: Any = json.loads(value)
        except ValueError:
            number = value
        body[param.name] = [number] if param.name.endswith("_ids") else number
    return client.generic(param.method, url, json.dumps(body), content_type="application/json")


def test_it_walks_the_numeric_parameters_of_the_api() -> None:
    names = {(p.path, p.name) for p in PARAMS}
    assert ("/inbox", "offset") in names and ("/cases/{int:case_id}", "case_id") in names
    assert len(PARAMS) >= 20


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: f"{p.method} {p.path} {p.source}:{p.name}")
def test_it_bounds_every_numeric_api_parameter(param: Param, users: dict[str, Any]) -> None:
    """The inbox answered ``?offset=60190102081118010343424`` with a 500 (SQLite integer overflow)."""
    client = Client(raise_request_exception=False)
    client.force_login(users["coordinator"])
    for value in BAD_VALUES:
        response = _send(client, param, value)
        assert response.status_code < 500, (value, response.status_code)
        if response.status_code == 422:
            locs = [e["loc"] for e in response.json()["detail"]]
            assert any(param.name in loc for loc in locs), (value, locs)


def test_it_refuses_a_huge_inbox_offset(users: dict[str, Any]) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(users["west_handler"])
    response = client.get(f"/api/v1/inbox?offset={HUGE}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_it_says_in_chinese_which_parameter_is_out_of_bounds(users: dict[str, Any]) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(users["coordinator"])
    error = client.get("/api/v1/cases?offset=-1").json()["detail"][0]
    assert error["loc"] == ["query", "offset"] and error["msg"] == "offset：不能小于 0"
    error = client.get("/api/v1/cases?unit=abc").json()["detail"][0]
    assert error["loc"] == ["query", "unit"] and error["msg"] == "unit：应为整数"


def test_it_refuses_a_deadline_without_its_time_zone(users: dict[str, Any], org: dict[str, Any]) -> None:
    """A naive ``2026-12-20T18:00:00`` was compared with an aware "now" and answered 500."""
    client = Client(raise_request_exception=False)
    client.force_login(users["leader"])
    body = {"title": "x", "unit_id": org["west"].pk, "deadline": "2026-12-20T18:00:00"}
    response = client.post("/api/v1/cases/instructions", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("deadline：时间须带时区")
