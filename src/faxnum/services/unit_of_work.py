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

from faxnum.domain.accounts import AccountSummary, BalanceChange, Credentials, KeyHolder
from faxnum.domain.catalogue import (
    AreaCode,
    AvailableNumberFilter,
    Country,
    CountryInfo,
    DidGroupFilter,
    State,
    Subdivision,
)
from faxnum.domain.did_states import DidEvent
from faxnum.domain.idempotency import Outcome
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.numbers import (
    AgedCursor,
    AvailableNumber,
    Did,
    DidGroup,
    DidState,
    DueCursor,
    DueNumber,
    GroupSpec,
    HeldDid,
    InventoryLine,
    NewDid,
    NumberListing,
    ProvisionedNumber,
)
from faxnum.domain.orders import Order
from faxnum.domain.pagination import PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.domain.trunks import Trunk, TrunkChanges
from faxnum.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EventType,
    Listener,
    NotificationSettings,
    Outgoing,
    SealedSecrets,
    Target,
    Webhook,
    WebhookChanges,
)


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

    def set_password_hash(self, account_id: int, password_hash: str) -> bool: ...

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

    def change_balance(self, account_id: int, delta: Decimal) -> BalanceChange | None:
        """Apply the change unless the balance would go below zero; None when refused."""
        ...

    def notification_settings(self, account_id: int) -> NotificationSettings: ...

    def set_notification_settings(
        self, account_id: int, settings: NotificationSettings
    ) -> None: ...


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

    def dial_code(self, country_code: str) -> int | None: ...

    def available(
        self, wanted: AvailableNumberFilter, dial_code: int, page: PageRequest
    ) -> tuple[list[AvailableNumber], int]:
        """Available DIDs matching every filter, in number order; and how many match."""
        ...


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

    def recycle_aged(
        self, aged_before: datetime, now: datetime, after: AgedCursor | None, limit: int
    ) -> tuple[int, AgedCursor | None]:
        """One batch of aged DIDs back in stock; how many, and the next cursor (None
        when the batch was the last)."""
        ...

    def move(self, did_ids: Sequence[int], event: DidEvent, now: datetime) -> list[int]:
        """One guarded update along `event`'s transition; the ids that moved."""
        ...

    def lock_numbers(self, numbers: Sequence[str]) -> list[HeldDid]:
        """The DIDs with these numbers as they stand, locked to the end of the transaction."""
        ...

    def take_from_group(
        self, group_id: int, quantity: int, event: DidEvent, now: datetime
    ) -> list[Did]:
        """Move up to `quantity` of the group's lowest DIDs along `event`'s transition."""
        ...

    def in_state(self, state: DidState, after_number: str, limit: int) -> list[InventoryLine]: ...


class NumberRepository(Protocol):
    def add(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
        order_id: int | None = None,
    ) -> int: ...

    def provisioned(self, number_id: int) -> ProvisionedNumber | None: ...

    def due(self, today: date, after: DueCursor | None, limit: int) -> list[DueNumber]:
        """Up to `limit` live numbers expired by `today`, by (expiration date, id)
        after the cursor."""
        ...

    def expiring(self, today: date, after_id: int, limit: int) -> list[DueNumber]:
        """Live numbers within their holder's warning days of expiry, not yet warned
        for this paid period, whose holder or its parent has an enabled endpoint."""
        ...

    def mark_expiring_sent(self, number_id: int, expiration_date: date) -> bool: ...

    def extend(self, number_id: int, paid_until: date, new_expiration: date) -> bool:
        """Move the paid period on unless someone already did (False then)."""
        ...

    def mark_expired(self, number_id: int) -> bool: ...

    def release(self, number_id: int, now: datetime) -> bool: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        """Newest first: the account's live numbers and its sub-accounts'; and their total."""
        ...

    def visible(self, number_id: int, viewer_id: int) -> NumberListing | None:
        """One live number of the viewer or of one of its sub-accounts."""
        ...

    def set_trunk(self, number_id: int, trunk_id: int) -> bool: ...

    def count_on_trunk(self, trunk_id: int) -> int: ...

    def of_order(self, order_id: int) -> list[ProvisionedNumber]: ...


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

    def recorded(
        self, account_id: int, key: str, outcome: Outcome
    ) -> tuple[str, int | None] | None:
        """The key's fingerprint and the id of the `outcome` it made (None until its
        transaction settles); None when the key is not held."""
        ...

    def complete(self, account_id: int, key: str, outcome: Outcome, result_id: int) -> None: ...

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        """One batch of keys older than `before`, by id after `after_id`; how many went,
        and the next cursor (None when done)."""
        ...


class ReservationRepository(Protocol):
    def hold_count(self, payer_id: int, quantity: int, limit: int) -> bool:
        """Count more reserved numbers for the account tree (kept on its payer) unless
        that passes `limit`; the payer's row stays locked to the end of the transaction."""
        ...

    def release_count(self, payer_id: int, quantity: int) -> None: ...

    def held_value(self, payer_id: int, now: datetime) -> Decimal:
        """What ordering every live hold of the account tree would cost: each held
        number's setup and first month."""
        ...

    def add(
        self, account_id: int, did_ids: Sequence[int], now: datetime, expires_at: datetime
    ) -> int: ...

    def get(self, reservation_id: int, account_id: int) -> Reservation | None: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[Reservation], int]: ...

    def close(
        self,
        reservation_id: int,
        status: ReservationStatus,
        *,
        live_at: datetime | None = None,
        expired_at: datetime | None = None,
    ) -> bool:
        """End an active hold (guarded); `live_at`: only if not expired by then,
        `expired_at`: only if expired by then."""
        ...

    def did_ids(self, reservation_id: int) -> list[int]: ...

    def due(self, now: datetime, limit: int) -> list[Reservation]: ...


class OrderRepository(Protocol):
    def add(
        self, account_id: int, reservation_id: int | None, total: Decimal, now: datetime
    ) -> int: ...

    def get(self, order_id: int, viewer_id: int) -> Order | None: ...

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Order], int]: ...


class TrunkRepository(Protocol):
    def add(
        self, account_id: int, name: str, uri: str | None, t38: bool, is_default: bool
    ) -> int: ...

    def get(self, trunk_id: int, account_id: int, lock: bool = False) -> Trunk | None:
        """One of the account's own live trunks; `lock`: the trunk cannot be deleted
        until this transaction ends."""
        ...

    def visible(self, trunk_id: int, viewer_id: int) -> Trunk | None:
        """A live trunk of the viewer or of one of its sub-accounts."""
        ...

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Trunk], int]:
        """Oldest first: the viewer's live trunks and its sub-accounts'; and their total."""
        ...

    def count_held(self, account_id: int) -> int:
        """How many live trunks the account has. Until this transaction ends, no other
        transaction changes the account's trunks: concurrent changes of its default
        or additions past a limit are taken one after another."""
        ...

    def change(self, trunk_id: int, changes: TrunkChanges) -> bool: ...

    def clear_default(self, account_id: int) -> None: ...

    def delete(self, trunk_id: int, now: datetime) -> bool:
        """Never the default trunk, never twice (False then)."""
        ...


class WebhookRepository(Protocol):
    def add(
        self,
        account_id: int,
        url: str,
        events: tuple[EventType, ...] | None,
        sealed_secret: bytes,
        now: datetime,
    ) -> int: ...

    def count_held(self, account_id: int) -> int:
        """How many endpoints the account has, counted so that concurrent
        registrations of one account cannot pass a limit together."""
        ...

    def get(self, webhook_id: int, account_id: int) -> Webhook | None: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[Webhook], int]: ...

    def change(self, webhook_id: int, changes: WebhookChanges) -> bool: ...

    def delete(self, webhook_id: int) -> bool:
        """The endpoint with its delivery log."""
        ...

    def disable(self, webhook_id: int, reason: str) -> bool:
        """Unless it already is (False then)."""
        ...

    def subscribers(self, account_id: int) -> list[Listener]:
        """Enabled endpoints of the account and of its parent."""
        ...

    def others_of(self, account_id: int, webhook_id: int) -> list[int]:
        """The account's other enabled endpoints."""
        ...

    def rotate(self, webhook_id: int, sealed_secret: bytes, previous_until: datetime) -> bool: ...

    def sealed_after(self, after_id: int, limit: int) -> list[tuple[int, SealedSecrets]]: ...

    def replace_sealed(self, webhook_id: int, current: bytes, previous: bytes | None) -> None: ...


class OutboxRepository(Protocol):
    def keep_order(self, account_id: int) -> None:
        """Until this transaction ends, no other event of the account tree is numbered."""
        ...

    def enqueue(
        self, webhook_ids: Sequence[int], message_id: str, type_: str, body: str, now: datetime
    ) -> None:
        """The event, once for each endpoint."""
        ...

    def deliveries_page(
        self, webhook_id: int, wanted: PageRequest
    ) -> tuple[list[Delivery], int]: ...

    def delivery(self, delivery_id: int, webhook_id: int) -> Delivery | None: ...

    def attempts(self, delivery_id: int) -> list[Attempt]: ...

    def due_webhooks(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """(endpoint, account) of those due, the longest unserved first."""
        ...

    def lease(self, webhook_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Hold the endpoint for one worker until `until`, unless another holds it."""
        ...

    def end_lease(self, webhook_id: int, owner: str, now: datetime) -> None: ...

    def pending_of_type(self, webhook_id: int, type_: str) -> int: ...

    def target(self, webhook_id: int) -> Target | None: ...

    def queue_head(self, webhook_id: int, limit: int) -> list[Outgoing]: ...

    def record_attempt(
        self,
        webhook_id: int,
        delivery_id: int,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        """False, writing nothing, unless it is still this endpoint's pending delivery."""
        ...

    def endpoint_state(
        self,
        webhook_id: int,
        owner: str,
        *,
        failing_since: datetime | None,
        retry_at: datetime | None,
        lease_until: datetime,
    ) -> bool:
        """False when `owner` no longer holds the endpoint."""
        ...

    def failing_since(self, webhook_id: int) -> datetime | None: ...

    def redeliver(self, delivery_id: int, webhook_id: int, now: datetime) -> int | None: ...

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        """One batch of finished deliveries queued before `before` (as the key purge)."""
        ...


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

    @property
    def reservations(self) -> ReservationRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def trunks(self) -> TrunkRepository: ...

    @property
    def webhooks(self) -> WebhookRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

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
