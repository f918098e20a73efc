"""Use cases run against the in-memory unit of work: business rules, no database."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import authenticate, create_account
from faxnum.services.inventory import load_groups
from tests.factories import TEST_SECRET
from tests.fakes import FakeStore

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
# Winnipeg numbers that phonenumbers accepts and geocodes to Winnipeg, MB.
WINNIPEG = ["+12042841000", "+12042841001", "+12042841002"]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def cipher() -> KeyCipher:
    return KeyCipher(TEST_SECRET)


def winnipeg_spec(numbers: list[str] = WINNIPEG, setup: str = "1.00") -> GroupSpec:
    return GroupSpec(
        "CAN",
        "MB",
        "204",
        "WINNIPEG",
        NumberType.GEOGRAPHIC,
        Decimal(setup),
        Decimal("2.00"),
        list(numbers),
    )


@pytest.fixture
def group_id(store: FakeStore) -> int:
    with store.unit_of_work() as uow:
        load_groups(uow, [winnipeg_spec()], NOW)
    with store.unit_of_work() as uow:
        found = uow.catalogue.group_id("CAN", "204", "WINNIPEG", "GEOGRAPHIC")
    assert found is not None
    return found


def open_account(
    store: FakeStore,
    cipher: KeyCipher,
    email: str,
    credit: str = "10.00",
    parent: int | None = None,
) -> Caller:
    with store.unit_of_work() as uow:
        created = create_account(
            uow, cipher, email, NOW, opening_credit=Decimal(credit), parent_id=parent
        )
    with store.unit_of_work() as uow:
        return authenticate(uow, created.api_key)


@pytest.fixture
def caller(store: FakeStore, cipher: KeyCipher) -> Caller:
    return open_account(store, cipher, "owner@example.com")
