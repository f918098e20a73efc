"""Test data built from real numbering data, through the same services the app uses."""

import random
from datetime import UTC, datetime
from decimal import Decimal

import phonenumbers

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.countries import alpha3_for_region
from faxnum.numbering.demo import numbers_for_city
from faxnum.numbering.geodata import Place, area_code_of, city_prefixes
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import NewAccount, create_account
from faxnum.services.inventory import load_groups
from faxnum.store.db.database import Database

TEST_SECRET = b"test-key-not-for-production-0123456789"


def real_numbers(region: str, description: str, count: int, seed: int = 1) -> list[str]:
    """`count` valid numbers of one area code whose geocoded place is `description`."""
    dial = phonenumbers.country_code_for_region(region)
    prefixes = city_prefixes(dial)[description]
    rng = random.Random(seed)
    found: dict[str, list[str]] = {}
    for number in numbers_for_city(region, description, prefixes, rng, count * 4):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        bucket = found.setdefault(area_code_of(number), [])
        bucket.append(e164)
        if len(bucket) == count:
            return bucket
    raise AssertionError(f"could not find {count} numbers for {description}")


def group_spec(
    region: str = "CA",
    description: str = "Winnipeg, MB",
    count: int = 5,
    setup: str = "1.00",
    monthly: str = "2.00",
    seed: int = 1,
) -> GroupSpec:
    numbers = real_numbers(region, description, count, seed)
    place = Place.from_description(description)
    return GroupSpec(
        country_code=alpha3_for_region(region),
        state_code=place.state_code,
        area_code=area_code_of(phonenumbers.parse(numbers[0])),
        city_name=place.city,
        type=NumberType.GEOGRAPHIC,
        setup_price=Decimal(setup),
        monthly_price=Decimal(monthly),
        numbers=numbers,
    )


def add_group(database: Database, **kwargs: object) -> int:
    """Load one DID group into inventory and return its id."""
    spec = group_spec(**kwargs)  # type: ignore[arg-type]
    with database.unit_of_work() as uow:
        load_groups(uow, [spec], datetime.now(UTC))
    with database.reader() as uow:
        group_id = uow.catalogue.group_id(*spec.key)
    assert group_id is not None
    return group_id


def add_account(
    database: Database, email: str = "owner@example.com", credit: str = "100.00"
) -> NewAccount:
    with database.unit_of_work() as uow:
        return create_account(
            uow, KeyCipher(TEST_SECRET), email, datetime.now(UTC), opening_credit=Decimal(credit)
        )


def balance_of(database: Database, account_id: int) -> Decimal:
    with database.reader() as uow:
        return uow.accounts.balance(account_id)
