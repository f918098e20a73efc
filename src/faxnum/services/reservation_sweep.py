"""Inside `serve`: holds whose time has come are ended every `interval_s`, so their
numbers are back in stock within seconds of `expires_at`, with or without traffic.

Every worker process sweeps; the guarded close of each hold makes that safe. The check
for due holds is a read, so an idle server never takes the write lock for nothing.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from faxnum.services.reservations import SWEEP_BATCH, any_due, expire_due
from faxnum.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
Run = Callable[[Callable[[UnitOfWork], Any]], Awaitable[Any]]


async def sweep_periodically(
    read: Run, write: Run, interval_s: float, clock: Callable[[], datetime]
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await sweep(read, write, clock())
        except Exception:  # the next sweep retries; it must never stop the server
            log.exception("reservation sweep failed")


async def sweep(read: Run, write: Run, now: datetime) -> int:
    """End every hold due at `now`, a batch per transaction; how many ended."""
    ended = 0
    while await read(partial(any_due, now=now)):
        batch = int(await write(partial(expire_due, now=now)))
        ended += batch
        if batch < SWEEP_BATCH:
            break
    if ended:
        log.info("reservations expired: %d", ended)
    return ended
