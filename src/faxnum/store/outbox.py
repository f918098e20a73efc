"""The event outbox: one delivery per event and endpoint that hears it (carrying the
event's webhook-id, type and body), and every attempt at sending it. A delivery worker
leases an endpoint, so one worker at a time sends its deliveries, oldest first."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, or_, select, update

from faxnum.domain.dates import as_utc
from faxnum.domain.pagination import PageRequest
from faxnum.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Outgoing,
    Target,
)
from faxnum.store.db.tables import (
    accounts,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
)
from faxnum.store.housekeeping import next_cursor, old_ids
from faxnum.store.pages import count, newest_first
from faxnum.store.webhooks import sealed_secrets

_PENDING = DeliveryStatus.PENDING.value
_DELIVERY_COLUMNS = (
    webhook_deliveries.c.id,
    webhook_deliveries.c.webhook_id,
    webhook_deliveries.c.message_id,
    webhook_deliveries.c.type,
    webhook_deliveries.c.status,
    webhook_deliveries.c.attempts,
    webhook_deliveries.c.created_at,
    webhook_deliveries.c.next_attempt_at,
)

# Written with every event: built once.
_ENQUEUE = insert(webhook_deliveries)


class OutboxQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    # Writing events, in the transaction of the change.

    def keep_order(self, account_id: int) -> None:
        """Events of one account tree are numbered in commit order: on PostgreSQL the
        tree's main account row is locked before the event takes its id, so the next
        event of the tree waits for this transaction to end. (An SQLite writer holds
        the whole database.)"""
        if self._db.dialect.name != "postgresql":
            return
        main = select(func.coalesce(accounts.c.parent_id, accounts.c.id)).where(
            accounts.c.id == account_id
        )
        self._db.execute(
            select(accounts.c.id)
            .where(accounts.c.id == main.scalar_subquery())
            .with_for_update(key_share=True)
        )

    def enqueue(
        self, webhook_ids: Sequence[int], message_id: str, type_: str, body: str, now: datetime
    ) -> None:
        """The event, once for each endpoint."""
        rows = [
            {
                "webhook_id": webhook_id,
                "message_id": message_id,
                "type": type_,
                "body": body,
                "status": _PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for webhook_id in webhook_ids
        ]
        self._db.execute(_ENQUEUE, rows[0] if len(rows) == 1 else rows)

    # The delivery log.

    def deliveries_page(self, webhook_id: int, wanted: PageRequest) -> tuple[list[Delivery], int]:
        """Newest first, each with its last attempt."""
        mine = webhook_deliveries.c.webhook_id == webhook_id
        rows = self._db.execute(
            newest_first(select(*_DELIVERY_COLUMNS).where(mine), webhook_deliveries.c.id, wanted)
        ).all()
        last = self._last_attempts([row.id for row in rows])
        total = count(self._db, webhook_deliveries, mine)
        return [_delivery(row, last.get(row.id)) for row in rows], total

    def delivery(self, delivery_id: int, webhook_id: int) -> Delivery | None:
        row = self._db.execute(
            select(*_DELIVERY_COLUMNS).where(
                webhook_deliveries.c.id == delivery_id,
                webhook_deliveries.c.webhook_id == webhook_id,
            )
        ).first()
        if row is None:
            return None
        return _delivery(row, self._last_attempts([delivery_id]).get(delivery_id))

    def attempts(self, delivery_id: int) -> list[Attempt]:
        rows = self._db.execute(
            select(webhook_attempts)
            .where(webhook_attempts.c.delivery_id == delivery_id)
            .order_by(webhook_attempts.c.id)
        )
        return [_attempt(row) for row in rows]

    def _last_attempts(self, delivery_ids: list[int]) -> dict[int, Attempt]:
        if not delivery_ids:
            return {}
        newest = (
            select(func.max(webhook_attempts.c.id))
            .where(webhook_attempts.c.delivery_id.in_(delivery_ids))
            .group_by(webhook_attempts.c.delivery_id)
        )
        rows = self._db.execute(select(webhook_attempts).where(webhook_attempts.c.id.in_(newest)))
        return {row.delivery_id: _attempt(row) for row in rows}

    # The delivery worker.

    def due_webhooks(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """(endpoint, account) of enabled endpoints with a pending delivery whose head
        may be tried now and that no worker holds; the longest unserved first, so busy
        endpoints take turns with the others."""
        pending = exists().where(
            webhook_deliveries.c.webhook_id == webhooks.c.id,
            webhook_deliveries.c.status == _PENDING,
        )
        rows = self._db.execute(
            select(webhooks.c.id, webhooks.c.account_id)
            .where(
                webhooks.c.enabled.is_(True),
                or_(webhooks.c.retry_at.is_(None), webhooks.c.retry_at <= now),
                or_(webhooks.c.lease_until.is_(None), webhooks.c.lease_until <= now),
                pending,
            )
            .order_by(webhooks.c.lease_until.asc().nulls_first(), webhooks.c.id)
            .limit(limit)
        )
        return [(row.id, row.account_id) for row in rows]

    def lease(self, webhook_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Take the endpoint for one worker until `until`, unless another holds it."""
        changed = self._db.execute(
            update(webhooks)
            .where(
                webhooks.c.id == webhook_id,
                or_(
                    webhooks.c.lease_until.is_(None),
                    webhooks.c.lease_until <= now,
                    webhooks.c.lease_owner == owner,
                ),
            )
            .values(lease_owner=owner, lease_until=until)
        )
        return changed.rowcount == 1

    def end_lease(self, webhook_id: int, owner: str, now: datetime) -> None:
        """Free at once; `now` stays as when it was last served (see `due_webhooks`)."""
        self._db.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id, webhooks.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=now)
        )

    def pending_of_type(self, webhook_id: int, type_: str) -> int:
        return int(
            self._db.execute(
                select(func.count())
                .select_from(webhook_deliveries)
                .where(
                    webhook_deliveries.c.webhook_id == webhook_id,
                    webhook_deliveries.c.status == _PENDING,
                    webhook_deliveries.c.type == type_,
                )
            ).scalar_one()
        )

    def target(self, webhook_id: int) -> Target | None:
        row = self._db.execute(
            select(
                webhooks.c.id,
                webhooks.c.account_id,
                webhooks.c.url,
                webhooks.c.enabled,
                webhooks.c.secret_encrypted,
                webhooks.c.previous_secret_encrypted,
                webhooks.c.previous_secret_until,
            ).where(webhooks.c.id == webhook_id)
        ).first()
        if row is None:
            return None
        return Target(row.id, row.account_id, row.url, row.enabled, sealed_secrets(row))

    def queue_head(self, webhook_id: int, limit: int) -> list[Outgoing]:
        """The endpoint's oldest pending deliveries, in the order they were queued."""
        rows = self._db.execute(
            select(
                webhook_deliveries.c.id,
                webhook_deliveries.c.message_id,
                webhook_deliveries.c.body,
                webhook_deliveries.c.attempts,
                webhook_deliveries.c.first_attempt_at,
                webhook_deliveries.c.next_attempt_at,
            )
            .where(
                webhook_deliveries.c.webhook_id == webhook_id,
                webhook_deliveries.c.status == _PENDING,
            )
            .order_by(webhook_deliveries.c.id)
            .limit(limit)
        )
        return [
            Outgoing(
                row.id,
                row.message_id,
                row.body,
                row.attempts,
                row.first_attempt_at and as_utc(row.first_attempt_at),
                as_utc(row.next_attempt_at),
            )
            for row in rows
        ]

    def record_attempt(
        self,
        webhook_id: int,
        delivery_id: int,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        """The delivery moved on (done, failed or retried) and the attempt in its log;
        False, and nothing written, when the delivery is no longer this endpoint's
        pending one (deleted with its endpoint meanwhile)."""
        moved = self._db.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.id == delivery_id,
                webhook_deliveries.c.webhook_id == webhook_id,
                webhook_deliveries.c.status == _PENDING,
            )
            .values(
                status=status.value,
                attempts=attempt.attempt,
                first_attempt_at=func.coalesce(
                    webhook_deliveries.c.first_attempt_at, attempt.started_at
                ),
                next_attempt_at=next_attempt_at,
            )
        )
        if moved.rowcount != 1:
            return False
        self._db.execute(
            insert(webhook_attempts).values(
                delivery_id=delivery_id,
                attempt=attempt.attempt,
                started_at=attempt.started_at,
                status_code=attempt.status_code,
                duration_ms=attempt.duration_ms,
                error=attempt.error,
                response_excerpt=attempt.response_excerpt,
            )
        )
        return True

    def endpoint_state(
        self,
        webhook_id: int,
        owner: str,
        *,
        failing_since: datetime | None,
        retry_at: datetime | None,
        lease_until: datetime,
    ) -> bool:
        """After an attempt: the endpoint's failing history and when its queue may go on,
        and the lease extended. False when this worker no longer holds the endpoint."""
        changed = self._db.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id, webhooks.c.lease_owner == owner)
            .values(failing_since=failing_since, retry_at=retry_at, lease_until=lease_until)
        )
        return changed.rowcount == 1

    def failing_since(self, webhook_id: int) -> datetime | None:
        found = self._db.execute(
            select(webhooks.c.failing_since).where(webhooks.c.id == webhook_id)
        ).scalar()
        return found and as_utc(found)

    def redeliver(self, delivery_id: int, webhook_id: int, now: datetime) -> int | None:
        """The delivery's event queued again for the same endpoint, at the end of its
        queue, under the same webhook-id; None if there is no such finished delivery."""
        row = self._db.execute(
            select(
                webhook_deliveries.c.message_id,
                webhook_deliveries.c.type,
                webhook_deliveries.c.body,
            ).where(
                webhook_deliveries.c.id == delivery_id,
                webhook_deliveries.c.webhook_id == webhook_id,
                webhook_deliveries.c.status != _PENDING,
            )
        ).first()
        if row is None:
            return None
        return int(
            self._db.execute(
                insert(webhook_deliveries)
                .values(
                    webhook_id=webhook_id,
                    message_id=row.message_id,
                    type=row.type,
                    body=row.body,
                    status=_PENDING,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
                .returning(webhook_deliveries.c.id)
            ).scalar_one()
        )

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        """Finished deliveries queued before `before`, with their attempts: one batch."""
        finished = webhook_deliveries.c.status != _PENDING
        ids = old_ids(self._db, webhook_deliveries, before, after_id, limit, finished)
        if ids:
            self._db.execute(
                delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids))
            )
            self._db.execute(delete(webhook_deliveries).where(webhook_deliveries.c.id.in_(ids)))
        return len(ids), next_cursor(ids, limit)


def _delivery(row: Any, last: Attempt | None) -> Delivery:
    return Delivery(
        row.id,
        row.webhook_id,
        row.message_id,
        row.type,
        DeliveryStatus(row.status),
        row.attempts,
        as_utc(row.created_at),
        row.next_attempt_at and as_utc(row.next_attempt_at),
        last,
    )


def _attempt(row: Any) -> Attempt:
    return Attempt(
        row.attempt,
        as_utc(row.started_at),
        row.status_code,
        row.duration_ms,
        row.error,
        row.response_excerpt,
    )
