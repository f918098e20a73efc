"""Parameters from the request body: v2 clients send them as a form or a JSON object,
or in the query string. The body is read once per request and cached.
"""

import json
from typing import TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from faxnum.api.edge.body_limit import BodyTooLarge
from faxnum.domain.errors import ClientGone, Invalid

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def parameter(request: Request, name: str) -> str | None:
    """A named parameter from the query string, else from the body."""
    return request.query_params.get(name) or (await body_fields(request)).get(name)


async def refuse_body_only(request: Request, *names: str) -> None:
    """Parameters an endpoint reads from the query string alone: sent only in a POST
    body, they would be ignored without a word, so they are refused instead."""
    if request.method not in _BODY_METHODS:
        return
    fields = await body_fields(request)
    for name in names:
        if name in fields and name not in request.query_params:
            raise Invalid.field(name, "is read from the query string; send it there")


async def body_parameters(request: Request, *names: str) -> dict[str, str]:
    """The body's fields, for an endpoint that reads `names` from the body alone: one
    sent in the query string, instead or as well, is refused by name, never reported
    missing or ignored (a password in a URL ends up in logs and histories)."""
    fields = await body_fields(request)
    for name in names:
        if name in request.query_params:  # beside a body copy too: never silently ignored
            raise Invalid.field(
                name, "is read from the request body; send it there, not in the URL"
            )
    return fields


async def body_fields(request: Request) -> dict[str, str]:
    """Scalar fields of a form or JSON-object body, as strings; cached per request."""
    cached: dict[str, str] | None = getattr(request.state, "body_fields", None)
    if cached is None:
        cached = await _read_body_fields(request) if request.method in _BODY_METHODS else {}
        request.state.body_fields = cached
    return cached


async def _read_body_fields(request: Request) -> dict[str, str]:
    try:
        return await _parsed_body_fields(request)
    except ClientDisconnect as gone:
        raise ClientGone("The client closed the connection mid-request.") from gone


async def _parsed_body_fields(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        fields = _json_fields(await request.body())
    elif (await request.body()).lstrip().startswith(b"{"):
        # A JSON object is read as JSON whatever type it declares (`curl -d '{...}'`
        # declares a form, some clients text/plain), as the extensions' bodies are; a
        # form field cannot start with "{" unencoded.
        fields = _json_fields(await request.body())
    elif media_type in _FORM_TYPES:
        try:
            form = await request.form()
        except (BodyTooLarge, ClientDisconnect):
            raise  # the limit's 413, or a client gone: not a malformed form
        except Exception as exc:  # malformed multipart: the parser's own exceptions vary
            raise Invalid.field("body", "is not a readable form") from exc
        fields = {k: v for k, v in form.items() if not isinstance(v, UploadFile)}
    else:
        return {}
    for name, value in fields.items():
        _require_text(name, value)
    return fields


def _json_fields(raw: bytes) -> dict[str, str]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            return {}  # e.g. a bare JSON string: no named fields at all
        # No v2 parameter takes a list or an object: such a field counts as not sent
        # (so a password given as ["a", "b"] is missing, never the text of a list).
        return {
            str(key): value if isinstance(value, str) else json.dumps(value)
            for key, value in data.items()
            if value is not None and not isinstance(value, list | dict)
        }
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: nesting deeper than Python's stack, well inside the size limit.
        raise Invalid.field("body", "is not valid JSON") from exc


def _require_text(name: str, value: str) -> None:
    """Text every encoder takes: JSON can smuggle in lone UTF-16 surrogates, which a
    password hash or a database driver would fail on."""
    for text in (name, value):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Invalid.field(
                "body" if text is name else name, "is not valid text (lone surrogate)"
            ) from exc


M = TypeVar("M", bound=BaseModel)


async def model_body(request: Request, model: type[M]) -> M:
    """An extension's body as its model. JSON whatever the declared type (`curl -d`
    declares a form), checked strictly: `true` or `"2"` is no quantity. A real form
    (`a=1&b=2`) is read too, repeating a field for a list (`numbers=...&numbers=...`),
    its text converted as forms need. Failures are 422s naming the field."""
    try:
        raw = await request.body()
    except ClientDisconnect as gone:
        raise ClientGone("The client closed the connection mid-request.") from gone
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media_type in _FORM_TYPES and not raw.lstrip().startswith(b"{"):
            return model.model_validate(await _form_data(request, model))
        return model.model_validate_json(raw if raw.strip() else b"{}", strict=True)
    except ValidationError as invalid:
        problems = invalid.errors(include_url=False, include_context=False)
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in problems]
        ) from None


async def _form_data(request: Request, model: type[BaseModel]) -> dict[str, object]:
    try:
        form = await request.form()
    except (BodyTooLarge, ClientDisconnect):
        raise
    except Exception as exc:  # malformed multipart: the parser's own exceptions vary
        raise Invalid.field("body", "is not a readable form") from exc
    lists = {name for name, field in model.model_fields.items() if "list[" in str(field.annotation)}
    data: dict[str, object] = {}
    for name in form:
        values = [v for v in form.getlist(name) if not isinstance(v, UploadFile)]
        for value in values:
            _require_text(name, value)
        data[name] = values if name in lists else values[-1] if values else None
    return data


def body_schema(model: type[BaseModel]) -> dict[str, object]:
    """The OpenAPI `requestBody` of a route that reads `model_body(request, model)`."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def idempotency_key(request: Request, from_parameters: str | None) -> str | None:
    """The header when it is sent at all (an empty one is a bad key, not none), else
    the `idempotency_key` parameter; both, and different, is a request to refuse."""
    header = request.headers.get("idempotency-key")
    if header is not None and from_parameters is not None and header != from_parameters:
        raise Invalid.field("Idempotency-Key", "differs from the idempotency_key parameter")
    return header if header is not None else from_parameters
