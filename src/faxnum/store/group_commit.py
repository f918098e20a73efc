"""Group commit for SQLite: write use cases queued while the event loop was busy run
together in one transaction, each in its own savepoint.

SQLite is in-process and its work is CPU-bound, so the statements run on the event
loop's own thread: under the GIL, handing each request to a writer thread and back
costs more than the write itself. One commit per batch instead of one per request
removes most of the remaining cost. The commit itself waits on the disk (fsync, with
the GIL released), so it runs in a thread of its own while the loop goes on serving
other requests and queueing the next batch, which starts once that commit is done.
Results are handed back only after their batch's commit, so a caller never sees a
change that is not durable.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction

from faxnum.domain.errors import Unavailable
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
        self._committing = False  # a batch's commit is under way: the next one waits
        self._closed = False
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="faxnum-commit")

    async def run(self, use_case: UseCase) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(use_case, loop.create_future())
        self._pending.append(job)
        if len(self._pending) == 1 and not self._committing:
            loop.call_soon(self._flush, loop)
        return await job.future

    def close(self) -> None:
        """Wait for a commit under way; what is queued after it is refused (503)."""
        self._closed = True
        self._committer.shutdown(wait=True)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._committing or not self._pending:
            return
        if self._closed:
            refused, self._pending = self._pending, []
            for job in refused:
                job.outcome = (False, Unavailable("The server is shutting down; retry."))
                job.settle()
            return
        batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        connection = self._engine.connect()
        try:
            transaction = connection.begin()
            for job in batch:
                job.outcome = _attempt(job.use_case, SavepointUnitOfWork(connection))
        except Exception:
            connection.close()  # rolls back
            self._each_alone(batch, loop)
            return
        self._committing = True
        commit = loop.run_in_executor(self._committer, _commit, connection, transaction)
        commit.add_done_callback(lambda done: self._committed(batch, done, loop))

    def _committed(
        self, batch: list[_Job], commit: "asyncio.Future[None]", loop: asyncio.AbstractEventLoop
    ) -> None:
        self._committing = False
        if commit.cancelled() or commit.exception() is not None:
            self._each_alone(batch, loop)
            return
        self._settle(batch, loop)

    def _each_alone(self, batch: list[_Job], loop: asyncio.AbstractEventLoop) -> None:
        """The batch's transaction failed, so none of it happened: each job runs again
        in a transaction of its own."""
        for job in batch:
            job.outcome = _attempt(job.use_case, SqlUnitOfWork(self._engine))
        self._settle(batch, loop)

    def _settle(self, batch: list[_Job], loop: asyncio.AbstractEventLoop) -> None:
        for job in batch:
            job.settle()
        if self._pending:
            loop.call_soon(self._flush, loop)


def _commit(connection: Connection, transaction: RootTransaction) -> None:
    with connection:
        try:
            transaction.commit()
        except Exception:
            transaction.rollback()  # a failed commit leaves the transaction open
            raise


def _attempt(
    use_case: UseCase, unit_of_work: SavepointUnitOfWork | SqlUnitOfWork
) -> tuple[bool, Any]:
    try:
        with unit_of_work as uow:
            return True, use_case(uow)
    except Exception as error:
        return False, error
