"""The few routes that carry the load, answered without FastAPI's per-request work.

FastAPI resolves parameters and dependencies, and walks its included routers, on every
request, which on this stack costs several times what a bare ASGI answer does
(`bench/provision.py` compares them).
So the endpoints that carry the load (provisioning, liveness) have a lean form taking
the request alone, which the FastAPI route declared for the same path calls too: one
implementation, documented in the OpenAPI as before. `Edge`, after everything it does
for every request (request id, safety headers, limits, access log, metrics, error
handling), answers those paths with their lean form, domain errors mapped by the app's
own handler; every other request, and any other method on those paths, goes on to
FastAPI unchanged.
"""

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from faxnum.api.edge.errors import on_domain_error
from faxnum.domain.errors import DomainError

LeanEndpoint = Callable[[Request], Awaitable[Response]]


def hot_route(path: str, methods: Sequence[str], endpoint: LeanEndpoint) -> Route:
    """`path` in full (with its prefix), as the FastAPI route declares it; exactly
    `methods` (Starlette would add HEAD to a GET route: a HEAD must never provision)."""
    route = Route(path, endpoint, methods=list(methods), include_in_schema=False)
    route.methods = {method.upper() for method in methods}
    return route


class HotRoutes:
    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)

    def match(self, scope: Scope) -> Route | None:
        """The hot route answering this request, its path parameters put in `scope`."""
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                scope["route"] = route  # the metrics label it by its path template
                return route
        return None


async def answer(route: Route, scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    try:
        response = await route.endpoint(request)
    except DomainError as error:
        response = await on_domain_error(request, error)
    await response(scope, receive, send)
