"""On PostgreSQL a provisioning's spend goes in the message that commits it, so the
payer's row is locked only while the transaction commits; the spend is checked there,
in SQL, and one the check refuses (too little money, or a crossing of the low-balance
threshold that the use case must tell of) fails the commit with nothing kept, and the
use case runs again with the spend checked at once."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from faxnum.domain.errors import InsufficientBalance
from faxnum.domain.numbers import ProvisionedNumber
from faxnum.services.accounts import as_holder_of
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.store.db.tables import accounts
from faxnum.store.db.uow import ConnectionUnitOfWork, SqlUnitOfWork
from tests.dbstate import snapshot
from tests.factories import add_account, add_group, balance_of

NOW = datetime(2026, 12, 7, tzinfo=UTC)
ON_POSTGRES = pytest.mark.parametrize("backend", ["postgresql"])


class _CommitWatched:
    """A unit of work that runs `before_commit` just before it commits."""

    def __init__(self, uow: ConnectionUnitOfWork, before_commit: Callable[[], None]) -> None:
        self._uow = uow
        self._before_commit = before_commit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def commit(self) -> None:
        self._before_commit()
        self._uow.commit()


def _row_free(database: Database, account_id: int) -> bool:
    """Whether another transaction could update the account's row at this moment."""
    with database.write_engine.connect() as other:
        try:
            other.execute(
                select(accounts.c.id)
                .where(accounts.c.id == account_id)
                .with_for_update(key_share=True, nowait=True)
            )
        except OperationalError:
            return False
        finally:
            other.rollback()
    return True


@ON_POSTGRES
@pytest.mark.parametrize("at_commit", [True, False], ids=["at-commit", "at-once"])
def test_a_provisioning_spending_at_commit_leaves_the_payers_row_free_until_it_commits(
    database: Database, at_commit: bool
) -> None:
    group_id = add_group(database, setup="1.00", monthly="1.00")
    owner = add_account(database, credit="100.00")
    seen: list[bool] = []

    def provisioning(uow: ConnectionUnitOfWork) -> ProvisionedNumber:
        watched = _CommitWatched(uow, lambda: seen.append(_row_free(database, owner.account_id)))
        return as_holder_of(owner.api_key, provision, group_id=group_id, now=NOW)(watched)

    with SqlUnitOfWork(database.write_engine, spends_at_commit=at_commit) as uow:
        provisioning(uow)

    assert seen == [at_commit]
    assert balance_of(database, owner.account_id) == Decimal("98.00")


def _counted(use_case: Callable[[ConnectionUnitOfWork], Any], runs: list[bool]) -> Any:
    def run(uow: ConnectionUnitOfWork) -> Any:
        runs.append(uow._spends_at_commit)
        return use_case(uow)

    return run


@ON_POSTGRES
def test_a_spend_the_commit_refuses_runs_again_checked_at_once_and_keeps_nothing(
    database: Database,
) -> None:
    group_id = add_group(database, setup="5.00", monthly="5.00")
    owner = add_account(database, credit="9.99")
    before = snapshot(database.write_engine)
    runs: list[bool] = []
    use_case = as_holder_of(owner.api_key, provision, group_id=group_id, now=NOW)

    with pytest.raises(InsufficientBalance):
        asyncio.run(database.write(_counted(use_case, runs)))

    assert runs == [True, False]
    assert snapshot(database.write_engine) == before


@ON_POSTGRES
def test_a_spend_crossing_the_low_balance_threshold_runs_again_checked_at_once(
    database: Database,
) -> None:
    group_id = add_group(database, setup="1.00", monthly="1.00")
    owner = add_account(database, credit="14.00")  # the default threshold is 10.00
    use_case = as_holder_of(owner.api_key, provision, group_id=group_id, now=NOW)
    runs: list[bool] = []

    for _ in range(3):  # 14 -> 12 -> 10 -> 8 (crossed)
        asyncio.run(database.write(_counted(use_case, runs)))

    assert runs == [True, True, True, False]
    assert balance_of(database, owner.account_id) == Decimal("8.00")
