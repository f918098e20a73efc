"""Getting a database ready: migrations, demo inventory, the demo account."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from faxnum.config import Settings
from faxnum.key_cipher import KeyCipher
from faxnum.numbering.demo import demo_inventory
from faxnum.services.accounts import NewAccount, create_account, current_key
from faxnum.services.inventory import LoadSummary, inventory_is_empty, load_groups
from faxnum.store.database import Database
from faxnum.store.migrate import upgrade


@dataclass(frozen=True)
class DemoReady:
    inventory: LoadSummary | None  # None when inventory was already there
    account: NewAccount


def seed_demo_inventory(database: Database, only_if_empty: bool = True) -> LoadSummary | None:
    with database.reader() as uow:
        if only_if_empty and not inventory_is_empty(uow):
            return None
    with database.unit_of_work() as uow:
        return load_groups(uow, demo_inventory(), datetime.now(UTC))


def demo_account(
    database: Database, settings: Settings, credit: Decimal | None = None
) -> NewAccount:
    """The demo account's key, creating the account (with its credit) on first use."""
    cipher = KeyCipher(settings.effective_secret)
    with database.reader() as uow:
        existing = current_key(uow, cipher, settings.demo_email)
    if existing is not None:
        return existing
    with database.unit_of_work() as uow:
        opening = settings.demo_credit if credit is None else credit
        return create_account(
            uow, cipher, settings.demo_email, datetime.now(UTC), opening_credit=opening
        )


def prepare_demo(settings: Settings) -> DemoReady:
    database = Database(settings.effective_database_url)
    try:
        upgrade(settings.effective_database_url)
        inventory = seed_demo_inventory(database)
        return DemoReady(inventory, demo_account(database, settings))
    finally:
        database.dispose()
