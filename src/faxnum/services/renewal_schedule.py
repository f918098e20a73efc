"""Renewal inside `serve`, and the removal of faxes past retention: the billing run at
start and then every `interval_s`, off the event loop, with a summary line each time.

Every worker process runs it; the run's guarded updates make concurrent runs safe. It
runs at start so that a server restarted more often than the interval still bills.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.services.inbox import delete_expired_faxes
from faxnum.services.lifecycle import renew_due
from faxnum.services.ports.faxes import InboxUnitOfWork
from faxnum.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
# A run that failed (its connection dropped, the database restarting) is tried again
# this soon, not a whole interval later.
RETRY_AFTER_FAILURE_S = 60.0


async def renew_periodically(
    unit_of_work: Callable[[], InboxUnitOfWork],
    reader: UnitOfWorkFactory,
    policy: LifecyclePolicy,
    interval_s: float,
    clock: Callable[[], datetime],
    retry_s: float = RETRY_AFTER_FAILURE_S,
) -> None:
    while True:
        now = clock()
        try:
            report = await asyncio.to_thread(
                renew_due, unit_of_work, now.date(), now, policy, reader
            )
            faxes = await asyncio.to_thread(
                delete_expired_faxes, unit_of_work, now, policy.fax_retention_days
            )
        except Exception:  # a billing run must never stop the server
            pause = min(retry_s, interval_s)
            log.exception("renewal run failed; trying again in %g s", pause)
            await asyncio.sleep(pause)
            continue
        else:
            log.info(
                "renewal run as of %s: %s; faxes past retention deleted: %d",
                now.date().isoformat(),
                report,
                faxes,
            )
        await asyncio.sleep(interval_s)
