"""Events: written to the outbox in the transaction of the change that causes them, so a
rolled-back change emits nothing and a committed one is never lost.

An event is kept only for the endpoints that hear it when it happens (the account's
own and its parent's). Its body is final at that moment: the delivery worker signs
and sends these bytes, the same on every retry.
"""

import json
import re
import secrets
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from faxnum.domain.dates import rfc3339
from faxnum.domain.money import CENT
from faxnum.domain.numbers import DueNumber, NumberListing, ProvisionedNumber
from faxnum.domain.orders import Order
from faxnum.domain.reservations import Reservation
from faxnum.domain.webhooks import EventType
from faxnum.services.unit_of_work import UnitOfWork

_MONEY_MARK = f"money-{secrets.token_hex(12)}:"
_MARKED = re.compile(rf'"{re.escape(_MONEY_MARK)}(-?[0-9]+\.[0-9]{{2}})"')


def emit(
    uow: UnitOfWork,
    account_id: int,
    event: EventType,
    data: dict[str, Any],
    now: datetime,
    hearing: list[int] | None = None,
) -> None:
    """Queue `event` about `account_id` for every endpoint that hears it (the caller
    commits); `hearing`, if the caller looked them up already (`listening`). Events
    of one account tree are numbered in commit order."""
    if hearing is None:
        hearing = listening(uow, account_id, event)
    if hearing:
        queue(uow, account_id, event, data, now, hearing)


def listening(uow: UnitOfWork, account_id: int, event: EventType) -> list[int]:
    """The endpoints that hear `event` about `account_id`: a read, which a use case may
    do before it locks anything."""
    return [hook.webhook_id for hook in uow.webhooks.subscribers(account_id) if hook.hears(event)]


def queue(
    uow: UnitOfWork,
    account_id: int,
    event: EventType,
    data: dict[str, Any],
    now: datetime,
    webhook_ids: list[int],
) -> str:
    """The event, for exactly these endpoints; its webhook-id."""
    uow.outbox.keep_order(account_id)
    message_id = new_message_id()
    uow.outbox.enqueue(webhook_ids, message_id, event.value, body(event, now, data), now)
    return message_id


def new_message_id() -> str:
    """The `webhook-id`: random, so ids never repeat across stores or restores."""
    return "msg_" + secrets.token_urlsafe(18)


def body(event: EventType, now: datetime, data: dict[str, Any]) -> str:
    """`{"type", "timestamp", "data"}`; money as two-decimal JSON numbers, as the API
    writes it."""
    document = {"type": event.value, "timestamp": rfc3339(now), "data": data}
    text = json.dumps(document, default=_json_value, separators=(",", ":"), ensure_ascii=False)
    return _MARKED.sub(r"\1", text) if _MONEY_MARK in text else text


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{_MONEY_MARK}{value.quantize(CENT, ROUND_HALF_UP):.2f}"
    if isinstance(value, datetime):
        return rfc3339(value, "seconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


# Payloads: the same field names as the API's answers for the same things.


def provisioned_data(number: ProvisionedNumber, account_id: int) -> dict[str, Any]:
    """The seed endpoint's `data`, and who holds the number."""
    group = number.group
    return {
        "id": number.id,
        "didid": number.did.id,
        "did_id": number.did.id,
        "did_group_id": group.id,
        "country_code": group.country_code,
        "city_name": group.city_name,
        "area_code": group.area_code,
        "number": number.did.number,
        "type": group.type,
        "trunk_id": number.trunk_id,
        "account_id": account_id,
    }


def number_data(number: NumberListing) -> dict[str, Any]:
    """`GET /numbers/{id}`'s `data`, and who holds the number."""
    return {
        "id": number.id,
        "order_reference": number.order_reference,
        "country_code": number.country_code,
        "country": number.country,
        "city_name": number.city_name,
        "area_code": number.area_code,
        "did_group_id": number.did_group_id,
        "did_number": number.did_number,
        "expiration_date": number.expiration_date,
        "status": number.status,
        "trunk_id": number.trunk_id,
        "account_id": number.account_id,
    }


def due_number_data(number: DueNumber, expiration_date: date, status: str) -> dict[str, Any]:
    """A number as the billing run sees it: paid until `expiration_date`."""
    return {
        "id": number.id,
        "did_id": number.did_id,
        "did_number": number.did_number,
        "expiration_date": expiration_date,
        "status": status,
        "monthly_price": number.monthly_price,
        "account_id": number.account_id,
    }


def order_data(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "created_at": order.created_at,
        "numbers": [provisioned_data(number, order.account_id) for number in order.numbers],
        "total_charged": order.total_charged,
        "account_id": order.account_id,
    }


def reservation_data(reservation: Reservation, status: str) -> dict[str, Any]:
    return {
        "id": reservation.id,
        "numbers": list(reservation.numbers),
        "created_at": reservation.created_at,
        "expires_at": reservation.expires_at,
        "status": status,
        "account_id": reservation.account_id,
    }
