"""The API's one error type: every refusal under /api/v1/ is an ``ApiError`` answered by one handler
(``chuangwen/api.py``) as ``{"detail": "<中文原因>", "code": "<machine code>", …}``
(docs/inspection-api.md, first paragraph).

422 field errors stay ninja's ``ValidationError`` (``detail`` is then a list of ``loc``/``msg``/``type``).

The schema at ``/api/v1/openapi.json`` lists every answer an operation can give: each operation declares its
own (``response={200: …, 404: ErrorOut, …}``) and ``ContractAPI`` adds those that come from the machinery
rather than from the operation (``COMMON_ERRORS``): 401 and 429 of the authentication, 403 of the session's
CSRF check on writes, 400 of a body that does not parse, 404 of an id in the path, 422 of a parameter that
does not validate. ``core/tests/test_api_contract.py`` holds the schema to it (docs/inspection-api.md,
"The contract").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from django.http import JsonResponse
from ninja import Field, NinjaAPI, Schema
from ninja.openapi import schema as ninja_schema
from ninja.openapi.schema import OpenAPISchema
from ninja.schema import NinjaGenerateJsonSchema


class ErrorOut(Schema):
    """The body of every API error other than a 422."""

    detail: str = Field(description="中文原因")
    code: str = Field(
        description="机器可读的原因代码：not_found、refused、conflict、invalid、token_expired、too_large …"
    )


class AuthErrorOut(Schema):
    """The body of a 401: ``{"detail": "Unauthorized"}`` for a missing or wrong key, with ``code``
    (``token_expired``) for a key past its expiry."""

    detail: str = Field(description="原因")
    code: str | None = Field(None, description="机器可读的原因代码，例如 token_expired")


class FieldErrorOut(Schema):
    """One field that failed validation."""

    loc: list[str | int] = Field(description='出错的位置，例如 ["body", "judgements", 2, "count"]')
    msg: str = Field(description="中文原因，以字段名开头")
    type: str = Field(description="错误类型，例如 missing、int_parsing、literal_error")


class ValidationErrorOut(Schema):
    """The body of a 422: every field that failed validation."""

    detail: list[FieldErrorOut] = Field(description="每个出错字段一项")


class ApiError(Exception):
    """Raise from an endpoint to answer ``status`` with ``code`` and the Chinese ``detail`` (``extra`` keys
    are added to the body; ``headers`` to the response)."""

    def __init__(
        self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, str(detail)
        self.headers, self.extra = headers or {}, extra

    def response(self) -> JsonResponse:
        body = {"detail": self.detail, "code": self.code, **self.extra}
        return JsonResponse(
            body, status=self.status, headers=self.headers, json_dumps_params={"ensure_ascii": False}
        )


# (status, body schema, description, applies to the operation?) — the answers the machinery gives whatever
# the operation: the authentication (a wrong, expired or locked-out key), the session's CSRF check on writes,
# a body that does not parse, an id in the path that names nothing visible, a parameter that fails validation.
_UNSAFE = {"post", "put", "patch", "delete"}


def _secured(op: dict[str, Any]) -> bool:
    return bool(op.get("security"))


def _session_write(method: str, op: dict[str, Any]) -> bool:
    return method in _UNSAFE and any("SessionAuth" in item for item in op.get("security") or ())


def _has_body(method: str, op: dict[str, Any]) -> bool:
    return "requestBody" in op


def _has_path_id(method: str, op: dict[str, Any]) -> bool:
    return any(p.get("in") == "path" for p in op.get("parameters") or ())


def _has_input(method: str, op: dict[str, Any]) -> bool:
    return bool(op.get("parameters")) or "requestBody" in op


COMMON_ERRORS: list[tuple[int, type[Schema], str, Any]] = [
    (400, ErrorOut, "请求体无法解析（不是有效的 JSON 或表单）", _has_body),
    (401, AuthErrorOut, "未登录、令牌无效或已过期", lambda method, op: _secured(op)),
    (403, ErrorOut, "会话登录的写请求未通过 CSRF 检查", _session_write),
    (404, ErrorOut, "路径中的对象不存在或不可见", _has_path_id),
    (422, ValidationErrorOut, "参数或请求体未通过校验", _has_input),
    (429, ErrorOut, "该地址尝试无效令牌过多，暂被锁定（带 Retry-After）", lambda method, op: _secured(op)),
]


def _component(schema: dict[str, Any], model: type[Schema]) -> dict[str, str]:
    """A ``$ref`` to ``model`` in the schema's components, adding it (and what it refers to) when missing."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    name = model.__name__
    if name not in components:
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for inner_name, inner in body.pop("$defs", {}).items():
            components.setdefault(inner_name, inner)
        components[name] = body
    return {"$ref": f"#/components/schemas/{name}"}


def _error_content(schema: dict[str, Any], model: type[Schema], declared: dict[str, Any] | None) -> Any:
    ours = _component(schema, model)
    if declared is None:
        return ours
    theirs = declared.get("content", {}).get("application/json", {}).get("schema")
    if theirs is None or theirs == ours:
        return ours
    # The operation's own body for that status, or the machinery's (e.g. a 400 of its rules, or of a body
    # that does not parse).
    return {"anyOf": [theirs, ours]}


def add_common_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the machinery's answers (``COMMON_ERRORS``) to every operation of an OpenAPI ``schema``; where the
    operation declares that status with a body of its own, either body is allowed. Returns the schema."""
    for path_item in schema.get("paths", {}).values():
        for method, op in path_item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = {int(status): answer for status, answer in op["responses"].items()}
            for status, model, description, applies in COMMON_ERRORS:
                if not applies(method, op):
                    continue
                declared = responses.get(status)
                responses[status] = {
                    "description": (declared or {}).get("description") or description,
                    "content": {"application/json": {"schema": _error_content(schema, model, declared)}},
                }
            op["responses"] = dict(sorted(responses.items()))
    return schema


def _inputs(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema object a request can carry: parameters, bodies and the components they refer to."""
    components = schema.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    stack: list[Any] = []
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            if not isinstance(op, dict):
                continue
            stack.extend(p.get("schema") for p in op.get("parameters") or ())
            for media in op.get("requestBody", {}).get("content", {}).values():
                stack.append(media.get("schema"))
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen and name in components:
                seen.add(name)
                stack.append(components[name])
            continue
        yield node
        for key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties", "prefixItems"):
            value = node.get(key)
            stack.extend(value.values() if key == "properties" and isinstance(value, dict) else [value])


def add_date_bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """Every date and time a request carries lies within the bounds of ``core/bounds.py``: the schema says so
    with a ``pattern`` (drawn when the schema is asked for, as the bounds follow today)."""
    from chuangwen.core.bounds import date_pattern, month_pattern

    patterns = {"date": date_pattern(with_time=False), "date-time": date_pattern(with_time=True)}
    for node in _inputs(schema):
        if node.get("type") == "string" and node.get("format") in patterns and "pattern" not in node:
            node["pattern"] = patterns[node["format"]]
        elif node.get("x-date-bounds") == "month":
            node["pattern"] = month_pattern()
    return schema


# Component name → the model (module.qualname) that has it: the first model to claim a name keeps it.
_NAME_OWNERS: dict[str, str] = {}
_NAMING = threading.Lock()


class _UniqueNames(NinjaGenerateJsonSchema):
    """ninja's JSON-schema generator, except that a model whose class name another model of another module
    already has in the API's components is named by its module and class (``chuangwen.reports.api.SiteOut``):
    ninja would otherwise keep one of the two silently and describe the other operation's body wrongly."""

    def get_defs_ref(self, core_mode_ref: Any) -> Any:
        defs_ref = super().get_defs_ref(core_mode_ref)
        choices = self._prioritized_defsref_choices[defs_ref]
        short, qualified = str(choices[0]), str(choices[2])
        if _NAME_OWNERS.setdefault(short, qualified) != qualified:
            self._prioritized_defsref_choices[defs_ref] = choices[2:]
        return defs_ref


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def add_form_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """In a form, Django reads an empty file and ninja an empty field as absent: a required field or any file
    needs at least one character (byte). Returns the schema."""
    components = schema.get("components", {}).get("schemas", {})
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            content = op.get("requestBody", {}).get("content", {}) if isinstance(op, dict) else {}
            for media_type in _FORMS:
                body = content.get(media_type, {}).get("schema", {})
                ref = body.get("$ref", "")
                body = components.get(ref.rsplit("/", 1)[1], {}) if ref else body
                required = set(body.get("required", ()))
                for name, field in body.get("properties", {}).items():
                    binary = field.get("format") == "binary"
                    if field.get("type") == "string" and (binary or name in required):
                        field["minLength"] = max(1, field.get("minLength", 0))
    return schema


class _NamedOnce(OpenAPISchema):
    """ninja's schema builder, noting each component name that two different models claim: ninja keeps the
    last one silently, so the other operation's schema would describe the wrong body."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        self.collisions: set[str] = set()
        super().__init__(api, path_prefix)

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                self.collisions.add(name)
        super().add_schema_definitions(definitions)


class ContractAPI(NinjaAPI):
    """The project's ``NinjaAPI``: its schema lists the machinery's answers (``add_common_errors``) and the
    date bounds (``add_date_bounds``) too; ``schema_collisions`` names the component names two models share
    (the contract test requires none)."""

    schema_collisions: frozenset[str] = frozenset()

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        with _NAMING:
            ninja_schema.NinjaGenerateJsonSchema = _UniqueNames  # type: ignore[misc]
            try:
                schema = _NamedOnce(self, path_prefix)
            finally:
                ninja_schema.NinjaGenerateJsonSchema = NinjaGenerateJsonSchema  # type: ignore[misc]
        self.schema_collisions = frozenset(schema.collisions)
        return add_form_rules(add_date_bounds(add_common_errors(schema)))
