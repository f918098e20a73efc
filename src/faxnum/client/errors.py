"""The SDK's exceptions: one small tree, mapped once from the answer's status code.

FaxnumError
├── ConnectionError        the server could not be reached, or the connection dropped
├── ProtocolError          the answer is not what this SDK expects (not faxnum's API?)
└── ApiError               the server answered with a failure (status_code, message, errors)
    ├── AuthenticationError      401: missing, unknown or disabled key
    ├── RateLimitError           403 + Retry-After: wait `retry_after` seconds
    ├── InsufficientBalanceError 402
    ├── NotFoundError            404
    ├── ConflictError            409 (`numbers`: those that could not be had)
    │   └── ExhaustedError       409 from provisioning: the group has no number left
    ├── ValidationError          422: `errors` names each bad parameter
    └── ServerError              5xx
"""

from typing import Any

import httpx


class FaxnumError(Exception):
    """Anything the SDK raises on purpose."""


class ConnectionError(FaxnumError):  # noqa: A001 (the SDK's own, as the docs name it)
    """No answer: the server is down or unreachable, or the connection dropped."""


class ProtocolError(FaxnumError):
    """A success answer this SDK cannot read: the URL is not a faxnum server, or a proxy
    answered instead."""


class ApiError(FaxnumError):
    def __init__(
        self,
        status_code: int,
        message: str,
        errors: dict[str, list[str]] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.errors = errors or {}
        self.request_id = request_id


class AuthenticationError(ApiError):
    pass


class RateLimitError(ApiError):
    def __init__(self, *args: Any, retry_after: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class InsufficientBalanceError(ApiError):
    pass


class NotFoundError(ApiError):
    pass


class ConflictError(ApiError):
    @property
    def numbers(self) -> list[str]:
        """The numbers that could not be held or ordered, when the server named them."""
        return self.errors.get("numbers", [])


class ExhaustedError(ConflictError):
    pass


class ValidationError(ApiError):
    pass


class ServerError(ApiError):
    pass


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    402: InsufficientBalanceError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
}


def error_for(response: httpx.Response, conflict: type[ConflictError] = ConflictError) -> ApiError:
    """The exception for a failure answer; `conflict`: what a 409 means for this call."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or response.reason_phrase or "failed")
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else None
    request_id = response.headers.get("x-request-id")
    status = response.status_code
    if status == 403 and "retry-after" in response.headers:
        return RateLimitError(
            status, message, errors, request_id, retry_after=_seconds(response.headers)
        )
    if status >= 500:
        return ServerError(status, message, errors, request_id)
    kind = conflict if status == 409 else _BY_STATUS.get(status, ApiError)
    return kind(status, message, errors, request_id)


def _seconds(headers: httpx.Headers) -> float:
    try:
        return max(0.0, float(headers["retry-after"]))
    except ValueError:
        return 1.0
