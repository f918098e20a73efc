"""The OpenAPI document: FastAPI's, plus the four places a key may be sent."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
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


_EMAIL = {"type": "string", "format": "email", "maxLength": 254}
_PASSWORD = {"type": "string", "minLength": 10, "maxLength": 1024}
PASSWORD_BODY = _form_body({"email": _EMAIL, "password": _PASSWORD}, ["email", "password"])
SUBUSER_BODY = _form_body({"email": _EMAIL, "password": _PASSWORD}, ["email"])

IDEMPOTENT: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Repeat a request with the same key (24 h) to get the first answer "
            "again, with Idempotent-Replayed: true; nothing is provisioned twice. Also accepted "
            "as the idempotency_key parameter.",
            "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
        }
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
