"""Requests whose headers are too many or too large get 431 in the v2 envelope.

The HTTP parser in front (httptools) reads headers of any size and count; a client
should not be able to make every request of ours carry megabytes of them.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from faxnum.api.responses import failure

MAX_HEADERS = 100
MAX_HEADER_BYTES = 16 * 1024  # names and values together, as nginx's default buffers
TOO_LARGE = "Request headers too large."


class HeaderLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers", [])
            size = sum(len(name) + len(value) for name, value in headers)
            if len(headers) > MAX_HEADERS or size > MAX_HEADER_BYTES:
                await failure(431, TOO_LARGE)(scope, receive, send)
                return
        await self.app(scope, receive, send)
