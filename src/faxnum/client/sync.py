"""`Client`: the faxnum API from synchronous Python.

with Client() as faxnum:                 # FAXNUM_URL / FAXNUM_API_KEY, or `faxnum login`
    group = faxnum.did_groups("USA", area_code="212")[0]
    number = faxnum.provision(group.did_group_id)
    for held in faxnum.iter_numbers():
        print(held.did_number)
"""

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import ValidationError as PydanticError
from tenacity import Retrying

from faxnum import __version__
from faxnum.client import calls
from faxnum.client.calls import Call, new_idempotency_key
from faxnum.client.config import resolve
from faxnum.client.errors import ProtocolError, error_for
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
    ProvisionedNumber,
    Reservation,
    State,
    Subuser,
    Trunk,
    Webhook,
)
from faxnum.client.retry import DEFAULT_RETRIES, connection_error, policy

T = TypeVar("T")
API_PATH = "/api/v2"
DEFAULT_TIMEOUT_S = 30.0


def http_settings(api_key: str | None, base_url: str | None, timeout: float) -> dict[str, Any]:
    """What both clients give httpx: the key as a header (never in a URL)."""
    config = resolve(api_key, base_url)
    headers = {"user-agent": f"faxnum-python/{__version__}"}
    if config.api_key:
        headers["x-api-key"] = config.api_key
    return {"base_url": config.base_url + API_PATH, "headers": headers, "timeout": timeout}


def file_url(http_base: httpx.URL, path: str) -> str:
    """A path outside /api/v2 on the same server (the fax file links live there)."""
    return str(http_base).rstrip("/").removesuffix(API_PATH) + path


def part_file(path: Path) -> Path:
    """Where a download is written until it is whole, beside its final name."""
    return path.with_name(f".{path.name}.part")


def read_answer(call: Call[T], response: httpx.Response) -> T:
    if not response.is_success:
        raise error_for(response, call.conflict)
    try:
        return call.read(json.loads(response.text, parse_float=Decimal))
    except (ValueError, KeyError, TypeError, PydanticError) as unreadable:
        raise ProtocolError(
            f"{call.method} {call.path} answered {response.status_code} with a body this "
            f"SDK cannot read ({type(unreadable).__name__}); is {response.url.host} a "
            "faxnum server?"
        ) from unreadable


class Client:
    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_RETRIES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(**http_settings(api_key, base_url, timeout), transport=transport)
        self._retries = max_retries

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, call: Call[T]) -> T:
        """Send one call, retried as its kind allows (see `faxnum.client.retry`)."""
        for attempt in Retrying(**policy(call, self._retries)):
            with attempt:
                return self._send(call)
        raise AssertionError("tenacity re-raises the last error")

    def _send(self, call: Call[T]) -> T:
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.json, headers=call.headers
            )
        except httpx.TransportError as error:
            raise connection_error(error) from error
        return read_answer(call, response)

    def _walk(self, first: Call[Page[T]], page_of: Any) -> Iterator[T]:
        page = self.call(first)
        while True:
            yield from page.items
            if not page.has_next:
                return
            page = self.call(page_of(page.pagination.current_page + 1))

    # The catalogue.

    def countries(self) -> list[Country]:
        return self.call(calls.countries())

    def states(self, country_code: str) -> list[State]:
        return self.call(calls.states(country_code))

    def area_codes(self, country_code: str, state_id: int) -> list[AreaCode]:
        return self.call(calls.area_codes(country_code, state_id))

    def did_groups(self, country_code: str, **filters: Any) -> list[DidGroup]:
        """`filters`: area_code, state_id, city_name_pattern, did_group_ids."""
        return self.call(calls.did_groups(country_code, **filters))

    def available_numbers(
        self, country: str, *, page: int = 1, limit: int | None = None, **filters: Any
    ) -> Page[AvailableNumber]:
        """`filters`: state_id, area_code, city_name_pattern, did_group_id, type,
        contains, starts_with, ends_with (digits, keypad letters, `*`)."""
        return self.call(calls.available_numbers(country, page=page, limit=limit, **filters))

    # Provisioning and the caller's numbers.

    def provision(self, group_id: int, *, idempotency_key: str | None = None) -> ProvisionedNumber:
        """One key per call, reused by every retry: a retry never buys twice."""
        return self.call(calls.provision(group_id, idempotency_key or new_idempotency_key()))

    def numbers(self, *, page: int = 1, limit: int | None = None) -> Page[Number]:
        return self.call(calls.numbers(page, limit))

    def iter_numbers(self, *, limit: int = 100) -> Iterator[Number]:
        """Every number, page after page, fetched as the iteration reaches it."""
        return self._walk(calls.numbers(1, limit), lambda page: calls.numbers(page, limit))

    def number(self, number_id: int) -> Number:
        return self.call(calls.number(number_id))

    def route_number(self, number_id: int, trunk_id: int) -> Number:
        return self.call(calls.route_number(number_id, trunk_id))

    def release_number(self, number_id: int) -> Number:
        return self.call(calls.release_number(number_id))

    # Money and accounts.

    def balance(self) -> Decimal:
        return self.call(calls.balance())

    def ledger(self, *, page: int = 1, limit: int | None = None) -> Page[LedgerEntry]:
        return self.call(calls.ledger(page, limit))

    def iter_ledger(self, *, limit: int = 100) -> Iterator[LedgerEntry]:
        return self._walk(calls.ledger(1, limit), lambda page: calls.ledger(page, limit))

    def register(self, email: str, password: str) -> str:
        """A new account; its API key."""
        return self.call(calls.register(email, password))

    def log_in(self, email: str, password: str) -> str:
        """The account's API key."""
        return self.call(calls.log_in(email, password))

    def rotate_key(self) -> str:
        """A new key for this account; the one this client holds stops working."""
        return self.call(calls.rotate_key())

    def create_subuser(self, email: str, password: str | None = None) -> str:
        """A new sub-account; its API key."""
        return self.call(calls.create_subuser(email, password))

    def subusers(self, *, page: int = 1, limit: int | None = None) -> Page[Subuser]:
        return self.call(calls.subusers(page, limit))

    def set_subuser_enabled(self, subuser_id: int, enabled: bool) -> Subuser:
        return self.call(calls.set_subuser_enabled(subuser_id, enabled))

    def rotate_subuser_key(self, subuser_id: int) -> str:
        return self.call(calls.rotate_subuser_key(subuser_id))

    # Holding and ordering.

    def reserve(self, **wanted: Any) -> Reservation:
        """`numbers=[...]`, or `did_group_id=` and `quantity=`; `ttl_seconds=`."""
        return self.call(calls.reserve(**wanted))

    def reservations(self, *, page: int = 1, limit: int | None = None) -> Page[Reservation]:
        return self.call(calls.reservations(page, limit))

    def reservation(self, reservation_id: int) -> Reservation:
        return self.call(calls.reservation(reservation_id))

    def cancel_reservation(self, reservation_id: int) -> Reservation:
        return self.call(calls.cancel_reservation(reservation_id))

    def order(self, *, idempotency_key: str | None = None, **wanted: Any) -> Order:
        """`numbers=[...]`, `did_group_id=` and `quantity=`, or `reservation_id=`.
        One key per call, reused by every retry."""
        key = idempotency_key or new_idempotency_key()
        return self.call(calls.order(key, **wanted))

    def orders(self, *, page: int = 1, limit: int | None = None) -> Page[Order]:
        return self.call(calls.orders(page, limit))

    def get_order(self, order_id: int) -> Order:
        return self.call(calls.get_order(order_id))

    # Trunks.

    def trunks(self, *, page: int = 1, limit: int | None = None) -> Page[Trunk]:
        return self.call(calls.trunks(page, limit))

    def trunk(self, trunk_id: int) -> Trunk:
        return self.call(calls.trunk(trunk_id))

    def create_trunk(
        self, name: str, uri: str, *, t38: bool = True, is_default: bool = False
    ) -> Trunk:
        return self.call(calls.create_trunk(name, uri, t38=t38, is_default=is_default))

    def change_trunk(self, trunk_id: int, **changes: Any) -> Trunk:
        return self.call(calls.change_trunk(trunk_id, **changes))

    def delete_trunk(self, trunk_id: int) -> Trunk:
        return self.call(calls.delete_trunk(trunk_id))

    # Webhooks.

    def webhooks(self, *, page: int = 1, limit: int | None = None) -> Page[Webhook]:
        return self.call(calls.webhooks(page, limit))

    def webhook(self, webhook_id: int) -> Webhook:
        return self.call(calls.webhook(webhook_id))

    def create_webhook(self, url: str, events: list[str] | None = None) -> Webhook:
        """Its `secret` is in this answer only: keep it to verify deliveries."""
        return self.call(calls.create_webhook(url, events))

    def change_webhook(self, webhook_id: int, **changes: Any) -> Webhook:
        return self.call(calls.change_webhook(webhook_id, **changes))

    def delete_webhook(self, webhook_id: int) -> Webhook:
        return self.call(calls.delete_webhook(webhook_id))

    def rotate_webhook_secret(self, webhook_id: int) -> Webhook:
        return self.call(calls.rotate_webhook_secret(webhook_id))

    def test_webhook(self, webhook_id: int) -> Delivery:
        return self.call(calls.test_webhook(webhook_id))

    def deliveries(
        self, webhook_id: int, *, page: int = 1, limit: int | None = None
    ) -> Page[Delivery]:
        return self.call(calls.deliveries(webhook_id, page, limit))

    def delivery(self, webhook_id: int, delivery_id: int) -> Delivery:
        return self.call(calls.delivery(webhook_id, delivery_id))

    def redeliver(self, webhook_id: int, delivery_id: int) -> Delivery:
        return self.call(calls.redeliver(webhook_id, delivery_id))

    # Received faxes.

    def incoming_faxes(
        self, *, number: str | None = None, page: int = 1, limit: int | None = None
    ) -> Page[IncomingFax]:
        """Newest first; `number`: only the faxes received on it."""
        return self.call(calls.incoming_faxes(page, limit, number))

    def iter_incoming_faxes(
        self, *, number: str | None = None, limit: int = 100
    ) -> Iterator[IncomingFax]:
        return self._walk(
            calls.incoming_faxes(1, limit, number),
            lambda page: calls.incoming_faxes(page, limit, number),
        )

    def fax(self, fax_id: int) -> IncomingFax:
        """One fax, with what the gateway reported of the call (`call`)."""
        return self.call(calls.fax(fax_id))

    def download_fax(self, fax_id: int, path: str | os.PathLike[str]) -> Path:
        """The fax as a PDF, written to `path` a chunk at a time; the file appears
        only once whole."""
        target, url = Path(path), file_url(self._http.base_url, calls.fax_file_path(fax_id))
        try:
            with self._http.stream("GET", url) as response:
                if not response.is_success:
                    response.read()
                    raise error_for(response)
                with part_file(target).open("wb") as out:
                    for block in response.iter_bytes():
                        out.write(block)
        except httpx.TransportError as error:
            part_file(target).unlink(missing_ok=True)
            raise connection_error(error) from error
        part_file(target).replace(target)
        return target

    def delete_fax(self, fax_id: int) -> IncomingFax:
        return self.call(calls.delete_fax(fax_id))

    def notification_settings(self) -> NotificationSettings:
        return self.call(calls.notification_settings())

    def change_notification_settings(
        self, *, expiring_days: int | None = None, low_balance_threshold: Decimal | None = None
    ) -> NotificationSettings:
        return self.call(calls.change_notification_settings(expiring_days, low_balance_threshold))
