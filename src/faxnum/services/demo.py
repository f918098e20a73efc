"""The demo: inventory generated from real numbering data, and an account to try it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from faxnum.numbering.demo import demo_inventory
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import NewAccount, create_account, current_key
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
    unit_of_work: UnitOfWorkFactory, cipher: KeyCipher, email: str, credit: Decimal, now: datetime
) -> NewAccount:
    """The demo account's key, creating the account (with its credit) on first use."""
    with unit_of_work() as uow:
        existing = current_key(uow, cipher, email)
        if existing is not None:
            return existing
        return create_account(uow, cipher, email, now, opening_credit=credit)


def prepare_demo(
    unit_of_work: UnitOfWorkFactory, cipher: KeyCipher, email: str, credit: Decimal, now: datetime
) -> DemoReady:
    inventory = seed_demo_inventory(unit_of_work, now)
    return DemoReady(inventory, demo_account(unit_of_work, cipher, email, credit, now))
