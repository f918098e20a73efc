"""Writes nobody reads back (the ledger entry, the live-number count) go with the
COMMIT: they are kept with it, in the order they were made, and a failure among them
fails the COMMIT with nothing kept."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from faxnum.store.db.database import Database
from faxnum.store.db.tables import accounts, ledger_entries
from tests.factories import add_account

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _balance_and_entries(database: Database, account_id: int) -> tuple[int, list[int]]:
    with database.write_engine.connect() as connection:
        balance = connection.execute(
            select(accounts.c.balance_micros).where(accounts.c.id == account_id)
        ).scalar_one()
        entries = connection.execute(
            select(ledger_entries.c.amount_micros)
            .where(ledger_entries.c.account_id == account_id)
            .order_by(ledger_entries.c.id)
        ).scalars()
        return int(balance), list(entries)


def test_entries_sent_with_the_commit_are_kept_in_the_order_they_were_made(
    database: Database,
) -> None:
    account_id = add_account(database, credit="0").account_id
    with database.unit_of_work() as uow:
        for cents in (1, 2, 3):
            uow.accounts.change_balance(account_id, Decimal(cents) / 100)
            uow.ledger.add_entry(account_id, Decimal(cents) / 100, "credit", "test", NOW)
        uow.commit()

    assert _balance_and_entries(database, account_id) == (60_000, [10_000, 20_000, 30_000])


def test_a_write_sent_with_the_commit_that_fails_fails_the_commit_and_nothing_is_kept(
    database: Database,
) -> None:
    account_id = add_account(database, credit="0").account_id
    with database.unit_of_work() as uow:
        uow.accounts.change_balance(account_id, Decimal("5"))
        uow.ledger.add_entry(account_id, Decimal("5"), "credit", "kept only with the other", NOW)
        uow.ledger.add_entry(999_999, Decimal("5"), "credit", "no such account", NOW)
        with pytest.raises(IntegrityError):
            uow.commit()

    # Read on the same pooled connection: it came back out of the failed transaction.
    assert _balance_and_entries(database, account_id) == (0, [])
    pay_in = database.unit_of_work()
    with pay_in as uow:
        uow.accounts.change_balance(account_id, Decimal("1"))
        uow.ledger.add_entry(account_id, Decimal("1"), "credit", "after the failure", NOW)
        uow.commit()
    assert _balance_and_entries(database, account_id) == (1_000_000, [1_000_000])


def test_writes_of_a_use_case_that_does_not_commit_are_never_sent(database: Database) -> None:
    account_id = add_account(database, credit="0").account_id
    with database.unit_of_work() as uow:
        uow.ledger.add_entry(account_id, Decimal("5"), "credit", "rolled back", NOW)
    with database.unit_of_work() as uow:
        uow.commit()  # a later transaction on a pooled connection sends nothing of it

    assert _balance_and_entries(database, account_id) == (0, [])
