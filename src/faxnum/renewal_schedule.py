"""Renewal inside `serve`: the billing run, every `renew_interval_s`, off the event loop.

Every worker process runs it; the run's guarded updates make concurrent runs safe.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.services.lifecycle import renew_due
from faxnum.store.database import Database

log = logging.getLogger(__name__)


async def renew_periodically(
    database: Database, policy: LifecyclePolicy, interval_s: float, clock: Callable[[], datetime]
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        now = clock()
        try:
            report = await run_in_threadpool(
                renew_due, database.unit_of_work, now.date(), now, policy
            )
        except Exception:  # the next run retries; a billing run must never stop the server
            log.exception("renewal run failed")
            continue
        log.info("renewal run: %s", report)
