"""ASGI middleware adding the RateLimit-* headers to every authenticated response,
errors included, from the quota the auth dependency left in the request state."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class QuotaHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = scope.get("state", {}).get("quota")
                if quota is not None:
                    message["headers"] = [*message.get("headers", []), *quota.headers()]
            await send(message)

        await self.app(scope, receive, send_with_quota)
