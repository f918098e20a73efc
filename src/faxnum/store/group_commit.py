"""Group commit for SQLite: write use cases queued during one turn of the event loop
run together in one transaction, each in its own savepoint.

SQLite is in-process and its work is CPU-bound, so it runs on the event loop's own
thread: under the GIL, handing each request to a writer thread and back costs more
than the write itself. One commit per batch instead of one per request removes most
of the remaining cost. Results are handed back only after the batch's commit, so a
caller never sees a change that is not durable.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from faxnum.services.unit_of_work import UnitOfWork
from faxnum.store.uow import SavepointUnitOfWork, SqlUnitOfWork

UseCase = Callable[[UnitOfWork], Any]
MAX_BATCH = 64


@dataclass
class _Job:
    use_case: UseCase
    future: "asyncio.Future[Any]"
    outcome: tuple[bool, Any] = (False, None)

    def settle(self) -> None:
        if self.future.done():  # the caller went away (e.g. the client disconnected)
            return
        succeeded, value = self.outcome
        if succeeded:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)


class GroupCommitWriter:
    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._pending: list[_Job] = []

    async def run(self, use_case: UseCase) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(use_case, loop.create_future())
        self._pending.append(job)
        if len(self._pending) == 1:
            loop.call_soon(self._flush, loop)
        return await job.future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        if self._pending:
            loop.call_soon(self._flush, loop)
        self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        try:
            with self._engine.connect() as connection, connection.begin():
                for job in batch:
                    job.outcome = _attempt(job.use_case, SavepointUnitOfWork(connection))
        except Exception:
            # The batch's commit failed, so none of it happened: run each job on its own.
            for job in batch:
                job.outcome = _attempt(job.use_case, SqlUnitOfWork(self._engine))
        for job in batch:
            job.settle()


def _attempt(
    use_case: UseCase, unit_of_work: SavepointUnitOfWork | SqlUnitOfWork
) -> tuple[bool, Any]:
    try:
        with unit_of_work as uow:
            return True, use_case(uow)
    except Exception as error:
        return False, error
