"""Webhooks: endpoints and the outbox of events for them.
What the use cases need from storage for it."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from faxnum.domain.pagination import PageRequest
from faxnum.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EventType,
    Listener,
    Outgoing,
    SealedSecrets,
    Target,
    Webhook,
    WebhookChanges,
)


class WebhookRepository(Protocol):
    def add_webhook(
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
