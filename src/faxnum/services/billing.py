"""Balance changes; every one is paired with its ledger entry in the same transaction."""

from datetime import datetime
from decimal import Decimal

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, InsufficientBalance, Invalid, NotFound
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.webhooks import EventType
from faxnum.services.events import emit
from faxnum.services.unit_of_work import UnitOfWork


def credit(
    uow: UnitOfWork, account_id: int, amount: Decimal, description: str, now: datetime
) -> None:
    """Add money (the caller commits)."""
    if amount <= 0:
        raise Invalid.field("amount", "must be greater than zero")
    uow.accounts.change_balance(account_id, amount)
    uow.ledger.add_entry(account_id, amount, "credit", description, now)


def charge(
    uow: UnitOfWork,
    account_id: int,
    amount: Decimal,
    description: str,
    now: datetime,
    number_id: int | None = None,
    actor_id: int | None = None,
    kind: str = "charge",
    keep_holds: bool = False,
    at_commit: bool = False,
) -> None:
    """Take money, never below zero (the caller commits). `keep_holds`: a purchase,
    which may not spend what the account tree's live holds were promised. `at_commit`:
    the use case reads nothing the spend changes, so the store may take it as the
    transaction commits (`AccountRepository.spend_at_commit`), holding the account's
    row for less time."""
    if at_commit and uow.accounts.spend_at_commit(account_id, amount, keep_holds):
        change = None  # neither refused nor crossing the threshold, or the commit fails
    else:
        change = uow.accounts.change_balance(account_id, -amount, keep_holds)
        if change is None:
            raise InsufficientBalance(f"Insufficient balance: this costs {amount:.2f}.")
    uow.ledger.add_entry(
        account_id, -amount, kind, description, now, number_id=number_id, actor_id=actor_id
    )
    if change is not None and change.fell_below_low:
        data = {
            "account_id": account_id,
            "balance": change.after,
            "low_balance_threshold": change.low_balance,
        }
        emit(uow, account_id, EventType.BALANCE_LOW, data, now)


def balance(uow: UnitOfWork, caller: Caller) -> Decimal:
    """What the caller can spend: a sub-account spends its parent's balance."""
    return uow.accounts.balance(caller.payer_id)


def ledger_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[LedgerEntry]:
    entries, total = uow.ledger.page_for(caller.account_id, wanted)
    return Page(entries, total, wanted)


def credit_account(
    uow: UnitOfWork, account_id: int, amount: Decimal, description: str, now: datetime
) -> None:
    """Operator top-up, committed. A sub-account's own balance can never be spent (it
    spends its parent's), so crediting one is refused."""
    account = uow.accounts.summary(account_id)
    if account is None:
        raise NotFound(f"Account {account_id} not found.")
    if account.parent_id is not None:
        raise Conflict("This is a sub-account: it spends its parent's balance; credit the parent.")
    credit(uow, account_id, amount, description, now)
    uow.commit()
