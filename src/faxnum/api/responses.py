"""JSON responses in the v2 envelope, always declared as UTF-8."""

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from faxnum.api.money_json import SERIALIZATION_CONTEXT, money_numbers
from faxnum.api.schemas import Failure, Meta, Pagination
from faxnum.domain.pagination import Page


class V2JSONResponse(JSONResponse):
    media_type = "application/json; charset=utf-8"


def success(body: BaseModel, status_code: int = 200) -> Response:
    """Serialise a wire model directly (pydantic's own encoder, no re-validation);
    money fields come out as numbers with two decimals."""
    text = money_numbers(body.model_dump_json(context=SERIALIZATION_CONTEXT))
    return Response(text, status_code=status_code, media_type=V2JSONResponse.media_type)


def documented(
    model: type[BaseModel], *failure_codes: int, reasons: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries: `model` under 200, the failure envelope under each code, with the
    endpoint's own reason where the general one would mislead."""
    failures = documented_failures(*failure_codes)
    for code, reason in (reasons or {}).items():
        failures[code] = {"model": Failure, "description": reason}
    return {200: {"model": model, "description": "Success"}, **failures}


def failure(
    status_code: int,
    message: str,
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> V2JSONResponse:
    body = Failure(message=message, errors=errors).model_dump(exclude_none=True)
    return V2JSONResponse(body, status_code=status_code, headers=headers)


def documented_failures(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the failure envelope under each status code."""
    reasons = {
        401: "Missing, unknown or disabled API key",
        402: "Insufficient balance",
        403: "Rate limit exceeded (see Retry-After)",
        404: "Resource not found",
        405: "Method not allowed",
        409: "Conflict with the current state (the message says which)",
        422: "Invalid parameters",
        503: "Not ready: a dependency is down",
    }
    return {code: {"model": Failure, "description": reasons[code]} for code in codes}


def page_meta(request: Request, page: Page[Any], public_url: str | None) -> Meta:
    """Where a page stands, with links to its neighbours that keep the other query
    parameters, never the key: relative, or absolute on the configured public URL (a
    client's Host header never makes them)."""
    base = (public_url or "").rstrip("/") + request.url.path
    query = request.url.remove_query_params("api_key").include_query_params
    neighbours = {"previous": page.previous_page, "next": page.next_page}
    links = {
        name: f"{base}?{query(page=number).query}"
        for name, number in neighbours.items()
        if number is not None
    }
    return Meta(pagination=Pagination.of(page, links))
