"""Every endpoint once, as a `Call`: what to send and how to read the answer. The sync
and async clients only execute calls, so the two can never drift apart."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from faxnum.client.errors import ConflictError, ExhaustedError
from faxnum.client.models import (
    AreaCode,
    AvailableNumber,
    Country,
    Delivery,
    DidGroup,
    IncomingFax,
    LedgerEntry,
    NotificationSettings,
    Number,
    Order,
    Page,
    Pagination,
    ProvisionedNumber,
    Reservation,
    State,
    Subuser,
    Trunk,
    Webhook,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Body = Mapping[str, Any]


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[dict[str, Any]], T]
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Body | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Whether sending it twice is harmless, so a dropped connection may be retried:
    # reads, changes that end the same, and creations under an idempotency key.
    repeatable: bool = True
    conflict: type[ConflictError] = ConflictError  # what a 409 means here


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _id(value: int) -> int:
    """Ids go into paths: only a positive whole number may (never "1/../numbers/1")."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an id is an int, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"an id is a positive whole number, not {value}")
    return value


def _segment(text: str) -> str:
    """Text that goes into a path, as one segment whatever it holds."""
    return quote(str(text), safe="")


def _one(model: type[M], key: str = "data") -> Callable[[dict[str, Any]], M]:
    return lambda body: model.model_validate(body[key])


def _many(model: type[M], key: str = "data") -> Callable[[dict[str, Any]], list[M]]:
    adapter: TypeAdapter[list[M]] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return lambda body: adapter.validate_python(body[key])


def _page(model: type[M], key: str = "data") -> Callable[[dict[str, Any]], Page[M]]:
    items = _many(model, key)
    return lambda body: Page[model](  # type: ignore[valid-type]
        items=items(body), pagination=Pagination.model_validate(body["meta"]["pagination"])
    )


def _paging(page: int, limit: int | None) -> dict[str, Any]:
    return {"page": page} | ({} if limit is None else {"limit": limit})


def _given(**values: Any) -> dict[str, Any]:
    """The parameters that were given (None: left out)."""
    return {name: value for name, value in values.items() if value is not None}


# The catalogue.


def countries() -> Call[list[Country]]:
    return Call("GET", "/countries", _many(Country))


def states(country_code: str) -> Call[list[State]]:
    return Call("GET", f"/states/{_segment(country_code)}", _many(State, "states"))


def area_codes(country_code: str, state_id: int) -> Call[list[AreaCode]]:
    return Call(
        "GET", f"/areacodes/{_segment(country_code)}/{_id(state_id)}", _many(AreaCode, "areacodes")
    )


def did_groups(
    country_code: str,
    *,
    area_code: str | None = None,
    state_id: int | None = None,
    city_name_pattern: str | None = None,
    did_group_ids: list[int] | None = None,
) -> Call[list[DidGroup]]:
    params = _given(
        areaCode=area_code,
        stateId=state_id,
        cityNamePattern=city_name_pattern,
        didGroupIds=None if did_group_ids is None else ",".join(map(str, did_group_ids)),
    )
    return Call("GET", f"/countries/{_segment(country_code)}/didgroups", _many(DidGroup), params)


def available_numbers(
    country: str,
    *,
    page: int = 1,
    limit: int | None = None,
    **filters: str | int | None,
) -> Call[Page[AvailableNumber]]:
    """`filters`: state_id, area_code, city_name_pattern, did_group_id, type, contains,
    starts_with, ends_with."""
    wire = {
        "state_id": "stateId",
        "area_code": "areaCode",
        "city_name_pattern": "cityNamePattern",
        "did_group_id": "didGroupId",
        "type": "type",
        "contains": "contains",
        "starts_with": "startsWith",
        "ends_with": "endsWith",
    }
    unknown = set(filters) - set(wire)
    if unknown:
        raise TypeError(f"unknown filter: {', '.join(sorted(unknown))}")
    params = {"country": country} | _given(**{wire[k]: v for k, v in filters.items()})
    return Call("GET", "/available-numbers", _page(AvailableNumber), params | _paging(page, limit))


# Provisioning and the caller's numbers.


def provision(group_id: int, idempotency_key: str) -> Call[ProvisionedNumber]:
    return Call(
        "POST",
        f"/countries/didgroups/{_id(group_id)}/provision",
        _one(ProvisionedNumber),
        headers={"Idempotency-Key": idempotency_key},
        conflict=ExhaustedError,
    )


def numbers(page: int = 1, limit: int | None = None) -> Call[Page[Number]]:
    """With each number's trunk (`include=trunk_id`: v2's list does not name it)."""
    params = {"include": "trunk_id"} | _paging(page, limit)
    return Call("GET", "/numbers", _page(Number, "numbers"), params)


def number(number_id: int) -> Call[Number]:
    return Call("GET", f"/numbers/{_id(number_id)}", _one(Number))


def route_number(number_id: int, trunk_id: int) -> Call[Number]:
    return Call("PATCH", f"/numbers/{_id(number_id)}", _one(Number), json={"trunk_id": trunk_id})


def release_number(number_id: int) -> Call[Number]:
    # Sent twice, the second answers 404: a dropped connection is not retried blindly.
    return Call("DELETE", f"/numbers/{_id(number_id)}", _one(Number), repeatable=False)


# Money and accounts.


def balance() -> Call[Decimal]:
    return Call("GET", "/balance", lambda body: Decimal(body["balance"]))


def ledger(page: int = 1, limit: int | None = None) -> Call[Page[LedgerEntry]]:
    return Call("GET", "/ledger", _page(LedgerEntry, "entries"), _paging(page, limit))


def _api_key(body: dict[str, Any]) -> str:
    return str(body["api_key"])


def register(email: str, password: str) -> Call[str]:
    body = {"email": email, "password": password}
    return Call("POST", "/user", _api_key, json=body, repeatable=False)


def log_in(email: str, password: str) -> Call[str]:
    return Call("POST", "/user/login", _api_key, json={"email": email, "password": password})


def rotate_key() -> Call[str]:
    # The old key stops working when this succeeds: a retry could not authenticate.
    return Call("POST", "/keys/rotate", _api_key, repeatable=False)


def create_subuser(email: str, password: str | None = None) -> Call[str]:
    body = _given(email=email, password=password)
    return Call("POST", "/subuser", _api_key, json=body, repeatable=False)


def subusers(page: int = 1, limit: int | None = None) -> Call[Page[Subuser]]:
    return Call("GET", "/subusers", _page(Subuser), _paging(page, limit))


def set_subuser_enabled(subuser_id: int, enabled: bool) -> Call[Subuser]:
    action = "enable" if enabled else "disable"
    return Call("POST", f"/subusers/{_id(subuser_id)}/{action}", _one(Subuser))


def rotate_subuser_key(subuser_id: int) -> Call[str]:
    return Call(
        "POST",
        f"/subusers/{_id(subuser_id)}/keys/rotate",
        lambda body: str(body["data"]["api_key"]),
        repeatable=False,
    )


# Holding and ordering.


def reserve(
    *,
    numbers: list[str] | None = None,
    did_group_id: int | None = None,
    quantity: int | None = None,
    ttl_seconds: int | None = None,
) -> Call[Reservation]:
    body = _given(
        numbers=numbers, did_group_id=did_group_id, quantity=quantity, ttl_seconds=ttl_seconds
    )
    return Call("POST", "/reservations", _one(Reservation), json=body, repeatable=False)


def reservations(page: int = 1, limit: int | None = None) -> Call[Page[Reservation]]:
    return Call("GET", "/reservations", _page(Reservation), _paging(page, limit))


def reservation(reservation_id: int) -> Call[Reservation]:
    return Call("GET", f"/reservations/{_id(reservation_id)}", _one(Reservation))


def cancel_reservation(reservation_id: int) -> Call[Reservation]:
    return Call(
        "DELETE", f"/reservations/{_id(reservation_id)}", _one(Reservation), repeatable=False
    )


def order(
    idempotency_key: str,
    *,
    numbers: list[str] | None = None,
    did_group_id: int | None = None,
    quantity: int | None = None,
    reservation_id: int | None = None,
) -> Call[Order]:
    body = _given(
        numbers=numbers,
        did_group_id=did_group_id,
        quantity=quantity,
        reservation_id=reservation_id,
    )
    return Call(
        "POST", "/orders", _one(Order), json=body, headers={"Idempotency-Key": idempotency_key}
    )


def orders(page: int = 1, limit: int | None = None) -> Call[Page[Order]]:
    return Call("GET", "/orders", _page(Order), _paging(page, limit))


def get_order(order_id: int) -> Call[Order]:
    return Call("GET", f"/orders/{_id(order_id)}", _one(Order))


# Trunks.


def trunks(page: int = 1, limit: int | None = None) -> Call[Page[Trunk]]:
    return Call("GET", "/trunks", _page(Trunk), _paging(page, limit))


def trunk(trunk_id: int) -> Call[Trunk]:
    return Call("GET", f"/trunks/{_id(trunk_id)}", _one(Trunk))


def create_trunk(name: str, uri: str, *, t38: bool = True, is_default: bool = False) -> Call[Trunk]:
    body = {"name": name, "uri": uri, "t38": t38, "is_default": is_default}
    return Call("POST", "/trunks", _one(Trunk), json=body, repeatable=False)


def change_trunk(trunk_id: int, **changes: Any) -> Call[Trunk]:
    """`changes`: name, uri, t38, is_default."""
    return Call("PATCH", f"/trunks/{_id(trunk_id)}", _one(Trunk), json=_given(**changes))


def delete_trunk(trunk_id: int) -> Call[Trunk]:
    return Call("DELETE", f"/trunks/{_id(trunk_id)}", _one(Trunk), repeatable=False)


# Received faxes.

FAX_FILE_PATH = "/receivefax/api/v1/inbox/{fax_id}/file"  # outside /api/v2


def incoming_faxes(
    page: int = 1, limit: int | None = None, number: str | None = None
) -> Call[Page[IncomingFax]]:
    """Newest first; `number` (digits, with or without '+'): only the faxes to it."""
    path = "/incoming-faxes" if number is None else f"/incoming-faxes/{_segment(number)}"
    return Call("GET", path, _page(IncomingFax, "inbox"), _paging(page, limit))


def fax(fax_id: int) -> Call[IncomingFax]:
    return Call("GET", f"/inbox/{_id(fax_id)}", _one(IncomingFax))


def delete_fax(fax_id: int) -> Call[IncomingFax]:
    return Call("DELETE", f"/inbox/{_id(fax_id)}", _one(IncomingFax), repeatable=False)


def fax_file_path(fax_id: int) -> str:
    return FAX_FILE_PATH.format(fax_id=_id(fax_id))


# Webhooks.


def webhooks(page: int = 1, limit: int | None = None) -> Call[Page[Webhook]]:
    return Call("GET", "/webhooks", _page(Webhook), _paging(page, limit))


def webhook(webhook_id: int) -> Call[Webhook]:
    return Call("GET", f"/webhooks/{_id(webhook_id)}", _one(Webhook))


def create_webhook(url: str, events: list[str] | None = None) -> Call[Webhook]:
    body = _given(url=url, events=events)
    return Call("POST", "/webhooks", _one(Webhook), json=body, repeatable=False)


def change_webhook(webhook_id: int, **changes: Any) -> Call[Webhook]:
    """`changes`: url, events (an empty list: every event), enabled."""
    body = {k: v for k, v in changes.items() if v is not None or k == "events"}
    return Call("PATCH", f"/webhooks/{_id(webhook_id)}", _one(Webhook), json=body)


def delete_webhook(webhook_id: int) -> Call[Webhook]:
    return Call("DELETE", f"/webhooks/{_id(webhook_id)}", _one(Webhook), repeatable=False)


def rotate_webhook_secret(webhook_id: int) -> Call[Webhook]:
    path = f"/webhooks/{_id(webhook_id)}/rotate-secret"
    return Call("POST", path, _one(Webhook), repeatable=False)


def test_webhook(webhook_id: int) -> Call[Delivery]:
    return Call("POST", f"/webhooks/{_id(webhook_id)}/test", _one(Delivery), repeatable=False)


def deliveries(webhook_id: int, page: int = 1, limit: int | None = None) -> Call[Page[Delivery]]:
    path = f"/webhooks/{_id(webhook_id)}/deliveries"
    return Call("GET", path, _page(Delivery), _paging(page, limit))


def delivery(webhook_id: int, delivery_id: int) -> Call[Delivery]:
    return Call("GET", f"/webhooks/{_id(webhook_id)}/deliveries/{_id(delivery_id)}", _one(Delivery))


def redeliver(webhook_id: int, delivery_id: int) -> Call[Delivery]:
    path = f"/webhooks/{_id(webhook_id)}/deliveries/{_id(delivery_id)}/redeliver"
    return Call("POST", path, _one(Delivery), repeatable=False)


def notification_settings() -> Call[NotificationSettings]:
    return Call("GET", "/notification-settings", _one(NotificationSettings))


def change_notification_settings(
    expiring_days: int | None = None, low_balance_threshold: Decimal | None = None
) -> Call[NotificationSettings]:
    body = _given(
        expiring_days=expiring_days,
        # JSON has no decimal type; cents survive a float exactly up to 10^9.
        low_balance_threshold=None
        if low_balance_threshold is None
        else float(low_balance_threshold),
    )
    return Call("PATCH", "/notification-settings", _one(NotificationSettings), json=body)
