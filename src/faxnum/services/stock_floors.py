"""Inside `serve`: each DID group's stock floor is raised to its lowest number in
stock every `interval_s`, so that a take starts where the stock starts.

A take reads the group's DIDs in stock in number order from its floor up. Between two
raises it steps over the index entries of the DIDs taken since the last one, which
PostgreSQL keeps until a VACUUM; without raises it would step over every DID ever
taken from the group. Every worker process raises; the group's row lock makes that
safe. Finding the groups behind is a read, so an idle server writes nothing.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from faxnum.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
Run = Callable[[Callable[[UnitOfWork], Any]], Awaitable[Any]]


async def raise_periodically(read: Run, write: Run, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await raise_floors(read, write)
        except Exception:  # the next round retries; it must never stop the server
            log.exception("raising stock floors failed")


async def raise_floors(read: Run, write: Run) -> int:
    """Raise every group's floor that is behind, one group per transaction (each
    holds its group's row only while it reads that group's stock); how many rose."""
    raised = 0
    for group_id in await read(_behind):
        raised += int(await write(partial(_raise, group_id=group_id)))
    return raised


def _behind(uow: UnitOfWork) -> list[int]:
    return uow.dids.groups_with_floor_behind()


def _raise(uow: UnitOfWork, group_id: int) -> bool:
    raised = uow.dids.raise_stock_floor(group_id)
    uow.commit()
    return raised
