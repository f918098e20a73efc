"""One JSON line per request on the `faxnum.access` logger, keys redacted."""

import json
import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from faxnum.api.headers import request_id_of
from faxnum.api.redaction import redacted_target
from faxnum.api.responses import StartWatch

access_log = logging.getLogger("faxnum.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        watch = StartWatch(send)
        try:
            await self.app(scope, receive, watch.send)
        finally:
            access_log.info(_line(scope, watch.status, time.perf_counter() - started))


def _line(scope: Scope, status: int, seconds: float) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client")
    return json.dumps(
        {
            "request_id": request_id_of(scope),
            "method": scope.get("method"),
            "path": redacted_target(scope.get("path", ""), query),
            "status": status,
            "ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
        },
        ensure_ascii=False,
    )
