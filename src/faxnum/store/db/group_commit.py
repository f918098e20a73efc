"""Group commit for SQLite: write use cases queued while the event loop was busy run
together in one transaction, each in its own savepoint.

SQLite is in-process and its work is CPU-bound, so the statements run on the event
loop's own thread: under the GIL, handing each request to a writer thread and back
costs more than the write itself. One commit per batch instead of one per request
removes most of the remaining cost. What may wait runs in a thread of its own while
the loop goes on serving: taking the write lock (`BEGIN IMMEDIATE` waits while another
process, a command or an operator's shell, holds it) and the commit (fsync). Results
are handed back only after their batch's commit, so a caller never sees a change that
is not durable; a batch that never got the lock changed nothing, and its callers get
the driver's error (the edge answers 503).
"""

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import OperationalError

from faxnum.domain.errors import Unavailable
from faxnum.store.db import engine as engines
from faxnum.store.db.uow import ConnectionUnitOfWork, SavepointUnitOfWork, SqlUnitOfWork

UseCase = Callable[[ConnectionUnitOfWork], Any]
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
        self._busy = False  # a batch is under way (taking the lock, running or committing)
        self._locked_out = False  # its BEGIN waits for a write lock held elsewhere
        self._closed = False
        self._waiter = ThreadPoolExecutor(1, thread_name_prefix="faxnum-commit")
        self._turns: list[asyncio.Future[None]] = []  # reads waiting for `turn`

    async def run(self, use_case: UseCase) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(use_case, loop.create_future())
        self._pending.append(job)
        if len(self._pending) == 1 and not self._busy:
            loop.call_soon(self._flush, loop)
        return await job.future

    async def turn(self) -> None:
        """Returns once the batch of writes under way, or queued to start, has been
        settled; at once when there is none, or when the batch waits for a write lock
        held elsewhere (a read needs no lock: it goes on meanwhile). A read that waits
        for it takes its turn with the writes (see `Database.read_off_loop`)."""
        if self._closed or self._locked_out or (not self._busy and not self._pending):
            return
        waiter = asyncio.get_running_loop().create_future()
        self._turns.append(waiter)
        await waiter

    def close(self) -> None:
        """Wait for a batch under way; what is queued after it is refused (503)."""
        self._closed = True
        self._waiter.shutdown(wait=True)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._busy or not self._pending:
            return
        if self._closed:
            refused, self._pending = self._pending, []
            for job in refused:
                job.outcome = (False, Unavailable("The server is shutting down; retry."))
                job.settle()
            self._end_turn()
            return
        batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        self._busy = True
        began: asyncio.Future[tuple[Connection, RootTransaction]] = loop.create_future()
        try:
            began.set_result(_begin(self._engine, wait=False))  # the lock is free: at once
        except OperationalError:  # held elsewhere: wait for it off the loop
            self._locked_out = True
            self._end_turn()
            began = loop.run_in_executor(self._waiter, _begin, self._engine)
            began.add_done_callback(lambda done: self._run(batch, done, loop))
            return
        self._run(batch, began, loop)

    def _run(
        self,
        batch: list[_Job],
        began: "asyncio.Future[tuple[Connection, RootTransaction]]",
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._locked_out = False
        failed = _failure(began)
        if failed is not None:
            # No lock (or no connection): nothing of the batch ran. Those queued behind
            # it waited for the same lock, so they get the same answer now rather than
            # a whole busy timeout more each.
            refused, self._pending = batch + self._pending, []
            for job in refused:
                job.outcome = (False, failed)
            self._done(refused, loop)
            return
        connection, transaction = began.result()
        for job in batch:
            job.outcome = _attempt(job.use_case, SavepointUnitOfWork(connection))
        commit = loop.run_in_executor(self._waiter, _commit, connection, transaction)
        commit.add_done_callback(lambda done: self._committed(batch, done, loop))

    def _committed(
        self, batch: list[_Job], commit: "asyncio.Future[None]", loop: asyncio.AbstractEventLoop
    ) -> None:
        if _failure(commit) is None:
            self._done(batch, loop)
            return
        # The batch's commit failed, so none of it happened: each job runs again in a
        # transaction of its own (in the thread: each may wait for the lock).
        alone = loop.run_in_executor(self._waiter, _each_alone, self._engine, batch)
        alone.add_done_callback(lambda _: self._done(batch, loop))

    def _done(self, batch: list[_Job], loop: asyncio.AbstractEventLoop) -> None:
        self._busy = False
        for job in batch:
            job.settle()
        self._end_turn()
        if self._pending:
            loop.call_soon(self._flush, loop)

    def _end_turn(self) -> None:
        waiting, self._turns = self._turns, []
        for waiter in waiting:
            if not waiter.done():  # not cancelled (its client went away)
                waiter.set_result(None)


def _failure(done: "asyncio.Future[Any]") -> BaseException | None:
    if done.cancelled():
        return Unavailable("The server is shutting down; retry.")
    return done.exception()


def _begin(engine: Engine, wait: bool = True) -> tuple[Connection, RootTransaction]:
    """A connection in a transaction holding the write lock; without `wait`, an error
    at once if someone else holds it (SQLite's busy timeout set to zero meanwhile)."""
    connection = engine.connect()
    try:
        if wait or connection.dialect.name != "sqlite":  # elsewhere BEGIN waits for nothing
            return connection, connection.begin()
        with _busy_timeout(connection, 0):
            return connection, connection.begin()
    except BaseException:
        connection.close()
        raise


@contextmanager
def _busy_timeout(connection: Connection, milliseconds: int) -> Iterator[None]:
    driver = connection.connection.dbapi_connection
    assert driver is not None  # connected
    driver.execute(f"PRAGMA busy_timeout={milliseconds}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA busy_timeout={engines.SQLITE_BUSY_TIMEOUT_MS}")


def _commit(connection: Connection, transaction: RootTransaction) -> None:
    with connection:
        try:
            transaction.commit()
        except Exception:
            transaction.rollback()  # a failed commit leaves the transaction open
            raise


def _each_alone(engine: Engine, batch: list[_Job]) -> None:
    for job in batch:
        job.outcome = _attempt(job.use_case, SqlUnitOfWork(engine))


def _attempt(
    use_case: UseCase, unit_of_work: SavepointUnitOfWork | SqlUnitOfWork
) -> tuple[bool, Any]:
    try:
        with unit_of_work as uow:
            return True, use_case(uow)
    except Exception as error:
        return False, error
