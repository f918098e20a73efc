"""Every request's way in and out, in one ASGI layer.

What each request gets: a request id, the header and body limits, the safety and quota
headers on its answer, a 500 in the envelope for a bug, one access-log line and its
metrics; the hot routes are answered here and the rest goes on to FastAPI. Each part
lives in its own module; they run in one layer because each layer of ASGI middleware
wraps `send` and `receive` once more for every message, and seven such layers cost
about as much as the liveness answer itself.
"""

import time

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faxnum.api.edge import body_limit, header_limit
from faxnum.api.edge.access_log import log_request
from faxnum.api.edge.errors import too_large, unexpected
from faxnum.api.edge.headers import incoming_request_id, with_response_headers
from faxnum.api.edge.hot_routes import HotRoutes, answer
from faxnum.api.edge.metrics import record_request
from faxnum.api.responses import failure


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        hot_routes: list[Route],
        max_body_bytes: int,
        upload_paths: dict[str, int] | None = None,
    ) -> None:
        """`upload_paths`: exact paths that take larger bodies, and their limits."""
        self.app = app
        self.hot = HotRoutes(hot_routes)
        self.max_body_bytes = max_body_bytes
        self.upload_paths = upload_paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope.setdefault("state", {})["request_id"] = incoming_request_id(scope)
        status, responded = 500, False  # 500: what the client gets if nothing is sent

        async def send_out(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = with_response_headers(scope, message.get("headers", []))
            await send(message)

        max_body_bytes = self.upload_paths.get(scope.get("path", ""), self.max_body_bytes)
        try:
            if header_limit.headers_too_large(scope):
                await failure(431, header_limit.TOO_LARGE)(scope, receive, send_out)
            elif body_limit.declared_too_large(scope, max_body_bytes):
                await failure(413, body_limit.TOO_LARGE)(scope, receive, send_out)
            else:
                limited = body_limit.limited(receive, max_body_bytes)
                route = self.hot.match(scope)
                if route is not None:
                    await answer(route, scope, limited, send_out)
                else:
                    await self.app(scope, limited, send_out)
        except body_limit.BodyTooLarge:
            if not responded:
                refusal = await too_large(Request(scope, receive))
                await refusal(scope, receive, send_out)
        except Exception as error:
            bug = unexpected(scope, error)  # logged; answered unless the answer has begun
            if not responded:
                await bug(scope, receive, send_out)
        finally:
            seconds = time.perf_counter() - started
            record_request(scope, status, seconds)
            log_request(scope, status, seconds)
