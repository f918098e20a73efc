"""One JSON line per request, with a request id the client sees too, keys redacted;
and the headers every response carries (request id, no caching, no sniffing)."""

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faxnum.api.access_log import redact

access_log = logging.getLogger("faxnum.access")
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),  # answers may carry API keys
]


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _CLIENT_REQUEST_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                quota = scope.get("state", {}).get("quota")
                extra = [(b"x-request-id", request_id.encode()), *_ALWAYS]
                if quota is not None:
                    extra += quota.headers()
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(_line(scope, request_id, status, time.perf_counter() - started))


def _line(scope: Scope, request_id: str, status: int, seconds: float) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    path = scope.get("path", "") + (f"?{query}" if query else "")
    client = scope.get("client")
    return json.dumps(
        {
            "request_id": request_id,
            "method": scope.get("method"),
            "path": redact(path),
            "status": status,
            "ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
        },
        ensure_ascii=False,
    )
