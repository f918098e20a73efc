"""Ledger entries are kept with their transaction's commit, in the order they were
written (the stores send them with the COMMIT), and never without it."""

from decimal import Decimal

from faxnum.domain.pagination import PageRequest
from tests.contract.conftest import NOW, Store, open_account


def _amounts(store: Store, account_id: int) -> list[Decimal]:
    with store.unit_of_work() as uow:
        entries, _ = uow.ledger.page_for(account_id, PageRequest(limit=50))
    return [entry.amount for entry in entries]


def test_entries_are_kept_with_the_commit_newest_first(store: Store) -> None:
    caller = open_account(store, "ledger@example.com", credit="0")
    with store.unit_of_work() as uow:
        for amount in ("1.00", "2.00", "3.00"):
            uow.accounts.change_balance(caller.account_id, Decimal(amount))
            uow.ledger.add_entry(caller.account_id, Decimal(amount), "credit", "top-up", NOW)
        uow.commit()

    assert _amounts(store, caller.account_id) == [Decimal("3.00"), Decimal("2.00"), Decimal("1.00")]


def test_entries_of_a_transaction_that_never_commits_are_never_kept(store: Store) -> None:
    caller = open_account(store, "rolled-back@example.com", credit="0")
    with store.unit_of_work() as uow:
        uow.ledger.add_entry(caller.account_id, Decimal("5.00"), "credit", "never", NOW)
    with store.unit_of_work() as uow:
        uow.commit()

    assert _amounts(store, caller.account_id) == []
