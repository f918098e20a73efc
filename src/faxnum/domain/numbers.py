"""Entities a provisioning client sees: DID groups and provisioned numbers."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class NumberType(StrEnum):
    GEOGRAPHIC = "GEOGRAPHIC"
    NATIONAL = "NATIONAL"
    TOLL_FREE = "TOLL_FREE"
    MOBILE = "MOBILE"


class NumberStatus(StrEnum):
    ACTIVE = "Active"
    EXPIRED = "Expired"  # renewal failed; released when the grace period ends
    RELEASED = "Released"


class DidState(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    AGING = "aging"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class DidGroup:
    id: int
    country_code: str
    state_id: int | None
    area_code: str
    city_name: str | None
    type: NumberType
    setup_price: Decimal
    monthly_price: Decimal
    stock: int = 0
    features: tuple[str, ...] = ("fax", "t38")

    @property
    def first_charge(self) -> Decimal:
        """What provisioning costs: setup plus the first month."""
        return self.setup_price + self.monthly_price


@dataclass(frozen=True)
class Did:
    id: int
    number: str


@dataclass(frozen=True)
class HeldDid:
    """A DID as it stands, read under lock to decide what may happen to it."""

    id: int
    number: str
    group_id: int
    state: DidState


@dataclass(frozen=True)
class AvailableNumber:
    """A DID anyone could take now, with the group that prices it."""

    number: str
    group: DidGroup


@dataclass(frozen=True)
class ProvisionedNumber:
    id: int
    did: Did
    group: DidGroup
    trunk_id: int


@dataclass(frozen=True)
class NumberListing:
    """One of an account's numbers as `/numbers` shows it."""

    id: int
    order_reference: str | None
    country_code: str
    country: str
    city_name: str | None
    area_code: str
    did_group_id: int
    did_number: str
    expiration_date: date
    status: str
    trunk_id: int
    account_id: int  # the holder (the caller or one of its sub-accounts)
    did_id: int


@dataclass
class GroupSpec:
    """A DID group to load into inventory, with the numbers it should hold."""

    country_code: str
    state_code: str | None
    area_code: str
    city_name: str | None
    type: NumberType
    setup_price: Decimal
    monthly_price: Decimal
    numbers: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str | None, NumberType]:
        return (self.country_code, self.area_code, self.city_name, self.type)


@dataclass(frozen=True)
class NewDid:
    """A DID to add to inventory, unless its number is already there."""

    group_id: int
    number: str  # E.164
    carrier_trunk: str | None
    state: DidState = DidState.AVAILABLE


@dataclass(frozen=True)
class InventoryLine:
    """One DID with its group's defining fields, as an export writes it."""

    number: str
    country_code: str
    area_code: str
    city_name: str | None
    type: str
    setup_price: Decimal
    monthly_price: Decimal
    carrier_trunk: str | None
    state: str  # a DidState value


# Where the next batch of a long run starts: after this (expiration date, number id),
# or after this (state change time, DID id) for aged DIDs.
DueCursor = tuple[date, int]
AgedCursor = tuple[datetime, int]


@dataclass(frozen=True)
class DueNumber:
    """A live number whose paid period has ended, with what renewing it costs."""

    id: int
    account_id: int
    payer_id: int
    did_id: int
    did_number: str
    expiration_date: date
    status: str
    monthly_price: Decimal


def next_from_group(candidates: Iterable[tuple[int, str]], quantity: int) -> list[int]:
    """Which DIDs a group gives next: its lowest numbers first, by their E.164 text
    (the order the store's `(group, state, number)` index keeps), whatever order they
    were loaded in. `candidates`: (id, number) of the DIDs that may be taken."""
    return [did_id for did_id, _ in sorted(candidates, key=lambda did: did[1])[:quantity]]
