"""Webhook endpoints of an account, and who hears an account's events."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from faxnum.domain.dates import as_utc
from faxnum.domain.pagination import PageRequest
from faxnum.domain.webhooks import EventType, Listener, SealedSecrets, Webhook, WebhookChanges
from faxnum.store.account_lock import hold_account
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.tables import accounts, webhook_attempts, webhook_deliveries, webhooks
from faxnum.store.pages import count, oldest_first

_COLUMNS = (
    webhooks.c.id,
    webhooks.c.account_id,
    webhooks.c.url,
    webhooks.c.events,
    webhooks.c.enabled,
    webhooks.c.created_at,
    webhooks.c.disabled_reason,
)

# Asked with every event-causing change (provisioning among them): built once.
_SUBSCRIBERS = Prepared(
    select(webhooks.c.id, webhooks.c.events).where(
        webhooks.c.enabled.is_(True),
        or_(
            webhooks.c.account_id == bindparam("account_id"),
            webhooks.c.account_id
            == select(accounts.c.parent_id)
            .where(accounts.c.id == bindparam("account_id"))
            .scalar_subquery(),
        ),
    )
)


def heard_by_any(account: Any) -> ColumnElement[bool]:
    """Whether an enabled endpoint of `account` (an `accounts` row in the statement) or
    of its parent exists: whether anyone may hear its events."""
    return (
        select(webhooks.c.id)
        .where(
            webhooks.c.enabled.is_(True),
            webhooks.c.account_id.in_([account.c.id, account.c.parent_id]),
        )
        .exists()
    )


class Unheard:
    """Accounts no endpoint hears, as the transaction read it when it authenticated
    their key (`heard_by_any`): who hears an event about one of them is then known
    without a statement of its own. A new or changed endpoint forgets them."""

    def __init__(self) -> None:
        self._ids: set[int] = set()

    def note(self, account_id: int, heard: bool) -> None:
        if heard:
            self._ids.discard(account_id)
        else:
            self._ids.add(account_id)

    def __contains__(self, account_id: int) -> bool:
        return account_id in self._ids

    def forget(self) -> None:
        self._ids.clear()


class WebhookQueries:
    def __init__(self, connection: Connection, unheard: Unheard | None = None) -> None:
        self._db = connection
        self._unheard = unheard or Unheard()

    def add_webhook(
        self,
        account_id: int,
        url: str,
        events: tuple[EventType, ...] | None,
        sealed_secret: bytes,
        now: datetime,
    ) -> int:
        self._unheard.forget()
        return int(
            self._db.execute(
                insert(webhooks)
                .values(
                    account_id=account_id,
                    url=url,
                    events=_joined(events),
                    enabled=True,
                    secret_encrypted=sealed_secret,
                    created_at=now,
                )
                .returning(webhooks.c.id)
            ).scalar_one()
        )

    def count_held(self, account_id: int) -> int:
        """How many endpoints the account has; on PostgreSQL the account row stays
        locked to the end of the transaction, so concurrent registrations count one
        after another and never pass the limit together."""
        hold_account(self._db, account_id)
        return int(
            self._db.execute(
                select(func.count())
                .select_from(webhooks)
                .where(webhooks.c.account_id == account_id)
            ).scalar_one()
        )

    def get(self, webhook_id: int, account_id: int) -> Webhook | None:
        row = self._db.execute(
            select(*_COLUMNS).where(
                webhooks.c.id == webhook_id, webhooks.c.account_id == account_id
            )
        ).first()
        return None if row is None else _webhook(row)

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[Webhook], int]:
        mine = webhooks.c.account_id == account_id
        rows = self._db.execute(oldest_first(select(*_COLUMNS).where(mine), webhooks.c.id, wanted))
        return [_webhook(row) for row in rows], count(self._db, webhooks, mine)

    def change(self, webhook_id: int, changes: WebhookChanges) -> bool:
        self._unheard.forget()
        values: dict[str, Any] = {}
        if changes.url is not None:
            values["url"] = changes.url
        if changes.events is not None or changes.all_events:
            values["events"] = _joined(changes.events)
        if changes.enabled is True:  # a fresh start: no failing history, nothing held back
            values.update(enabled=True, disabled_reason=None, failing_since=None, retry_at=None)
        elif changes.enabled is False:
            values.update(enabled=False, disabled_reason="Disabled by the account.")
        if not values:
            return True
        changed = self._db.execute(
            update(webhooks).where(webhooks.c.id == webhook_id).values(values)
        )
        return changed.rowcount == 1

    def delete(self, webhook_id: int) -> bool:
        """The endpoint with its delivery log; events stay for the other endpoints."""
        of_hook = select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.webhook_id == webhook_id
        )
        self._db.execute(
            delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(of_hook))
        )
        self._db.execute(
            delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
        )
        return self._db.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount == 1

    def disable(self, webhook_id: int, reason: str) -> bool:
        changed = self._db.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id, webhooks.c.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason, retry_at=None)
        )
        return changed.rowcount == 1

    def subscribers(self, account_id: int) -> list[Listener]:
        """Enabled endpoints of the account and of its parent (which sees, and answers
        for, its sub-accounts' numbers)."""
        if account_id in self._unheard:
            return []
        rows = _SUBSCRIBERS.rows(self._db, {"account_id": account_id})
        return [
            Listener(row.id, None if not row.events else frozenset(row.events.split(",")))
            for row in rows
        ]

    def others_of(self, account_id: int, webhook_id: int) -> list[int]:
        """The account's other enabled endpoints."""
        rows = self._db.execute(
            select(webhooks.c.id).where(
                webhooks.c.account_id == account_id,
                webhooks.c.id != webhook_id,
                webhooks.c.enabled.is_(True),
            )
        )
        return [row.id for row in rows]

    def rotate(self, webhook_id: int, sealed_secret: bytes, previous_until: datetime) -> bool:
        """The new secret signs from now on; the current one also, until `previous_until`."""
        changed = self._db.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id)
            .values(
                previous_secret_encrypted=webhooks.c.secret_encrypted,
                previous_secret_until=previous_until,
                secret_encrypted=sealed_secret,
            )
        )
        return changed.rowcount == 1

    def sealed_after(self, after_id: int, limit: int) -> list[tuple[int, SealedSecrets]]:
        """(endpoint id, its sealed secrets) by id from `after_id` on: to re-seal."""
        rows = self._db.execute(
            select(
                webhooks.c.id,
                webhooks.c.secret_encrypted,
                webhooks.c.previous_secret_encrypted,
                webhooks.c.previous_secret_until,
            )
            .where(webhooks.c.id > after_id)
            .order_by(webhooks.c.id)
            .limit(limit)
        )
        return [(row.id, sealed_secrets(row)) for row in rows]

    def replace_sealed(self, webhook_id: int, current: bytes, previous: bytes | None) -> None:
        self._db.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id)
            .values(secret_encrypted=current, previous_secret_encrypted=previous)
        )


def sealed_secrets(row: Any) -> SealedSecrets:
    """From a row with the endpoint's three secret columns."""
    until = row.previous_secret_until
    return SealedSecrets(
        row.secret_encrypted, row.previous_secret_encrypted, until and as_utc(until)
    )


def _joined(events: tuple[EventType, ...] | None) -> str | None:
    return None if not events else ",".join(event.value for event in events)


def _webhook(row: Any) -> Webhook:
    events = None if not row.events else tuple(EventType(name) for name in row.events.split(","))
    return Webhook(
        row.id,
        row.account_id,
        row.url,
        events,
        row.enabled,
        as_utc(row.created_at),
        row.disabled_reason,
    )
