"""Every repository behaviour the use cases rely on, run on the in-memory fake, SQLite
and PostgreSQL alike (parameter ids `fake`, `sqlite`, `postgresql`): a fake that drifts
from the stores fails here, not in a unit test that trusts it."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.numbers import Did, DidGroup
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import authenticate, create_account
from faxnum.services.inventory import load_groups
from faxnum.services.unit_of_work import UnitOfWork
from faxnum.store.db.database import Database
from tests.conftest import database_url_for
from tests.factories import TEST_SECRET
from tests.fakes import FakeStore
from tests.unit.services.conftest import winnipeg_spec

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


class Store(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "fake":
        yield FakeStore()
        return
    database = Database(database_url_for(request, request.param, tmp_path, "contract"))
    yield database
    database.dispose()


def load_group(store: Store, numbers: list[str], setup: str = "1.00") -> int:
    """One Winnipeg DID group holding `numbers`, loaded in the order given."""
    spec = winnipeg_spec(numbers, setup)
    with store.unit_of_work() as uow:
        load_groups(uow, [spec], NOW)
    with store.unit_of_work() as uow:
        group_id = uow.catalogue.group_id("CAN", "204", "WINNIPEG", "GEOGRAPHIC")
    assert group_id is not None
    return group_id


def taken_from(uow: UnitOfWork, group_id: int) -> tuple[Did, DidGroup]:
    """The group's lowest available DID, taken (there is one), and the group."""
    taken = uow.dids.take_available(group_id, NOW)
    assert taken is not None
    return taken


def open_account(
    store: Store, email: str, credit: str = "10.00", parent: int | None = None
) -> Caller:
    cipher = KeyCipher(TEST_SECRET)
    with store.unit_of_work() as uow:
        created = create_account(
            uow, cipher, email, NOW, opening_credit=Decimal(credit), parent_id=parent
        )
    with store.unit_of_work() as uow:
        return authenticate(uow, created.api_key)
