"""Headers every response carries: a request id (the client's own if it sent a sane
one), safety headers (a Content-Security-Policy unless the answer set its own), and the
caller's rate-limit quota once authentication counted it.

The request id is kept in the ASGI scope's state (set by `Edge`), where the access log
reads it.
"""

import os
import re
from typing import Any

from starlette.types import Scope

_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# For answers that set none: they are JSON, never a page to run anything in.
_DEFAULT_POLICY = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),  # answers may carry API keys
]


def request_id_of(scope: Scope) -> str:
    """The id given to this request (set by `Edge`)."""
    return str(scope.get("state", {}).get("request_id", ""))


def incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _CLIENT_REQUEST_ID.fullmatch(text):
                return text
    return os.urandom(16).hex()  # uuid4().hex's shape, at a third of its cost


def with_response_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[Any]:
    """`headers` and those every answer carries."""
    extra = [(b"x-request-id", request_id_of(scope).encode()), *_ALWAYS]
    if not any(name == _DEFAULT_POLICY[0] for name, _ in headers):
        extra.append(_DEFAULT_POLICY)
    quota = scope["state"].get("quota")
    if quota is not None:
        extra += quota.headers()
    return [*headers, *extra]
