"""The OpenAPI document: the envelope models, each operation's documented answers, and the
finishing FastAPI's generator needs (one `bearerAuth` scheme, the errors every operation can
answer, no 422 since the API answers 400, links between operations for clients and Schemathesis).

Routers declare what is particular to an operation (`answers(...)`, `body(...)`); what follows
from the kind of operation (a token, parameters, a JSON body) is added here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, Literal, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from aicall.web.deps import current_application
from aicall.web.links import LINKS

__all__ = [
    "IDEMPOTENCY_KEY",
    "MAX_OFFSET",
    "TAGS",
    "WAV",
    "Envelope",
    "ErrorEnvelope",
    "Health",
    "answers",
    "body",
    "header",
    "install",
    "operation_id",
    "paging",
    "parameters",
    "query",
]

T = TypeVar("T")

SECURITY_SCHEME = "bearerAuth"
BEARER_AUTH = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A JWT (HS256) whose payload holds `apiKey`, signed with the application's API secret "
    "(CONTRACT §1)",
}
JSON = "application/json"


class Envelope(BaseModel, Generic[T]):
    """A success answer: `{"status": 1, "result": ...}` (CONTRACT §3)."""

    status: Literal[1] = Field(description="1 on success")
    result: T


class Health(BaseModel):
    ok: bool
    version: str


class ErrorEnvelope(BaseModel):
    """Every error: `{"status": 0, "code", "message"}`, `details` when there is more to say."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"status": 0, "code": 1401, "message": "Campaign is not found"}}
    )

    status: Literal[0] = Field(description="0 on error")
    code: int = Field(description="AICall's error code: 400, 401, 1201, 1401, 1403, ... (docs/api.md)")
    message: str = Field(description="what went wrong, for a person")
    details: Any = Field(
        default=None,
        description="more: `[{field, message}]` for a validation error, the rejected contacts for 1403",
    )


# What every operation holds to, said once for the whole document (docs/api.md).
RULES = """\
Authenticate with `Authorization: Bearer <JWT>` (HS256, payload `{"apiKey": ...}`, signed with the
application's API secret). Success answers `{"status": 1, "result": ...}`; every error answers
`{"status": 0, "code", "message", "details"?}` with the HTTP status documented on each operation.

For every input of every operation:

* JSON types as JSON means them: a boolean is `true` or `false`, a number is not `true`, dates
  and times are ISO 8601 text.
* Text holds no NUL character (U+0000) and no lone surrogate: they cannot be stored (400 naming
  the field, in the path, the query or the body).
* A JSON body nests at most 32 levels and is at most AICALL_MAX_BODY_BYTES (413 past it).
"""

# What each error status means on this API, and an example of its body.
ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "Validation Failed: a parameter or a field of the body is missing or invalid (the message names it)",
        {
            "status": 0,
            "code": 400,
            "message": "Validation Failed: limit: must be at most 200, not 500",
            "details": [{"field": "limit", "message": "must be at most 200, not 500"}],
        },
    ),
    401: (
        "Unauthorized: the bearer token is missing, malformed, badly signed or expired",
        {"status": 0, "code": 401, "message": "Unauthorized"},
    ),
    403: (
        "The signed link is invalid or has expired",
        {"status": 0, "code": 403, "message": "Audio link is invalid or has expired"},
    ),
    402: (
        "The prepaid balance cannot cover the calls",
        {"status": 0, "code": 1501, "message": "Insufficient balance"},
    ),
    404: (
        "Not found: the token's application (1201) or the resource named in the path (1401, 1405, 3001, ...)",
        {"status": 0, "code": 1201, "message": "Application is not found"},
    ),
    409: (
        "Conflict: the resource's state does not allow this, or an Idempotency-Key was reused",
        {"status": 0, "code": 1404, "message": "A completed campaign cannot be started"},
    ),
    413: (
        "The request body is larger than AICALL_MAX_BODY_BYTES",
        {"status": 0, "code": 413, "message": "Request body is larger than the limit of 8388608 bytes"},
    ),
    415: (
        "The body's Content-Type is not application/json (a missing Content-Type is read as JSON)",
        {"status": 0, "code": 415, "message": "Unsupported Media Type: send application/json"},
    ),
    429: (
        "Too many requests (per application), or too many failed authentications from this address",
        {"status": 0, "code": 429, "message": "Too many requests: slow down and retry after a second"},
    ),
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}

_PARAMETERS = "x-aicall-parameters"  # taken out of the operation once merged
MAX_OFFSET = 2**63 - 1  # a database's BIGINT: what the lists accept

# Request models shown in the document only (their routes parse the raw body themselves).
_BODY_MODELS: dict[str, type[BaseModel]] = {}


def answers(model: Any, *errors: int, description: str = "Success", example: Any = None) -> dict[str, Any]:
    """Route keyword arguments documenting the 200 answer as `model` (an `Envelope[...]` or a
    whole answer) and the errors particular to this operation (401, 429 and the 400, 413, 415 of
    parameters and bodies are added by `build`). The handler's return value is not filtered
    through `model`: the document describes the answer, Schemathesis checks it does."""
    ok: dict[str, Any] = {"model": model, "description": description}
    if example is not None:
        ok["content"] = {JSON: {"example": example}}
    responses: dict[int | str, dict[str, Any]] = {200: ok}
    for status in errors:
        responses[status] = _error(status)
    return {"response_model": None, "responses": responses}


def body(
    model: type[BaseModel],
    *,
    examples: dict[str, Any] | None = None,
    media_type: str = JSON,
    description: str | None = None,
    parameters: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Route keyword arguments declaring `model` as the request body of a route that reads the
    raw body itself (for speed and exact messages): the document gets the schema, the runtime
    path stays as it is. `parameters` as for `parameters(...)`."""
    _BODY_MODELS[model.__name__] = model
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    request: dict[str, Any] = {"required": True, "content": {media_type: content}}
    if description:
        request["description"] = description
    return {"openapi_extra": {"requestBody": request, _PARAMETERS: list(parameters)}}


def query(
    name: str,
    schema: dict[str, Any],
    description: str,
    *,
    required: bool = False,
    blank_is_absent: bool = True,
) -> dict[str, Any]:
    """A query parameter as the document shows it, for `parameters(...)`. The handlers that
    read their parameters themselves take a blank value (`?status=`) as no value."""
    declared = {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }
    if blank_is_absent and not required:
        declared["allowEmptyValue"] = True
    return declared


def header(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional header as the document shows it, for `parameters(...)`."""
    return {"name": name, "in": "header", "required": False, "schema": schema, "description": description}


# Idempotency-Key: 1 to 255 visible characters (surrounding spaces are dropped).
IDEMPOTENCY_KEY = header(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[!-~]([ -~]{0,253}[!-~])?$"},
    "Retrying with the same key and body returns the first answer; another body: 409",
)


def paging(default: int, maximum: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """`limit` and `offset`, as every list takes them."""
    return (
        query(
            "limit", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}, "page size"
        ),
        query(
            "offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "rows to skip"
        ),
    )


def parameters(*declared: dict[str, Any]) -> dict[str, Any]:
    """Route keyword arguments declaring query parameters that the handler reads itself (from
    the request, or as text it parses with exact messages): each replaces the parameter of the
    same name FastAPI derived from the signature, or is added."""
    return {"openapi_extra": {_PARAMETERS: list(declared)}}


def operation_id(route: APIRoute) -> str:
    """Operation ids are the handlers' names (`create_campaign`): what a generated client's
    methods are called, and what the document's links name."""
    return route.name


def install(app: FastAPI) -> None:
    """Serve the finished document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise


def build(app: FastAPI) -> dict[str, Any]:
    """The document for `app`, finished."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    document["info"]["description"] = f"{app.description}\n\n{RULES}"
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_body_models(schemas)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = BEARER_AUTH
    secured = _secured_operations(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if (path, method) in secured:
                _secure(operation)
    for operation in _operations(document):
        _finish_operation(operation, schemas)
    _add_links(document)
    return document


def _secured_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of the operations that authenticate the caller (`CurrentApp`)."""
    secured: set[tuple[str, str]] = set()
    # Included routers are resolved lazily by FastAPI: walk them as its own generator does.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and _authenticates(route.dependant):
            secured |= {(str(context.path_format), method.lower()) for method in context.methods or ()}
    return secured


def _authenticates(dependant: Dependant) -> bool:
    return any(
        dependency.call is current_application or _authenticates(dependency)
        for dependency in dependant.dependencies
    )


def _secure(operation: dict[str, Any]) -> None:
    """`current_application` reads the Authorization header itself (CONTRACT §1's exact
    answers); the document shows it as the bearerAuth scheme, not as a header parameter."""
    operation["security"] = [{SECURITY_SCHEME: []}]
    kept = [p for p in operation.get("parameters", []) if p["name"].lower() != "authorization"]
    if kept:
        operation["parameters"] = kept
    else:
        operation.pop("parameters", None)


def _operations(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield operation


def _merge_parameters(operation: dict[str, Any]) -> None:
    declared = operation.pop(_PARAMETERS, [])
    if not declared:
        return
    names = {(p["name"], p["in"]) for p in declared}
    kept = [p for p in operation.get("parameters", []) if (p["name"], p["in"]) not in names]
    operation["parameters"] = kept + declared


def _finish_operation(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    _merge_parameters(operation)
    responses = operation.setdefault("responses", {})
    # FastAPI advertises 422 for its own validation; this API answers those with 400.
    responses.pop("422", None)
    statuses: set[int] = set()
    if operation.get("security"):
        statuses |= {401, 404, 429}
    if operation.get("parameters"):
        statuses.add(400)
    request = operation.get("requestBody")
    if request is not None:
        statuses |= {400, 413}
        if JSON in request.get("content", {}):
            statuses.add(415)
    for status in sorted(statuses):
        responses.setdefault(str(status), _error(status))
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            _error_content(int(status), response)
    if "ErrorEnvelope" not in schemas:
        schemas["ErrorEnvelope"] = ErrorEnvelope.model_json_schema()


def _error(status: int) -> dict[str, Any]:
    description, example = ERRORS[status]
    answer: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}, "example": example}},
    }
    if status == 429:
        answer["headers"] = RETRY_AFTER
    return answer


def _error_content(status: int, response: dict[str, Any]) -> None:
    """An error a route declares bare (`404: {}`) gets the envelope and its description."""
    if "content" not in response and status in ERRORS:
        response.update(_error(status))


def _add_body_models(schemas: dict[str, Any]) -> None:
    if not _BODY_MODELS:
        return
    _keys, definitions = models_json_schema(
        [(model, "validation") for model in _BODY_MODELS.values()],
        ref_template="#/components/schemas/{model}",
        schema_generator=GenerateJsonSchema,
    )
    for name, schema in definitions.get("$defs", {}).items():
        schemas.setdefault(name, schema)


def _add_links(document: dict[str, Any]) -> None:
    """OpenAPI links: which answer's ids feed which operation (Schemathesis' stateful phase
    follows them; Swagger UI shows them under each answer)."""
    by_id = {op.get("operationId"): op for op in _operations(document)}
    for link in LINKS:
        source = by_id.get(link.source)
        if source is None or link.target not in by_id:
            raise LookupError(f"link {link.source} -> {link.target}: no such operation")
        answer = source["responses"]["200"]
        definition: dict[str, Any] = {"operationId": link.target, "description": link.description}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.request_body:
            definition["requestBody"] = dict(link.request_body)
        answer.setdefault("links", {})[link.name] = definition


# Binary answers, for `responses={200: {"content": ...}}`.
WAV: dict[str, Any] = {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}

# The document's sections, in the order /docs shows them.
TAGS: list[dict[str, Any]] = [
    {"name": "campaigns", "description": "Campaigns, their contacts (CONTRACT §2) and results"},
    {"name": "scenarios", "description": "Call scripts and their actions (CONTRACT §3)"},
    {"name": "webhooks", "description": "Webhook settings, the delivery log and replays"},
    {"name": "hotlines", "description": "Pools of caller numbers and SIP trunks"},
    {"name": "compliance", "description": "The Do-Not-Call list and the audit log of the calling rules"},
    {"name": "balance", "description": "The prepaid balance and its ledger"},
    {"name": "calls", "description": "Call recordings"},
    {"name": "health", "description": "Liveness"},
]
