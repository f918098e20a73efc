"""Balance changes; every one is paired with its ledger entry in the same transaction."""

from datetime import datetime
from decimal import Decimal

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import InsufficientBalance, Invalid
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.money import from_micros, to_micros
from faxnum.domain.pagination import Page, PageRequest
from faxnum.store.uow import UnitOfWork


def credit(
    uow: UnitOfWork, account_id: int, amount: Decimal, description: str, now: datetime
) -> None:
    """Add money (the caller commits)."""
    if amount <= 0:
        raise Invalid.field("amount", "must be greater than zero")
    micros = to_micros(amount)
    uow.accounts.change_balance(account_id, micros)
    uow.ledger.add(account_id, micros, "credit", description, now)


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
    micros = to_micros(amount)
    if not uow.accounts.change_balance(account_id, -micros):
        raise InsufficientBalance(f"Insufficient balance: this costs {amount:.2f}.")
    uow.ledger.add(
        account_id, -micros, kind, description, now, number_id=number_id, actor_id=actor_id
    )


def balance(uow: UnitOfWork, caller: Caller) -> Decimal:
    """What the caller can spend: a sub-account spends its parent's balance."""
    return from_micros(uow.accounts.balance_micros(caller.payer_id))


def ledger_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[LedgerEntry]:
    entries, total = uow.ledger.page_for(caller.account_id, wanted)
    return Page(entries, total, wanted)


def credit_account(
    uow: UnitOfWork, account_id: int, amount: Decimal, description: str, now: datetime
) -> None:
    """Operator top-up, committed."""
    credit(uow, account_id, amount, description, now)
    uow.commit()
