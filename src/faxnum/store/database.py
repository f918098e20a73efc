"""The process's database: engines plus how the async edge runs use cases on them.

Writes on SQLite go through one writer thread per process: threads of one process
never queue on the file lock (whose busy-wait backoff makes latency tails of seconds);
processes still serialise on it, correctly, through BEGIN IMMEDIATE.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from faxnum.store.engine import is_sqlite, make_engine
from faxnum.store.uow import SqlUnitOfWork

T = TypeVar("T")
POSTGRES_WRITERS = 8


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self.write_engine = make_engine(url, writer=True)
        self.read_engine = make_engine(url) if self.sqlite else self.write_engine
        writers = 1 if self.sqlite else POSTGRES_WRITERS
        self._writers = ThreadPoolExecutor(writers, thread_name_prefix="faxnum-writer")

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.write_engine)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for reads; never committed."""
        return SqlUnitOfWork(self.read_engine)

    async def write(self, use_case: Callable[[SqlUnitOfWork], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._writers, partial(self._run, use_case, self.unit_of_work)
        )

    async def read(self, query: Callable[[SqlUnitOfWork], T]) -> T:
        return await run_in_threadpool(self._run, query, self.reader)

    @staticmethod
    def _run(use_case: Callable[[SqlUnitOfWork], T], make: Callable[[], SqlUnitOfWork]) -> T:
        with make() as uow:
            return use_case(uow)

    def dispose(self) -> None:
        self._writers.shutdown(wait=True)
        self.write_engine.dispose()
        self.read_engine.dispose()
