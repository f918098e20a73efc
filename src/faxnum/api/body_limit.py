"""Request bodies beyond a limit get 413 in the v2 envelope, declared or streamed.

(Starlette's own limit answers in plain text, outside the app's error handling.)
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faxnum.api.responses import StartWatch, failure

TOO_LARGE = "Request body too large."


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes the limit; answered with 413."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_bytes:
            await failure(413, TOO_LARGE)(scope, receive, send)
            return
        received = 0
        watch = StartWatch(send)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, watch.send)
        except BodyTooLarge:
            if not watch.started:
                await failure(413, TOO_LARGE)(scope, receive, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0
