"""Sub-accounts: created, listed, disabled, enabled and re-keyed by their parent.

A sub-account spends its parent's balance; only main accounts have them, and a parent
reaches only its own (anyone else's id is simply not found). A sub-account's email is
unique only among its parent's: creating one never takes an address from its owner,
who can still register it as a main account.
"""

from datetime import datetime

from faxnum.domain.accounts import (
    DEFAULT_MAX_SUBACCOUNTS,
    MAX_SUBACCOUNTS_PER_EMAIL,
    AccountSummary,
    Caller,
)
from faxnum.domain.errors import Conflict, NotFound
from faxnum.domain.pagination import Page, PageRequest
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import NewAccount, Registration, create_account, rotate_key
from faxnum.services.unit_of_work import UnitOfWork


def create_subaccount(
    uow: UnitOfWork,
    caller: Caller,
    cipher: KeyCipher,
    registration: Registration,
    now: datetime,
    most: int = DEFAULT_MAX_SUBACCOUNTS,
) -> NewAccount:
    """At most `most` per parent: each one is a key and a login that cost the operator."""
    if caller.is_subaccount:
        raise Conflict("A sub-account cannot create sub-accounts.")
    _, existing = uow.accounts.subaccounts_page(caller.account_id, PageRequest(limit=1))
    if existing >= most:
        raise Conflict(f"An account may have at most {most} sub-accounts.")
    if uow.accounts.subaccounts_using(registration.email) >= MAX_SUBACCOUNTS_PER_EMAIL:
        raise Conflict("An account with this email already exists.")
    email, password_hash = registration.email, registration.password_hash
    return create_account(uow, cipher, email, now, password_hash, parent_id=caller.account_id)


def list_subaccounts(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[AccountSummary]:
    return Page.of(uow.accounts.subaccounts_page(caller.account_id, wanted), wanted)


def set_subaccount_disabled(
    uow: UnitOfWork, caller: Caller, subaccount_id: int, disabled: bool
) -> AccountSummary:
    """A disabled sub-account gets 401 for its key and its login, at once."""
    _own_subaccount(uow, caller, subaccount_id)
    uow.accounts.set_disabled(subaccount_id, disabled)
    changed = uow.accounts.summary(subaccount_id)
    assert changed is not None
    uow.commit()
    return changed


def rotate_subaccount_key(
    uow: UnitOfWork, caller: Caller, cipher: KeyCipher, subaccount_id: int, now: datetime
) -> str:
    _own_subaccount(uow, caller, subaccount_id)
    return rotate_key(uow, cipher, subaccount_id, now)


def _own_subaccount(uow: UnitOfWork, caller: Caller, subaccount_id: int) -> None:
    found = uow.accounts.summary(subaccount_id)
    if found is None or found.parent_id != caller.account_id:
        raise NotFound(f"Sub-account {subaccount_id} not found.")
