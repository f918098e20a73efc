"""The process's database: engines, and how the async edge runs use cases on them.

SQLite is in-process and CPU-bound, so its reads run inline on the event loop (WAL
readers never wait for a lock) and its writes are group-committed there too (only each
batch's commit, which waits on the disk, goes to a thread): hopping between threads per
request costs more, under the GIL, than the work itself.
PostgreSQL work waits on the network, so it goes to threads: two of them. With one,
PostgreSQL idles through each round trip; with more, every extra thread fights for the
GIL, and the transactions in flight queue on the same rows (an account's balance) and
cost both sides more CPU each. More throughput comes from more worker processes.
Reads and writes wait their turn in one queue:
with a pool of their own, one client repeating a listing would take a large share of
the throughput from many clients provisioning beside it.
"""

import asyncio
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import TypeVar, cast

from sqlalchemy.exc import DBAPIError, OperationalError

from faxnum.domain.errors import Unavailable
from faxnum.store.db.checkpointer import Checkpointer
from faxnum.store.db.engine import is_sqlite, make_engine, make_read_engine
from faxnum.store.db.group_commit import GroupCommitWriter
from faxnum.store.db.uow import ConnectionUnitOfWork, SpendNeedsCheck, SqlUnitOfWork
from faxnum.store.inventory import StockHeldElsewhere

T = TypeVar("T")
WRITE_ATTEMPTS = 3
POSTGRES_THREADS = 2
_log = logging.getLogger(__name__)


class Database:
    def __init__(self, url: str, *, serving: bool = False) -> None:
        """`serving`: a long-running server, which checkpoints SQLite in the background."""
        self.url = url
        self.sqlite = is_sqlite(url)
        background = serving and self.sqlite
        self.write_engine = make_engine(url, writer=True, auto_checkpoint=not background)
        self.read_engine = make_read_engine(self.write_engine, auto_checkpoint=not background)
        self._checkpointer = Checkpointer(make_engine(url)) if background else None
        self._group_writer: GroupCommitWriter | None = None
        self._threads: ThreadPoolExecutor | None = None  # PostgreSQL's

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.write_engine)

    def _writer(self, spends_at_commit: bool, skips_held: bool) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.write_engine, spends_at_commit=spends_at_commit, skips_held=skips_held
        )

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for reads, in a read-only transaction."""
        return SqlUnitOfWork(self.read_engine, read_only=True)

    async def write(self, use_case: Callable[[ConnectionUnitOfWork], T]) -> T:
        with _unavailable_when_unreachable():
            if self.sqlite:
                if self._group_writer is None:
                    self._group_writer = GroupCommitWriter(self.write_engine)
                return cast(T, await self._group_writer.run(use_case))
            return await self._in_turn(partial(_run_retrying, use_case, self._writer))

    async def read(self, query: Callable[[ConnectionUnitOfWork], T]) -> T:
        with _unavailable_when_unreachable():
            if self.sqlite:
                return _run(query, self.reader())
            return await self._in_turn(partial(run_fresh_if_broken, query, self.reader))

    async def read_off_loop(self, query: Callable[[ConnectionUnitOfWork], T]) -> T:
        """A read that may take long (many rows) or wait (a readiness probe): never on
        the event loop, so that it keeps serving. On SQLite it first waits for the batch
        of writes under way to commit: in a thread it holds the GIL against the loop,
        so a client repeating it without pause would starve those provisioning beside
        it; waiting, it gets one read per batch, as each of them gets one write."""
        with _unavailable_when_unreachable():
            if not self.sqlite:
                return await self._in_turn(partial(run_fresh_if_broken, query, self.reader))
            if self._group_writer is not None:
                await self._group_writer.turn()
            return await asyncio.to_thread(_run, query, self.reader())

    def _in_turn(self, work: Callable[[], T]) -> "asyncio.Future[T]":
        """PostgreSQL work, first come first served by the process's database threads."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(POSTGRES_THREADS, thread_name_prefix="faxnum-db")
        return asyncio.get_running_loop().run_in_executor(self._threads, work)

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._group_writer is not None:
            self._group_writer.close()
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        self.write_engine.dispose()
        self.read_engine.dispose()


@contextmanager
def _unavailable_when_unreachable() -> Iterator[None]:
    """The database could not be reached or locked in time (SQLite's write lock held
    elsewhere past the busy timeout, PostgreSQL down or out of connections): nothing
    was changed, and the client is told to retry (503), not that the server failed.
    The driver's own message is logged, without the statement or its values."""
    try:
        yield
    except OperationalError as error:
        _log.warning("database unavailable: %s: %s", type(error.orig).__name__, error.orig)
        raise Unavailable("The database is busy or unreachable; retry shortly.") from error


def _run(use_case: Callable[[ConnectionUnitOfWork], T], unit_of_work: SqlUnitOfWork) -> T:
    with unit_of_work as uow:
        return use_case(uow)


def run_fresh_if_broken(
    use_case: Callable[[ConnectionUnitOfWork], T], unit_of_work: Callable[[], SqlUnitOfWork]
) -> T:
    """PostgreSQL's connections are not pinged before each use: one the server closed
    (a restart, an idle timeout, a failover) fails at its first statement and is dropped
    from the pool, and every other the pool held is made afresh at its next checkout
    (`prepared.dropped_if_broken`). The use case runs once more on a fresh connection,
    unless its COMMIT had been sent: then whether it was kept is unknown, and the error
    stands (a 503 to the client, who may retry idempotently)."""
    first = unit_of_work()
    try:
        return _run(use_case, first)
    except DBAPIError as error:
        if not error.connection_invalidated or first.commit_sent:
            raise
    return _run(use_case, unit_of_work())


def _run_retrying(
    use_case: Callable[[ConnectionUnitOfWork], T],
    unit_of_work: Callable[[bool, bool], SqlUnitOfWork],
) -> T:
    """PostgreSQL may end one of two transactions that wait on each other (a deadlock
    it detected) or collide under stricter isolation. Nothing of it was kept, so the
    use case runs again in a fresh transaction, a few times, before the error stands.

    The first run takes the shortcuts that hold for nearly every request, and the use
    case runs again without the one that did not hold; neither is an attempt lost, since
    each can happen once: a spend goes with the COMMIT (`unit_of_work`'s first flag),
    and again checked at once if the commit refused it (`SpendNeedsCheck`); a take of
    DIDs skips those other transactions hold (the second), and again waiting for them
    if it came back short for it (`StockHeldElsewhere`)."""
    from psycopg.errors import DeadlockDetected, SerializationFailure  # PostgreSQL's only

    spends_at_commit, skips_held = True, True
    failed = 0
    while True:
        try:
            attempt = partial(unit_of_work, spends_at_commit, skips_held)
            return run_fresh_if_broken(use_case, attempt)
        except SpendNeedsCheck:
            spends_at_commit = False
        except StockHeldElsewhere:
            skips_held = False
        except OperationalError as error:
            failed += 1
            retryable = isinstance(error.orig, (DeadlockDetected, SerializationFailure))
            if failed == WRITE_ATTEMPTS or not retryable:
                raise
