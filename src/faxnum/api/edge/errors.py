"""The one place where domain errors become HTTP status codes and v2 failure bodies."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from faxnum.api.edge.auth import refusal_of_unchecked_key
from faxnum.api.edge.body_limit import TOO_LARGE, BodyTooLarge
from faxnum.api.responses import failure
from faxnum.domain.errors import (
    ClientGone,
    Conflict,
    DomainError,
    Exhausted,
    InsufficientBalance,
    Invalid,
    NotFound,
    NumbersUnavailable,
    RateLimited,
    TooLarge,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)

STATUS_OF: dict[type[DomainError], int] = {
    Unauthorized: 401,
    InsufficientBalance: 402,
    RateLimited: 403,
    NotFound: 404,
    Exhausted: 409,
    Conflict: 409,
    Invalid: 422,
    TooLarge: 413,
    ClientGone: 499,  # nginx's "client closed request": for the log, no one reads it
    Unavailable: 503,
}
_HTTP_MESSAGES = {
    404: "Resource not found.",
    405: "Method not allowed.",
}


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 500


async def on_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    if not isinstance(error, Unauthorized | RateLimited | Unavailable):
        error = await refusal_of_unchecked_key(request) or error
    headers = None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    elif isinstance(error, Unavailable):
        headers = {"Retry-After": "5"}
    errors = error.errors if isinstance(error, Invalid) else None
    if isinstance(error, NumbersUnavailable):
        errors = {"numbers": error.numbers}
    return failure(status_of(error), error.message, errors, headers)


async def on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    refused_key = await refusal_of_unchecked_key(request)
    if refused_key is not None:
        return await on_domain_error(request, refused_key)
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        name = _parameter_name(problem)
        errors.setdefault(name, []).append(str(problem.get("msg", "is invalid")))
    refusal = Invalid.naming(errors)
    return failure(422, refusal.message, refusal.errors)


_SOURCES = {"query", "path", "header", "cookie", "body"}


def _parameter_name(problem: dict[str, object]) -> str:
    """`limit` for a query parameter, `numbers.3` for an item of a body field, `body`
    for a body that is not valid JSON or not the right shape as a whole."""
    location = [str(part) for part in problem.get("loc") or ()]  # type: ignore[attr-defined]
    if problem.get("type") == "json_invalid":
        return "body"
    if location and location[0] in _SOURCES:
        source, location = location[0], location[1:]
        if source == "body" and location[:1] and location[0].isdigit():
            location = []  # a position in the raw JSON text, not a field
    return ".".join(location) or "body"


async def on_http_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    message = _HTTP_MESSAGES.get(error.status_code, str(error.detail))
    return failure(error.status_code, message, headers=error.headers)


def unexpected(scope: Scope, error: Exception) -> Response:
    """A bug: one logged traceback, and a 500 in the envelope for the client (sent by
    `Edge`, so it carries the request id and safety headers too)."""
    log.error(
        "unhandled error %s (request %s)",
        type(error).__name__,
        scope.get("state", {}).get("request_id", "-"),
        exc_info=error,
    )
    return failure(500, "Internal server error.")


async def on_body_too_large(request: Request, error: Exception) -> Response:
    """A streamed body passed the limit while a route read it (`Edge` refuses declared
    ones before any route runs)."""
    return await too_large(request)


async def too_large(request: Request) -> Response:
    """413, unless the request's key, remembered from an earlier request, is refused
    now: then 401, as anywhere else, and the key spends no more budget."""
    refused_key = await refusal_of_unchecked_key(request)
    if refused_key is not None:
        return await on_domain_error(request, refused_key)
    return failure(413, TOO_LARGE)


async def on_unexpected(_: Request, error: Exception) -> Response:
    """FastAPI's last resort for a bug in a route; `Edge`, around it, logs the traceback
    once (the exception goes on to it)."""
    return failure(500, "Internal server error.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(BodyTooLarge, on_body_too_large)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
