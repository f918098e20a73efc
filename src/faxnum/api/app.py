"""The application factory: one FastAPI app per process, built from Settings."""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from faxnum import __version__
from faxnum.api.access_log import install_redaction
from faxnum.api.body_limit import BodyLimit
from faxnum.api.errors import install_error_handlers
from faxnum.api.openapi import install_openapi
from faxnum.api.ratelimit import RateLimiter
from faxnum.api.request_log import RequestLog
from faxnum.api.routes import (
    catalogue,
    didgroups,
    health,
    money,
    numbers,
    provisioning,
    users,
)
from faxnum.config import Settings
from faxnum.key_cipher import KeyCipher
from faxnum.renewal_schedule import renew_periodically
from faxnum.store.database import Database

V2_PREFIX = "/api/v2"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    settings = settings or Settings()
    database = Database(settings.effective_database_url, serving=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far lives as long as the process: keep the cyclic GC
        # from rescanning it, which otherwise shows up as latency spikes.
        gc.collect()
        gc.freeze()
        renewal = None
        if settings.renew_interval_s > 0:
            renewal = asyncio.create_task(
                renew_periodically(database, settings.lifecycle, settings.renew_interval_s, clock)
            )
        yield
        if renewal is not None:
            renewal.cancel()
        database.dispose()

    app = FastAPI(
        title="faxnum",
        version=__version__,
        description="Fax number provisioning speaking the Fax.to v2 REST API.",
        lifespan=lifespan,
    )
    app.state.database = database
    app.state.limiter = RateLimiter(settings.rate_limit, settings.redis_url)
    app.state.auth_limiter = RateLimiter(settings.auth_rate_limit, settings.redis_url)
    app.state.cipher = KeyCipher(settings.effective_secret)
    app.state.settings = settings
    app.state.clock = clock
    install_redaction("uvicorn.access", "uvicorn.error", "faxnum", "faxnum.access")
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLog)  # outermost: sees and logs every answer, 413s too
    app.include_router(provisioning.router, prefix=V2_PREFIX)
    app.include_router(didgroups.router, prefix=V2_PREFIX)
    app.include_router(catalogue.router, prefix=V2_PREFIX)
    app.include_router(numbers.router, prefix=V2_PREFIX)
    app.include_router(users.router, prefix=V2_PREFIX)
    app.include_router(money.router, prefix=V2_PREFIX)
    app.include_router(health.router)
    return app
