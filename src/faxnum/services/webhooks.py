"""Webhook endpoints: registered, changed, rotated, tested, and their delivery log.

The URL's safety (scheme, and addresses it resolves to) is checked at the edge before
these run, and again by the delivery worker before every attempt.
"""

from datetime import datetime
from decimal import Decimal

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, NotFound, existing
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.webhooks import (
    MAX_WEBHOOKS,
    PREVIOUS_SECRET_VALID,
    Attempt,
    Delivery,
    DeliveryStatus,
    EventType,
    NotificationSettings,
    Webhook,
    WebhookChanges,
)
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.webhook_signing import new_secret
from faxnum.services.events import queue
from faxnum.services.unit_of_work import UnitOfWork


def webhooks_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[Webhook]:
    return Page.of(uow.webhooks.page_for(caller.account_id, wanted), wanted)


def webhook(uow: UnitOfWork, caller: Caller, webhook_id: int) -> Webhook:
    return existing(uow.webhooks.get(webhook_id, caller.account_id), f"Webhook {webhook_id}")


def add_webhook(
    uow: UnitOfWork,
    caller: Caller,
    url: str,
    events: tuple[EventType, ...] | None,
    cipher: KeyCipher,
    now: datetime,
) -> tuple[Webhook, str]:
    """The new endpoint and its signing secret, which is shown this once."""
    if uow.webhooks.count_held(caller.account_id) >= MAX_WEBHOOKS:
        raise Conflict(f"An account has at most {MAX_WEBHOOKS} webhooks; delete one first.")
    secret = new_secret()
    webhook_id = uow.webhooks.add_webhook(
        caller.account_id, url, events, cipher.encrypt(secret), now
    )
    created = webhook(uow, caller, webhook_id)
    uow.commit()
    return created, secret


def change_webhook(
    uow: UnitOfWork, caller: Caller, webhook_id: int, changes: WebhookChanges
) -> Webhook:
    """Enabling again starts afresh: what was held back is tried at once."""
    webhook(uow, caller, webhook_id)
    uow.webhooks.change(webhook_id, changes)
    changed = webhook(uow, caller, webhook_id)
    uow.commit()
    return changed


def delete_webhook(uow: UnitOfWork, caller: Caller, webhook_id: int) -> Webhook:
    """With its delivery log; what it had not received yet is dropped with it."""
    current = webhook(uow, caller, webhook_id)
    if not uow.webhooks.delete(webhook_id):
        raise NotFound(f"Webhook {webhook_id} not found.")
    uow.commit()
    return current


def rotate_secret(
    uow: UnitOfWork, caller: Caller, webhook_id: int, cipher: KeyCipher, now: datetime
) -> tuple[Webhook, str]:
    """A new secret signs from now on; the old one still signs for 24 hours, so the
    receiver can switch without losing a message."""
    current = webhook(uow, caller, webhook_id)
    secret = new_secret()
    if not uow.webhooks.rotate(webhook_id, cipher.encrypt(secret), now + PREVIOUS_SECRET_VALID):
        raise NotFound(f"Webhook {webhook_id} not found.")
    uow.commit()
    return current, secret


def send_test(uow: UnitOfWork, caller: Caller, webhook_id: int, now: datetime) -> Delivery:
    """A `webhook.test` event for this endpoint only, queued behind what it has pending."""
    target = webhook(uow, caller, webhook_id)
    if not target.enabled:
        raise Conflict(f"Webhook {webhook_id} is disabled; enable it first.")
    if uow.outbox.pending_of_type(webhook_id, EventType.WEBHOOK_TEST.value):
        raise Conflict(f"A test event is already queued for webhook {webhook_id}.")
    data = {"webhook_id": webhook_id, "url": target.url}
    message_id = queue(uow, caller.account_id, EventType.WEBHOOK_TEST, data, now, [webhook_id])
    page, _ = uow.outbox.deliveries_page(webhook_id, PageRequest(1, 1))
    uow.commit()
    assert page and page[0].message_id == message_id, "the newest delivery is the one queued"
    return page[0]


def deliveries_page(
    uow: UnitOfWork, caller: Caller, webhook_id: int, wanted: PageRequest
) -> Page[Delivery]:
    webhook(uow, caller, webhook_id)
    return Page.of(uow.outbox.deliveries_page(webhook_id, wanted), wanted)


def delivery(
    uow: UnitOfWork, caller: Caller, webhook_id: int, delivery_id: int
) -> tuple[Delivery, list[Attempt]]:
    webhook(uow, caller, webhook_id)
    found = uow.outbox.delivery(delivery_id, webhook_id)
    if found is None:
        raise NotFound(f"Delivery {delivery_id} of webhook {webhook_id} not found.")
    return found, uow.outbox.attempts(delivery_id)


def redeliver(
    uow: UnitOfWork, caller: Caller, webhook_id: int, delivery_id: int, now: datetime
) -> Delivery:
    """The same event again, under the same webhook-id, at the end of the queue."""
    found, _ = delivery(uow, caller, webhook_id, delivery_id)
    if found.status is DeliveryStatus.PENDING:
        raise Conflict(f"Delivery {delivery_id} is still pending; it will be sent anyway.")
    new_id = uow.outbox.redeliver(delivery_id, webhook_id, now)
    if new_id is None:
        raise Conflict(f"Delivery {delivery_id} is still pending; it will be sent anyway.")
    queued = uow.outbox.delivery(new_id, webhook_id)
    assert queued is not None, "just queued"
    uow.commit()
    return queued


def notification_settings(uow: UnitOfWork, caller: Caller) -> NotificationSettings:
    return uow.accounts.notification_settings(caller.account_id)


def change_notification_settings(
    uow: UnitOfWork, caller: Caller, expiring_days: int | None, low_balance: Decimal | None
) -> NotificationSettings:
    """What is not given stays as it is."""
    current = uow.accounts.notification_settings(caller.account_id)
    changed = NotificationSettings(
        current.expiring_days if expiring_days is None else expiring_days,
        current.low_balance if low_balance is None else low_balance,
    )
    uow.accounts.set_notification_settings(caller.account_id, changed)
    uow.commit()
    return changed
