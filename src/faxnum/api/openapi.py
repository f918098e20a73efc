"""The OpenAPI document: FastAPI's, plus the four places a key may be sent."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from faxnum.config import Settings
from faxnum.domain.accounts import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from faxnum.domain.idempotency import KEY_PATTERN

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ApiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Recommended: stays out of URLs and logs.",
    },
    "Bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY."},
    "ApiKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "The v2 way; also accepted as a form or JSON body field.",
    },
    "SdkApiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "api_key",
        "description": "What the published v2 SDKs send.",
    },
}
# Any one of the schemes is enough.
AUTHENTICATED: dict[str, Any] = {"security": [{name: []} for name in SECURITY_SCHEMES]}
# `/gateway/v1` takes only a gateway token; `/api/v2` never does.
SECURITY_SCHEMES["GatewayToken"] = {
    "type": "http",
    "scheme": "bearer",
    "description": "Authorization: Bearer fxg_... (`faxnum gateways create`).",
}
GATEWAY_AUTHENTICATED: dict[str, Any] = {"security": [{"GatewayToken": []}]}


_IDEMPOTENT_MARK = "x-faxnum-idempotent"
# Marks an operation that takes an Idempotency-Key; the parameter is written in when the
# document is built, from the configured retention.
IDEMPOTENT: dict[str, Any] = {_IDEMPOTENT_MARK: True}


def install_openapi(app: FastAPI, settings: Settings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            _document_idempotency(schema, settings.idempotency_hours)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def _form_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


_EMAIL = {"type": "string", "format": "email", "maxLength": MAX_EMAIL_LENGTH}
_PASSWORD = {
    "type": "string",
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": MAX_PASSWORD_LENGTH,
}
PASSWORD_BODY = _form_body({"email": _EMAIL, "password": _PASSWORD}, ["email", "password"])
SUBUSER_BODY = _form_body({"email": _EMAIL, "password": _PASSWORD}, ["email"])


def _document_idempotency(schema: dict[str, Any], retention_hours: int) -> None:
    parameter = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": f"Repeat a request with the same key within {retention_hours} h to get "
        "the first answer again, with Idempotent-Replayed: true; nothing is provisioned twice. "
        "Also accepted as the idempotency_key parameter.",
        "schema": {"type": "string", "pattern": f"^{KEY_PATTERN}$"},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if operation.pop(_IDEMPOTENT_MARK, False):
                operation.setdefault("parameters", []).append(parameter)


def query_parameters(*parameters: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    """An openapi_extra fragment documenting optional query parameters that the
    endpoint reads itself, each given as (name, description, schema)."""
    return {
        "parameters": [
            {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
            for name, text, schema in parameters
        ]
    }


def merged(*parts: dict[str, Any]) -> dict[str, Any]:
    """Several openapi_extra fragments as one; lists (parameters, security) add up."""
    result: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            result[key] = (
                result[key] + value if isinstance(value, list) and key in result else value
            )
    return result
