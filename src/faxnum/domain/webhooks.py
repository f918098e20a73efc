"""Webhooks: endpoints an account registers, the events they hear, and the rules by
which a delivery is retried, given up and an endpoint disabled."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from faxnum.domain.errors import Invalid

MAX_WEBHOOKS = 20
MAX_URL_LENGTH = 2000
RETRY_FOR = timedelta(days=3)  # from a delivery's first attempt; then it is failed
DISABLE_AFTER = timedelta(days=5)  # of failing without one success: the endpoint is off
PREVIOUS_SECRET_VALID = timedelta(hours=24)  # after a rotation, both secrets sign
DELIVERY_LOG_KEPT = timedelta(days=30)  # finished deliveries, then purged
MAX_RETRY_DELAY = timedelta(hours=6)
RETRY_GROWTH = 3
DEFAULT_EXPIRING_DAYS = 7
MAX_EXPIRING_DAYS = 60
DEFAULT_LOW_BALANCE = Decimal("10.00")


class EventType(StrEnum):
    NUMBER_PROVISIONED = "number.provisioned"
    NUMBER_RELEASED = "number.released"
    NUMBER_RENEWED = "number.renewed"
    NUMBER_EXPIRING = "number.expiring"
    NUMBER_EXPIRED = "number.expired"
    RESERVATION_EXPIRED = "reservation.expired"
    ORDER_COMPLETED = "order.completed"
    BALANCE_LOW = "balance.low"
    FAX_RECEIVED = "fax.received"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_TEST = "webhook.test"  # sent on request to one endpoint, never subscribed to


SUBSCRIBABLE = tuple(t for t in EventType if t is not EventType.WEBHOOK_TEST)


def parse_event_types(names: list[str] | None) -> tuple[EventType, ...] | None:
    """None (or nothing listed) subscribes to every event, present and future."""
    if not names:
        return None
    known = {t.value: t for t in SUBSCRIBABLE}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise Invalid.field("events", f"unknown event {unknown[0]!r}; known: {', '.join(known)}")
    return tuple(dict.fromkeys(known[name] for name in names))


@dataclass(frozen=True)
class Webhook:
    id: int
    account_id: int
    url: str
    events: tuple[EventType, ...] | None  # None: all
    enabled: bool
    created_at: datetime
    disabled_reason: str | None = None

    def hears(self, event: EventType) -> bool:
        return self.events is None or event in self.events


@dataclass(frozen=True)
class Listener:
    """An enabled endpoint as an event-causing change sees it: who, and what it hears."""

    webhook_id: int
    events: frozenset[str] | None  # None: all

    def hears(self, event: EventType) -> bool:
        return self.events is None or event.value in self.events


@dataclass(frozen=True)
class WebhookChanges:
    """None: unchanged. `events` as given by the caller, already parsed."""

    url: str | None = None
    events: tuple[EventType, ...] | None = None
    all_events: bool = False  # `events` given as empty or null: every event again
    enabled: bool | None = None


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    """One try at sending a delivery, as the delivery log shows it."""

    attempt: int
    started_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: int
    message_id: str
    type: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last: Attempt | None = None


@dataclass(frozen=True)
class SealedSecrets:
    """An endpoint's signing secrets as stored (sealed by the key cipher)."""

    current: bytes
    previous: bytes | None
    previous_until: datetime | None


@dataclass(frozen=True)
class Target:
    """Where and how a worker sends an endpoint's deliveries."""

    webhook_id: int
    account_id: int
    url: str
    enabled: bool
    secrets: SealedSecrets


@dataclass(frozen=True)
class Outgoing:
    """A pending delivery with the event it carries."""

    delivery_id: int
    message_id: str
    body: str
    attempts: int
    first_attempt_at: datetime | None
    next_attempt_at: datetime


@dataclass(frozen=True)
class NotificationSettings:
    """Per account: how early `number.expiring` warns, under what `balance.low` tells."""

    expiring_days: int = DEFAULT_EXPIRING_DAYS
    low_balance: Decimal = DEFAULT_LOW_BALANCE

    def __post_init__(self) -> None:
        if not 0 <= self.expiring_days <= MAX_EXPIRING_DAYS:
            raise Invalid.field(
                "expiring_days", f"must be a whole number from 0 to {MAX_EXPIRING_DAYS}"
            )
        if self.low_balance < 0:
            raise Invalid.field("low_balance_threshold", "must not be negative")


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_s: float = 10.0  # one attempt, connect to last byte read
    retry_base: timedelta = timedelta(seconds=5)
    poll_s: float = 0.5
    endpoints_at_once: int = 8  # served at the same time by one worker
    per_account: int = 2  # of them, at most this many of one account
    batch: int = 20  # one endpoint's turn: at most this many deliveries...
    turn_s: float = 5.0  # ...and no new one after this long

    @property
    def lease(self) -> timedelta:
        """Longer than any attempt, with room for recording it."""
        return timedelta(seconds=self.timeout_s * 3 + 1)


def retry_delay(
    attempts: int, base: timedelta, jitter: Callable[[], float] = random.random
) -> timedelta:
    """Exponential backoff with equal jitter: after the n-th failed attempt, between
    half and all of base·3^(n-1), at most six hours. Spread out, so endpoints that
    failed together do not all come back at the same moment."""
    growth = float(RETRY_GROWTH) ** min(max(attempts - 1, 0), 64)  # no overflow, ever
    seconds = min(base.total_seconds() * growth, MAX_RETRY_DELAY.total_seconds())
    return timedelta(seconds=seconds / 2 + seconds / 2 * jitter())


def gives_up(first_attempt_at: datetime, next_attempt_at: datetime) -> bool:
    """A delivery is failed once its next try would come after its retry window."""
    return next_attempt_at - first_attempt_at > RETRY_FOR


def disables(failing_since: datetime, now: datetime) -> bool:
    return now - failing_since >= DISABLE_AFTER
