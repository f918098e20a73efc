"""Renewal inside `serve`: the billing run, every `interval_s`, off the event loop.

Every worker process runs it; the run's guarded updates make concurrent runs safe.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.services.lifecycle import renew_due
from faxnum.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)


async def renew_periodically(
    unit_of_work: UnitOfWorkFactory,
    policy: LifecyclePolicy,
    interval_s: float,
    clock: Callable[[], datetime],
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        now = clock()
        try:
            report = await asyncio.to_thread(renew_due, unit_of_work, now.date(), now, policy)
        except Exception:  # the next run retries; a billing run must never stop the server
            log.exception("renewal run failed")
            continue
        log.info("renewal run: %s", report)
