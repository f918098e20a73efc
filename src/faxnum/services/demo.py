"""The demo: inventory generated from real numbering data, and an account to try it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from faxnum.numbering.demo import demo_inventory
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.passwords import hash_password, verify_password
from faxnum.services.accounts import NewAccount, create_account, current_key, normalise_email
from faxnum.services.inventory import LoadSummary, inventory_is_empty, load_groups
from faxnum.services.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class DemoReady:
    inventory: LoadSummary | None  # None when inventory was already there
    account: NewAccount


def seed_demo_inventory(
    unit_of_work: UnitOfWorkFactory, now: datetime, only_if_empty: bool = True
) -> LoadSummary | None:
    """Load the demo groups (idempotent); None when skipped because inventory exists."""
    with unit_of_work() as uow:
        if only_if_empty and not inventory_is_empty(uow):
            return None
        return load_groups(uow, demo_inventory(), now)


def demo_account(
    unit_of_work: UnitOfWorkFactory,
    cipher: KeyCipher,
    email: str,
    credit: Decimal,
    now: datetime,
    password: str,
) -> NewAccount:
    """The demo account's key, creating the account (with its credit) on first use;
    its dashboard password is `password` from now on."""
    with unit_of_work() as uow:
        existing = current_key(uow, cipher, email)
        if existing is None:
            return create_account(
                uow, cipher, email, now, hash_password(password), opening_credit=credit
            )
        stored = uow.accounts.login_candidates(normalise_email(email))[0].password_hash
        if stored is None or not verify_password(stored, password):
            uow.accounts.set_password_hash(existing.account_id, hash_password(password))
            uow.commit()
        return existing


def prepare_demo(
    unit_of_work: UnitOfWorkFactory,
    cipher: KeyCipher,
    email: str,
    credit: Decimal,
    now: datetime,
    password: str,
) -> DemoReady:
    inventory = seed_demo_inventory(unit_of_work, now)
    return DemoReady(inventory, demo_account(unit_of_work, cipher, email, credit, now, password))
