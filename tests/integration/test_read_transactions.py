"""Reads run in read-only transactions, ended with COMMIT: a read can change nothing.
On PostgreSQL the statements a connection prepared stay prepared, whatever became of
the transactions that prepared them."""

from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from faxnum.store.db.database import Database
from tests.dbstate import snapshot
from tests.factories import add_account, add_group

READS = 6


def test_a_read_can_change_nothing(database: Database) -> None:
    account = add_account(database).account_id
    before = snapshot(database.write_engine)

    # The read-only transaction refuses the write at whichever statement it can.
    with pytest.raises(DBAPIError), database.reader() as uow:  # noqa: PT012
        uow.accounts.change_balance(account, Decimal("5.00"))
        uow.commit()

    assert snapshot(database.write_engine) == before


def test_a_read_that_went_well_ends_with_commit(database: Database) -> None:
    add_group(database)
    ended: list[str] = []
    listeners = {
        "commit": lambda _connection: ended.append("commit"),
        "rollback": lambda _connection: ended.append("rollback"),
    }
    for name, listener in listeners.items():
        event.listen(database.read_engine, name, listener)
    try:
        for _ in range(READS):
            with database.reader() as uow:
                assert uow.catalogue.countries_with_groups()
    finally:
        for name, listener in listeners.items():
            event.remove(database.read_engine, name, listener)

    assert ended == ["commit"] * READS


@pytest.mark.parametrize("backend", ["postgresql"])  # PostgreSQL's prepared statements
@pytest.mark.parametrize("kept", [True, False], ids=["committed", "rolled-back"])
def test_a_statement_prepared_on_a_connection_stays_prepared_after_its_transaction(
    database: Database, kept: bool
) -> None:
    group_id = add_group(database)
    unit_of_work = database.unit_of_work()
    with unit_of_work as uow:
        assert uow.catalogue.group(group_id) is not None
        if kept:
            uow.commit()
    for _ in range(READS):  # one connection at a time: the same pooled one
        with database.unit_of_work() as uow:
            assert uow.catalogue.group(group_id) is not None
            connection = uow._connection
            assert connection is not None
            prepared = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements WHERE starts_with(name, 'faxnum')"
            )
            assert prepared.scalar_one() >= 1
