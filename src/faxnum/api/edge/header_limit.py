"""Requests whose headers are too many or too large get 431 in the v2 envelope (`Edge`).

The HTTP parser in front (httptools) reads headers of any size and count; a client
should not be able to make every request of ours carry megabytes of them.
"""

from starlette.types import Scope

MAX_HEADERS = 100
MAX_HEADER_BYTES = 16 * 1024  # names and values together, as nginx's default buffers
TOO_LARGE = "Request headers too large."


def headers_too_large(scope: Scope) -> bool:
    headers = scope.get("headers", [])
    size = sum(len(name) + len(value) for name, value in headers)
    return len(headers) > MAX_HEADERS or size > MAX_HEADER_BYTES
