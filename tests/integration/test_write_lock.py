"""SQLite's write lock held by someone else (another process, a command, an operator's
shell): the server goes on serving while its writes wait, and a write that never gets
the lock is answered 503, having changed nothing."""

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.domain.errors import Unavailable
from faxnum.store.db import engine as engines
from faxnum.store.db.database import Database
from tests.conftest import make_settings, sqlite_only
from tests.factories import add_account, add_group, balance_of
from tests.integration.test_group_commit import ledger_amounts, pay_in

backend = pytest.fixture(sqlite_only)  # the subject is SQLite's file lock


@contextmanager
def write_lock_held(url: str, seconds: float) -> Iterator[None]:
    """Another connection takes the write lock for `seconds`, from a thread."""
    taken = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(str(make_url(url).database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    try:
        yield
    finally:
        holder.join()


async def ticks_while(work: "asyncio.Future[Any]") -> int:
    """How often the event loop got to run something else while `work` was pending."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


def test_a_write_waiting_for_the_lock_leaves_the_loop_serving(database: Database) -> None:
    account = add_account(database, credit="0").account_id

    async def write_while_locked() -> tuple[object, int]:
        write = asyncio.ensure_future(database.write(pay_in(account, 7)))
        ticks = await ticks_while(write)
        return await write, ticks

    with write_lock_held(database.url, 0.5):
        written, ticks = asyncio.run(write_while_locked())

    assert written == 7  # it waited for the lock, then went through
    assert ticks >= 10  # about 50 turns of 10 ms while the lock was held elsewhere (0 if held)
    assert ledger_amounts(database, account) == [7]


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT_MS", 300)


def test_a_write_that_never_gets_the_lock_is_unavailable_and_changes_nothing(
    short_busy_timeout: None, database_url: str
) -> None:
    database = Database(database_url, serving=True)
    account = add_account(database, credit="0").account_id

    async def write_while_locked() -> tuple[BaseException | None, int]:
        write = asyncio.ensure_future(database.write(pay_in(account, 7)))
        ticks = await ticks_while(write)
        return write.exception(), ticks

    with write_lock_held(database_url, 1.5):
        refused, ticks = asyncio.run(write_while_locked())
    database.dispose()

    assert isinstance(refused, Unavailable)
    assert ticks >= 5  # about 30 turns of 10 ms during the busy timeout (0 if held)
    assert ledger_amounts(Database(database_url), account) == []


def test_provisioning_while_the_lock_is_held_elsewhere_is_answered_503(
    short_busy_timeout: None, tmp_path: Path, database_url: str
) -> None:
    settings: Settings = make_settings(tmp_path, database_url)
    database = Database(database_url)
    group = add_group(database, count=3)
    new = add_account(database, "locked-out@example.com", credit="10.00")
    database.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with write_lock_held(database_url, 1.5):
            answer = client.post(
                f"/api/v2/countries/didgroups/{group}/provision",
                headers={"X-API-Key": new.api_key},
            )
            health = client.get("/healthz")
        retried = client.post(
            f"/api/v2/countries/didgroups/{group}/provision",
            headers={"X-API-Key": new.api_key},
        )

    assert answer.status_code == 503, answer.text
    assert answer.json()["status"] == "failed"
    assert answer.headers["Retry-After"]
    assert health.status_code == 200
    assert retried.status_code == 200
    # One charge only: the group's setup (1.00) and first month (2.00), once.
    assert balance_of(Database(database_url), new.account_id) == Decimal("7.00")


def test_writes_queued_behind_a_lock_that_never_comes_are_refused_together(
    short_busy_timeout: None, database_url: str
) -> None:
    """Each waits one busy timeout at most, not one more per batch ahead of it: the
    write queued behind the waiting batch is refused by that batch's own failure."""
    database = Database(database_url, serving=True)
    account = add_account(database, credit="0").account_id

    async def two_batches_while_locked() -> list[BaseException]:
        first = asyncio.ensure_future(database.write(pay_in(account, 1)))
        await asyncio.sleep(0.1)  # the first batch is waiting for the lock
        second = asyncio.ensure_future(database.write(pay_in(account, 2)))
        return list(await asyncio.gather(first, second, return_exceptions=True))  # type: ignore[arg-type]

    with write_lock_held(database_url, 2.0):
        refused = asyncio.run(two_batches_while_locked())
    database.dispose()

    assert all(isinstance(answer, Unavailable) for answer in refused), refused
    assert refused[0].__cause__ is refused[1].__cause__  # one failed wait for the lock
    assert ledger_amounts(Database(database_url), account) == []


def test_a_read_off_the_loop_does_not_wait_for_a_write_waiting_for_the_lock(
    database: Database,
) -> None:
    """Reads take their turn after the writes under way, except a batch waiting for a
    lock held elsewhere: a read needs no lock."""
    add_group(database)
    account = add_account(database, credit="0").account_id

    async def read_while_a_write_waits() -> tuple[bool, list[str], object]:
        write = asyncio.ensure_future(database.write(pay_in(account, 7)))
        await asyncio.sleep(0.1)  # its batch now waits for the lock
        listed = database.read_off_loop(lambda uow: uow.catalogue.countries_with_groups())
        countries = await listed  # a read that waited would come after the write
        read_first = not write.done()
        return read_first, [country.code for country in countries], await write

    with write_lock_held(database.url, 1.5):
        read_first, codes, written = asyncio.run(read_while_a_write_waits())

    assert (read_first, codes, written) == (True, ["CAN"], 7)
