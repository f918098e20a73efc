"""Reads and writes take turns: a read that goes off the event loop (a listing, a
dashboard page) waits for the writes under way before it, on both stores, so that a
client repeating it gets a share like every other client's, not a lane of its own."""

import asyncio
import threading

from sqlalchemy import Connection, event

from faxnum.store.db.database import POSTGRES_THREADS, Database
from tests.factories import add_account, add_group
from tests.integration.test_group_commit import pay_in
from tests.waiting import A_MOMENT_S, STUCK_AFTER_S


def test_a_read_off_the_loop_waits_for_the_writes_under_way_before_it(
    database: Database,
) -> None:
    add_group(database)
    accounts = [  # one each: writes to one account would wait for each other's lock
        add_account(database, f"writer{n}@example.com", credit="0").account_id
        for n in range(POSTGRES_THREADS)
    ]
    release, lock = threading.Event(), threading.Lock()
    committing: list[int] = []
    # SQLite commits the writes as one batch; PostgreSQL each in one of its threads.
    expected = 1 if database.sqlite else POSTGRES_THREADS

    def hold_the_commit(connection: Connection) -> None:
        if connection.get_execution_options().get("postgresql_readonly"):
            return  # a read's: PostgreSQL's reads share the writes' engine
        with lock:
            committing.append(1)
        release.wait(STUCK_AFTER_S)

    event.listen(database.write_engine, "commit", hold_the_commit)

    async def a_read_behind_writes() -> list[str]:
        seen = []
        writes = [asyncio.create_task(database.write(pay_in(account, 1))) for account in accounts]
        while len(committing) < expected:
            await asyncio.sleep(0.001)
        read = asyncio.create_task(
            database.read_off_loop(lambda uow: uow.catalogue.countries_with_groups())
        )
        await asyncio.sleep(A_MOMENT_S)
        seen.append(f"read while the writes commit: {read.done()}")
        release.set()
        countries = await asyncio.wait_for(read, STUCK_AFTER_S)
        seen.append(f"read after: {[country.code for country in countries]}")
        await asyncio.gather(*writes)
        return seen

    try:
        assert asyncio.run(a_read_behind_writes()) == [
            "read while the writes commit: False",
            "read after: ['CAN']",
        ]
    finally:
        event.remove(database.write_engine, "commit", hold_the_commit)
        release.set()
