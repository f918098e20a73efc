"""Balance changes; every one is paired with its ledger entry in the same transaction."""

from datetime import datetime
from decimal import Decimal

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import InsufficientBalance, Invalid
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.pagination import Page, PageRequest
from faxnum.services.unit_of_work import UnitOfWork


def credit(
    uow: UnitOfWork, account_id: int, amount: Decimal, description: str, now: datetime
) -> None:
    """Add money (the caller commits)."""
    if amount <= 0:
        raise Invalid.field("amount", "must be greater than zero")
    uow.accounts.change_balance(account_id, amount)
    uow.ledger.add(account_id, amount, "credit", description, now)


def charge(
    uow: UnitOfWork,
    account_id: int,
    amount: Decimal,
    description: str,
    now: datetime,
    number_id: int | None = None,
    actor_id: int | None = None,
    kind: str = "charge",
) -> None:
    """Take money, never below zero (the caller commits)."""
    if not uow.accounts.change_balance(account_id, -amount):
        raise InsufficientBalance(f"Insufficient balance: this costs {amount:.2f}.")
    uow.ledger.add(
        account_id, -amount, kind, description, now, number_id=number_id, actor_id=actor_id
    )


def balance(uow: UnitOfWork, caller: Caller) -> Decimal:
    """What the caller can spend: a sub-account spends its parent's balance."""
    return uow.accounts.balance(caller.payer_id)


def ledger_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[LedgerEntry]:
    entries, total = uow.ledger.page_for(caller.account_id, wanted)
    return Page(entries, total, wanted)


def credit_account(
    uow: UnitOfWork, account_id: int, amount: Decimal, description: str, now: datetime
) -> None:
    """Operator top-up, committed."""
    credit(uow, account_id, amount, description, now)
    uow.commit()
