"""One JSON line per request on the `faxnum.access` logger, keys redacted."""

import json
import logging

from starlette.types import Scope

from faxnum.api.edge.headers import request_id_of
from faxnum.api.edge.redaction import redacted_target

access_log = logging.getLogger("faxnum.access")
_JSON = json.JSONEncoder(ensure_ascii=False)


def log_request(scope: Scope, status: int, seconds: float) -> None:
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(_line(scope, status, seconds))


def _line(scope: Scope, status: int, seconds: float) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client")
    return _JSON.encode(
        {
            "request_id": request_id_of(scope),
            "method": scope.get("method"),
            "path": redacted_target(scope.get("path", ""), query),
            "status": status,
            "ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
        }
    )
