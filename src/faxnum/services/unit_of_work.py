"""What the use cases need from storage, stated as protocols the services own.

The store implements them with SQLAlchemy (`faxnum.store.uow`); the unit tests with
plain dictionaries (`tests/fakes.py`). Money crosses this boundary as `Decimal`;
every data type that crosses it lives in `faxnum.domain`.

A unit of work is one transaction: nothing it did is kept unless the use case calls
`commit()` before leaving the `with` block.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from faxnum.domain.accounts import AccountSummary, Credentials, KeyHolder
from faxnum.domain.catalogue import (
    AreaCode,
    Country,
    CountryInfo,
    DidGroupFilter,
    State,
    Subdivision,
)
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.numbers import (
    Did,
    DidGroup,
    DueNumber,
    GroupSpec,
    InventoryLine,
    NewDid,
    NumberListing,
    ProvisionedNumber,
)
from faxnum.domain.pagination import PageRequest


class AccountRepository(Protocol):
    def holder_of_key(self, digest: bytes) -> KeyHolder | None:
        """`disabled` when the account or the parent it spends for is disabled."""
        ...

    def create(
        self, email: str, password_hash: str | None, parent_id: int | None, now: datetime
    ) -> int:
        """The new account's id; `Conflict` when the email is taken, even concurrently."""
        ...

    def login_candidates(self, email: str) -> list[Credentials]:
        """Accounts logging in with this email: the main account first, then sub-accounts
        oldest first. `disabled` when the account or the parent it spends for is."""
        ...

    def subaccounts_using(self, email: str) -> int:
        """How many sub-accounts, under any parent, use this email."""
        ...

    def summaries(self) -> list[AccountSummary]: ...

    def summary(self, account_id: int) -> AccountSummary | None: ...

    def subaccounts_page(
        self, parent_id: int, wanted: PageRequest
    ) -> tuple[list[AccountSummary], int]:
        """Oldest first; and how many there are."""
        ...

    def set_disabled(self, account_id: int, disabled: bool) -> bool: ...

    def revoke_key(self, key_id: int, now: datetime) -> bool:
        """Revoke one key unless it already is (False then)."""
        ...

    def revoke_keys(self, account_id: int, now: datetime) -> int: ...

    def id_by_email(self, email: str) -> int | None:
        """The account an operator means by an email: the main account, else the oldest
        sub-account with it."""
        ...

    def add_default_trunk(self, account_id: int) -> int: ...

    def add_key(self, account_id: int, digest: bytes, encrypted: bytes, now: datetime) -> int: ...

    def encrypted_key(self, account_id: int) -> bytes | None:
        """The newest live key's encrypted copy."""
        ...

    def live_encrypted_keys(
        self, after_id: int, limit: int, newest_first: bool = False
    ) -> list[tuple[int, bytes]]:
        """(key id, encrypted copy) of keys not revoked, by id from `after_id` on."""
        ...

    def replace_encrypted(self, key_id: int, encrypted: bytes) -> None: ...

    def balance(self, account_id: int) -> Decimal: ...

    def change_balance(self, account_id: int, delta: Decimal) -> bool:
        """Apply the change unless the balance would go below zero; False when refused."""
        ...


class CatalogueRepository(Protocol):
    def group(self, group_id: int) -> DidGroup | None: ...

    def groups(self, wanted: DidGroupFilter) -> list[DidGroup]: ...

    def group_id(
        self, country_code: str, area_code: str, city_name: str | None, type_: str
    ) -> int | None: ...

    def add_group(self, spec: GroupSpec, state_id: int | None) -> int: ...

    def group_count(self) -> int: ...

    def stock_by_country(self) -> dict[str, int]:
        """Available DIDs per country (alpha-3)."""
        ...

    def countries_with_groups(self) -> list[Country]: ...

    def add_countries(self, infos: Iterable[CountryInfo]) -> None:
        """Insert the countries not yet known."""
        ...

    def states(self, country_code: str | None) -> list[State]: ...

    def state(self, state_id: int) -> State | None: ...

    def state_id(self, country_code: str, code: str) -> int | None: ...

    def state_ids(self, country_code: str) -> dict[str, int]: ...

    def add_states(self, subdivisions: Iterable[Subdivision]) -> None:
        """Insert the states not yet known."""
        ...

    def area_codes(self, country_code: str | None, state_id: int | None) -> list[AreaCode]: ...

    def ensure_area_code(self, country_code: str, area_code: str, state_id: int | None) -> None: ...


class DidRepository(Protocol):
    def take_available(self, group_id: int, now: datetime) -> Did | None:
        """Assign the lowest available DID of the group; no two transactions win one DID."""
        ...

    def add_missing(self, new: Sequence[NewDid], now: datetime) -> int:
        """Insert the DIDs whose number is not in inventory yet; how many were new."""
        ...

    def inventory(self) -> Iterator[InventoryLine]:
        """Every DID in number order, streamed."""
        ...

    def start_aging(self, did_id: int, now: datetime) -> bool: ...

    def recycle_aged(self, aged_before: datetime, now: datetime) -> int: ...


class NumberRepository(Protocol):
    def add(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
    ) -> int: ...

    def provisioned(self, number_id: int) -> ProvisionedNumber | None: ...

    def due(self, today: date) -> list[DueNumber]: ...

    def extend(self, number_id: int, paid_until: date, new_expiration: date) -> bool:
        """Move the paid period on unless someone already did (False then)."""
        ...

    def mark_expired(self, number_id: int) -> bool: ...

    def release(self, number_id: int, now: datetime) -> bool: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        """Newest first: the account's live numbers and its sub-accounts'; and their total."""
        ...


class LedgerRepository(Protocol):
    def add(
        self,
        account_id: int,
        amount: Decimal,
        kind: str,
        description: str,
        now: datetime,
        number_id: int | None = None,
        actor_id: int | None = None,
    ) -> None: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[LedgerEntry], int]:
        """Newest first: entries on the account's money and those it caused on its parent's."""
        ...


class IdempotencyRepository(Protocol):
    def claim(
        self, account_id: int, key: str, fingerprint: str, now: datetime, expired_before: datetime
    ) -> bool:
        """True when this transaction owns the key; a concurrent claim waits for it."""
        ...

    def recorded(self, account_id: int, key: str) -> tuple[str, int | None] | None: ...

    def complete(self, account_id: int, key: str, number_id: int) -> None: ...

    def purge(self, before: datetime) -> int: ...


class UnitOfWork(Protocol):
    # Read-only members, so an implementation may narrow them to its own classes.
    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def catalogue(self) -> CatalogueRepository: ...

    @property
    def dids(self) -> DidRepository: ...

    @property
    def numbers(self) -> NumberRepository: ...

    @property
    def ledger(self) -> LedgerRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def schema_is_current(self) -> bool:
        """The store stands at the newest schema revision this code knows."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
