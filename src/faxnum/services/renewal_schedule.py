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


async def renew_periodically(
    unit_of_work: Callable[[], InboxUnitOfWork],
    reader: UnitOfWorkFactory,
    policy: LifecyclePolicy,
    interval_s: float,
    clock: Callable[[], datetime],
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
        except Exception:  # the next run retries; a billing run must never stop the server
            log.exception("renewal run failed")
        else:
            log.info(
                "renewal run as of %s: %s; faxes past retention deleted: %d",
                now.date().isoformat(),
                report,
                faxes,
            )
        await asyncio.sleep(interval_s)
