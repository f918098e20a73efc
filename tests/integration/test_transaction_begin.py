"""On PostgreSQL a transaction's BEGIN goes with its first statement, whichever sends
it (`postgres_messages`, `postgres_pipeline`): a statement of SQLAlchemy's own, a
prepared one, a streamed read. Whatever opened it, a transaction is kept whole or not
at all."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import DBAPIError

from faxnum.store.db.database import Database
from faxnum.store.db.prepared import Prepared, run_and_commit
from faxnum.store.db.tables import accounts, ledger_entries
from faxnum.store.db.uow import ConnectionUnitOfWork
from tests.factories import add_account, add_group

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _balance_and_entries(database: Database, account_id: int) -> tuple[int, int]:
    with database.write_engine.connect() as connection:
        balance = connection.execute(
            select(accounts.c.balance_micros).where(accounts.c.id == account_id)
        ).scalar_one()
        entries = connection.execute(
            select(ledger_entries.c.id).where(ledger_entries.c.account_id == account_id)
        ).all()
        return int(balance), len(entries)


def _mark(connection: Connection, account_id: int) -> None:
    """A write of SQLAlchemy's own (not a prepared statement)."""
    connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(low_balance_micros=1)
    )


def _marked(database: Database, account_id: int) -> bool:
    with database.write_engine.connect() as connection:
        low = connection.execute(
            select(accounts.c.low_balance_micros).where(accounts.c.id == account_id)
        ).scalar_one()
    return bool(low == 1)


def _opened_by(first: str, uow: ConnectionUnitOfWork, account_id: int) -> Connection:
    """The transaction opened by a write of SQLAlchemy's own or by a prepared one (the
    balance change); the unit of work's connection."""
    connection = uow._connection
    assert connection is not None
    if first == "sqlalchemy":
        _mark(connection, account_id)
    uow.accounts.change_balance(account_id, Decimal("5"))
    return connection


@pytest.mark.parametrize("first", ["sqlalchemy", "prepared"])
def test_a_transaction_rolled_back_keeps_nothing_whichever_statement_opened_it(
    database: Database, first: str
) -> None:
    account_id = add_account(database, credit="0").account_id
    with database.unit_of_work() as uow:
        connection = _opened_by(first, uow, account_id)
        if first == "prepared":
            _mark(connection, account_id)
        # no commit: rolled back

    assert _balance_and_entries(database, account_id) == (0, 0)
    assert not _marked(database, account_id)


@pytest.mark.parametrize("first", ["sqlalchemy", "prepared"])
def test_a_transaction_committed_keeps_every_write_whichever_statement_opened_it(
    database: Database, first: str
) -> None:
    account_id = add_account(database, credit="0").account_id
    with database.unit_of_work() as uow:
        _opened_by(first, uow, account_id)
        uow.ledger.add_entry(account_id, Decimal("5"), "credit", "kept", NOW)
        uow.commit()

    assert _balance_and_entries(database, account_id) == (5_000_000, 1)


def test_a_streamed_read_opens_its_own_transaction(database: Database) -> None:
    add_group(database)
    with database.reader() as uow:
        lines = list(uow.dids.inventory())  # a server-side cursor on PostgreSQL
    assert lines


@pytest.mark.parametrize("backend", ["postgresql"])  # a value the driver cannot quote
def test_a_statement_refused_before_it_was_sent_leaves_its_transaction_whole(
    database: Database,
) -> None:
    account_id = add_account(database, credit="0").account_id
    by_email = Prepared(select(accounts.c.id).where(accounts.c.email == bindparam("email")))
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        with pytest.raises(DBAPIError):
            by_email.rows(connection, {"email": "nul\x00inside"})  # refused by psycopg
        _mark(connection, account_id)
        # no commit: rolled back

    assert not _marked(database, account_id)


@pytest.mark.parametrize("backend", ["postgresql"])  # statements queued on libpq's pipeline
def test_a_statement_failing_among_others_of_its_round_trip_leaves_the_connection_usable(
    database: Database,
) -> None:
    account_id = add_account(database, credit="0").account_id
    credit = Prepared(
        update(accounts)
        .where(accounts.c.id == bindparam("account"))
        .values(balance_micros=accounts.c.balance_micros + bindparam("micros"))
    )
    refusing = Prepared(select(accounts.c.id).where(accounts.c.id == 1 / bindparam("zero")))
    with database.write_engine.connect() as connection:
        transaction = connection.begin()
        with pytest.raises(DBAPIError) as refused:
            run_and_commit(
                connection,
                [(credit, {"account": account_id, "micros": 5}), (refusing, {"zero": 0})],
                transaction,
            )
        assert getattr(refused.value.orig, "sqlstate", None) == "22012"  # the server's own
        transaction.rollback()
        assert not connection.invalidated

        # The same connection: the next transaction's round trips go as before.
        transaction = connection.begin()
        assert credit.rows(connection, {"account": account_id, "micros": 7}) == []
        run_and_commit(connection, [(credit, {"account": account_id, "micros": 1})], transaction)

    assert _balance_and_entries(database, account_id) == (8, 0)
