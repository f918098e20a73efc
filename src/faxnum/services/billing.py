"""Balance changes; every one is paired with its ledger entry in the same transaction."""

from datetime import datetime
from decimal import Decimal

from faxnum.domain.errors import InsufficientBalance, Invalid
from faxnum.domain.money import to_micros
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
) -> None:
    """Take money, never below zero (the caller commits)."""
    micros = to_micros(amount)
    if not uow.accounts.change_balance(account_id, -micros):
        raise InsufficientBalance(f"Insufficient balance: this costs {amount:.2f}.")
    uow.ledger.add(account_id, -micros, "charge", description, now, number_id=number_id)
