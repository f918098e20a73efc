"""The application factory: one FastAPI app per process, built from Settings."""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from starlette.routing import Route
from starlette.types import ASGIApp

from faxnum import __version__
from faxnum.api.edge.errors import install_error_handlers
from faxnum.api.edge.layer import Edge
from faxnum.api.edge.metrics import router as metrics_router
from faxnum.api.edge.ratelimit import RateLimiter
from faxnum.api.edge.redaction import install_redaction
from faxnum.api.edge.route_answers import RouteAnswers
from faxnum.api.openapi import install_openapi
from faxnum.api.routes import (
    accounts,
    available,
    catalogue,
    gateway,
    health,
    inbox,
    money,
    numbers,
    orders,
    provisioning,
    reservations,
    trunks,
    webhooks,
)
from faxnum.api.routes.docs import install_docs
from faxnum.api.state import AppState
from faxnum.config import Settings, settings_from_environment
from faxnum.outbound.sender import Sender
from faxnum.security.fax_links import FaxLinks
from faxnum.services.accounts import prepare_login_decoy
from faxnum.services.key_secrets import check_secret
from faxnum.services.renewal_schedule import renew_periodically
from faxnum.services.reservation_sweep import sweep_periodically
from faxnum.services.stock_floors import raise_periodically
from faxnum.services.webhook_delivery import DeliveryWorker
from faxnum.store.db.change_watch import CommitWatch
from faxnum.store.db.database import Database
from faxnum.web import routes as dashboard
from faxnum.web.errors import install_page_errors
from faxnum.web.pages import HERE as DASHBOARD_HERE

DASHBOARD_STATIC = DASHBOARD_HERE / "static"

V2_PREFIX = "/api/v2"
UPLOAD_OVERHEAD = 64 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Delivery:
    """The process's webhook delivery worker and the HTTP client it sends with."""

    def __init__(self, worker: DeliveryWorker, sender: Sender) -> None:
        self.worker, self.sender = worker, sender

    async def run(self) -> None:
        await self.worker.run_forever()

    async def stop(self) -> None:
        await self.worker.stop()
        await self.sender.aclose()


def _delivery_worker(state: AppState) -> _Delivery:
    settings = state.settings
    sender = Sender(settings.outbound_policy, settings.webhook_timeout_s)
    worker = DeliveryWorker(
        state.database.read,
        state.database.write,
        sender,
        state.cipher,
        state.clock,
        settings.delivery_policy,
    )
    return _Delivery(worker, sender)


def _route_answers(database: Database, settings: Settings) -> RouteAnswers | None:
    """On SQLite, routing answers are kept until the next commit (PostgreSQL has no
    cheap way to tell that nothing changed: there, every lookup reads)."""
    if not database.sqlite or not settings.keep_route_answers:
        return None
    return RouteAnswers(CommitWatch(str(make_url(database.url).database)))


class _FaxnumAPI(FastAPI):
    """FastAPI inside `Edge`: the edge's work (request id, limits, headers, errors, log,
    metrics, hot routes) comes before FastAPI's own layers, so the hot routes skip them.
    A bug in any other route is answered by FastAPI's last resort (`on_unexpected`),
    through the edge, which logs it."""

    def __init__(
        self,
        hot_routes: list[Route],
        max_body_bytes: int,
        upload_paths: dict[str, int],
        **options: Any,
    ) -> None:
        self._hot_routes, self._max_body_bytes = hot_routes, max_body_bytes
        self._upload_paths = upload_paths
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return Edge(
            super().build_middleware_stack(),
            self._hot_routes,
            self._max_body_bytes,
            self._upload_paths,
        )


def create_app(
    settings: Settings | None = None,
    clock: Callable[[], datetime] = utc_now,
    *,
    secret_checked: bool = False,
) -> FastAPI:
    """The app; at start it checks that the stored key copies open under the secret
    (serve no key that cannot be shown again), unless its launcher did
    (`secret_checked`: `faxnum serve` checks before it becomes the server)."""
    settings = settings or settings_from_environment()
    database = Database(settings.effective_database_url, serving=True)
    state = AppState(
        settings=settings,
        database=database,
        limiter=RateLimiter(settings.rate_limit, settings.redis_url),
        auth_limiter=RateLimiter(settings.auth_rate_limit, settings.redis_url),
        change_limiter=RateLimiter(settings.account_change_rate_limit, settings.redis_url),
        cipher=settings.key_cipher(),
        clock=clock,
        fax_links=FaxLinks.of(settings.link_base_url, settings.effective_secrets),
        route_answers=_route_answers(database, settings),
    )

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        nonlocal state
        if not secret_checked:
            with state.database.reader() as uow:
                check_secret(uow, state.cipher)
            generated = settings.effective_secrets
            if settings.keep_generated_secret() != generated:  # another process's won
                state = replace(
                    state,
                    cipher=settings.key_cipher(),
                    fax_links=FaxLinks.of(settings.link_base_url, settings.effective_secrets),
                )
                served.state.faxnum = state
        prepare_login_decoy()
        # Everything loaded so far lives as long as the process: keep the cyclic GC
        # from rescanning it, which otherwise shows up as latency spikes.
        gc.collect()
        gc.freeze()
        renewal = None
        if settings.renew_interval_s > 0:
            renewal = asyncio.create_task(
                renew_periodically(
                    state.database.unit_of_work,
                    state.database.reader,
                    settings.lifecycle,
                    settings.renew_interval_s,
                    clock,
                )
            )
        sweeper = None
        if settings.reservation_sweep_s > 0:
            sweeper = asyncio.create_task(
                sweep_periodically(
                    state.database.read, state.database.write, settings.reservation_sweep_s, clock
                )
            )
        floors = None
        if settings.stock_floor_raise_s > 0:
            floors = asyncio.create_task(
                raise_periodically(
                    state.database.read, state.database.write, settings.stock_floor_raise_s
                )
            )
        delivery = _delivery_worker(state) if settings.webhook_delivery else None
        delivering = asyncio.create_task(delivery.run()) if delivery is not None else None
        yield
        for task in (renewal, sweeper, floors, delivering):
            if task is not None:
                task.cancel()
        if delivery is not None:
            await delivery.stop()
        if state.route_answers is not None:
            state.route_answers.close()
        state.database.dispose()

    app = _FaxnumAPI(
        hot_routes=[  # tried in this order: the cheapest answer first
            *health.HOT_ROUTES,
            *provisioning.hot_routes(V2_PREFIX),
            *catalogue.hot_routes(V2_PREFIX),
            *gateway.hot_routes(),
        ]
        if settings.fast_path
        else [],
        max_body_bytes=settings.max_body_bytes,
        # A fax and its form fields: the file's own limit is checked as it is read.
        upload_paths={f"{gateway.PREFIX}/faxes": settings.fax_max_bytes + UPLOAD_OVERHEAD},
        title="faxnum",
        version=__version__,
        description="Fax number provisioning speaking the Fax.to v2 REST API.",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py, without a CDN
        redoc_url=None,
        # faxnum exports Prometheus metrics (api/edge/metrics.py), not OpenTelemetry; asking
        # for it anyway reads the environment on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.faxnum = state
    # No redirect for a trailing slash: Starlette builds it from the Host header and
    # repeats the query, key included. Such a path is simply not found.
    app.router.redirect_slashes = False
    install_redaction("uvicorn.access", "uvicorn.error", "faxnum", "faxnum.access")
    install_error_handlers(app)
    install_openapi(app, settings)
    for router in (
        provisioning.router,
        catalogue.router,
        numbers.router,
        accounts.router,
        money.router,
        available.router,
        reservations.router,
        orders.router,
        trunks.router,
        webhooks.router,
        inbox.router,
    ):
        app.include_router(router, prefix=V2_PREFIX)
    app.include_router(inbox.links_router)
    app.include_router(gateway.router)
    app.include_router(health.router)
    app.include_router(metrics_router)
    install_docs(app)
    app.include_router(dashboard.router)
    install_page_errors(app)
    app.mount("/dashboard/static", StaticFiles(directory=DASHBOARD_STATIC), name="dashboard-static")
    return app
