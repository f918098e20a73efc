"""Reads run in read-only transactions, ended with COMMIT: a read can change nothing,
and on PostgreSQL it keeps the statements the driver prepared on its connection
(psycopg forgets them all at every ROLLBACK)."""

from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from faxnum.store.db.database import Database
from tests.dbstate import snapshot
from tests.factories import add_account, add_group

PSYCOPG_PREPARE_THRESHOLD = 5  # executions of one statement before psycopg prepares it


def test_a_read_can_change_nothing(database: Database) -> None:
    account = add_account(database).account_id
    before = snapshot(database.write_engine)

    # The read-only transaction refuses the write at whichever statement it can.
    with pytest.raises(DBAPIError), database.reader() as uow:  # noqa: PT012
        uow.accounts.change_balance(account, Decimal("5.00"))
        uow.commit()

    assert snapshot(database.write_engine) == before


def test_a_read_ends_with_commit_keeping_what_postgresql_prepared(database: Database) -> None:
    add_group(database)
    ended: list[str] = []
    listeners = {
        "commit": lambda _connection: ended.append("commit"),
        "rollback": lambda _connection: ended.append("rollback"),
    }
    for name, listener in listeners.items():
        event.listen(database.read_engine, name, listener)
    try:
        for _ in range(PSYCOPG_PREPARE_THRESHOLD + 1):  # one connection: one at a time
            with database.reader() as uow:
                assert uow.catalogue.countries_with_groups()
    finally:
        for name, listener in listeners.items():
            event.remove(database.read_engine, name, listener)

    assert ended == ["commit"] * (PSYCOPG_PREPARE_THRESHOLD + 1)
    if not database.sqlite:
        with database.reader() as uow:
            connection = uow._connection
            assert connection is not None
            prepared = connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
            assert prepared.scalar_one() >= 1
