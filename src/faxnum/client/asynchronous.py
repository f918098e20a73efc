"""`AsyncClient`: the faxnum API from asyncio, method for method as `Client`.

async with AsyncClient() as faxnum:
    number = await faxnum.provision(group_id)
    async for held in faxnum.iter_numbers():
        print(held.did_number)
"""

import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from tenacity import AsyncRetrying

from faxnum.client import calls
from faxnum.client.calls import Call, new_idempotency_key
from faxnum.client.errors import error_for
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
from faxnum.client.sync import (
    DEFAULT_TIMEOUT_S,
    file_url,
    http_settings,
    part_file,
    read_answer,
)

T = TypeVar("T")


class AsyncClient:
    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            **http_settings(api_key, base_url, timeout), transport=transport
        )
        self._retries = max_retries

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, call: Call[T]) -> T:
        """Send one call, retried as its kind allows (see `faxnum.client.retry`)."""
        async for attempt in AsyncRetrying(**policy(call, self._retries)):
            with attempt:
                return await self._send(call)
        raise AssertionError("tenacity re-raises the last error")

    async def _send(self, call: Call[T]) -> T:
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.json, headers=call.headers
            )
        except httpx.TransportError as error:
            raise connection_error(error) from error
        return read_answer(call, response)

    async def _walk(self, first: Call[Page[T]], page_of: Any) -> AsyncIterator[T]:
        page = await self.call(first)
        while True:
            for item in page.items:
                yield item
            if not page.has_next:
                return
            page = await self.call(page_of(page.pagination.current_page + 1))

    # The catalogue.

    async def countries(self) -> list[Country]:
        return await self.call(calls.countries())

    async def states(self, country_code: str) -> list[State]:
        return await self.call(calls.states(country_code))

    async def area_codes(self, country_code: str, state_id: int) -> list[AreaCode]:
        return await self.call(calls.area_codes(country_code, state_id))

    async def did_groups(self, country_code: str, **filters: Any) -> list[DidGroup]:
        """`filters`: area_code, state_id, city_name_pattern, did_group_ids."""
        return await self.call(calls.did_groups(country_code, **filters))

    async def available_numbers(
        self, country: str, *, page: int = 1, limit: int | None = None, **filters: Any
    ) -> Page[AvailableNumber]:
        """`filters`: state_id, area_code, city_name_pattern, did_group_id, type,
        contains, starts_with, ends_with (digits, keypad letters, `*`)."""
        return await self.call(calls.available_numbers(country, page=page, limit=limit, **filters))

    # Provisioning and the caller's numbers.

    async def provision(
        self, group_id: int, *, idempotency_key: str | None = None
    ) -> ProvisionedNumber:
        """One key per call, reused by every retry: a retry never buys twice."""
        return await self.call(calls.provision(group_id, idempotency_key or new_idempotency_key()))

    async def numbers(self, *, page: int = 1, limit: int | None = None) -> Page[Number]:
        return await self.call(calls.numbers(page, limit))

    def iter_numbers(self, *, limit: int = 100) -> AsyncIterator[Number]:
        """Every number, page after page, fetched as the iteration reaches it."""
        return self._walk(calls.numbers(1, limit), lambda page: calls.numbers(page, limit))

    async def number(self, number_id: int) -> Number:
        return await self.call(calls.number(number_id))

    async def route_number(self, number_id: int, trunk_id: int) -> Number:
        return await self.call(calls.route_number(number_id, trunk_id))

    async def release_number(self, number_id: int) -> Number:
        return await self.call(calls.release_number(number_id))

    # Money and accounts.

    async def balance(self) -> Decimal:
        return await self.call(calls.balance())

    async def ledger(self, *, page: int = 1, limit: int | None = None) -> Page[LedgerEntry]:
        return await self.call(calls.ledger(page, limit))

    def iter_ledger(self, *, limit: int = 100) -> AsyncIterator[LedgerEntry]:
        return self._walk(calls.ledger(1, limit), lambda page: calls.ledger(page, limit))

    async def register(self, email: str, password: str) -> str:
        """A new account; its API key."""
        return await self.call(calls.register(email, password))

    async def log_in(self, email: str, password: str) -> str:
        """The account's API key."""
        return await self.call(calls.log_in(email, password))

    async def rotate_key(self) -> str:
        """A new key for this account; the one this client holds stops working."""
        return await self.call(calls.rotate_key())

    async def create_subuser(self, email: str, password: str | None = None) -> str:
        """A new sub-account; its API key."""
        return await self.call(calls.create_subuser(email, password))

    async def subusers(self, *, page: int = 1, limit: int | None = None) -> Page[Subuser]:
        return await self.call(calls.subusers(page, limit))

    async def set_subuser_enabled(self, subuser_id: int, enabled: bool) -> Subuser:
        return await self.call(calls.set_subuser_enabled(subuser_id, enabled))

    async def rotate_subuser_key(self, subuser_id: int) -> str:
        return await self.call(calls.rotate_subuser_key(subuser_id))

    # Holding and ordering.

    async def reserve(self, **wanted: Any) -> Reservation:
        """`numbers=[...]`, or `did_group_id=` and `quantity=`; `ttl_seconds=`."""
        return await self.call(calls.reserve(**wanted))

    async def reservations(self, *, page: int = 1, limit: int | None = None) -> Page[Reservation]:
        return await self.call(calls.reservations(page, limit))

    async def reservation(self, reservation_id: int) -> Reservation:
        return await self.call(calls.reservation(reservation_id))

    async def cancel_reservation(self, reservation_id: int) -> Reservation:
        return await self.call(calls.cancel_reservation(reservation_id))

    async def order(self, *, idempotency_key: str | None = None, **wanted: Any) -> Order:
        """`numbers=[...]`, `did_group_id=` and `quantity=`, or `reservation_id=`.
        One key per call, reused by every retry."""
        key = idempotency_key or new_idempotency_key()
        return await self.call(calls.order(key, **wanted))

    async def orders(self, *, page: int = 1, limit: int | None = None) -> Page[Order]:
        return await self.call(calls.orders(page, limit))

    async def get_order(self, order_id: int) -> Order:
        return await self.call(calls.get_order(order_id))

    # Trunks.

    async def trunks(self, *, page: int = 1, limit: int | None = None) -> Page[Trunk]:
        return await self.call(calls.trunks(page, limit))

    async def trunk(self, trunk_id: int) -> Trunk:
        return await self.call(calls.trunk(trunk_id))

    async def create_trunk(
        self, name: str, uri: str, *, t38: bool = True, is_default: bool = False
    ) -> Trunk:
        return await self.call(calls.create_trunk(name, uri, t38=t38, is_default=is_default))

    async def change_trunk(self, trunk_id: int, **changes: Any) -> Trunk:
        return await self.call(calls.change_trunk(trunk_id, **changes))

    async def delete_trunk(self, trunk_id: int) -> Trunk:
        return await self.call(calls.delete_trunk(trunk_id))

    # Webhooks.

    async def webhooks(self, *, page: int = 1, limit: int | None = None) -> Page[Webhook]:
        return await self.call(calls.webhooks(page, limit))

    async def webhook(self, webhook_id: int) -> Webhook:
        return await self.call(calls.webhook(webhook_id))

    async def create_webhook(self, url: str, events: list[str] | None = None) -> Webhook:
        """Its `secret` is in this answer only: keep it to verify deliveries."""
        return await self.call(calls.create_webhook(url, events))

    async def change_webhook(self, webhook_id: int, **changes: Any) -> Webhook:
        return await self.call(calls.change_webhook(webhook_id, **changes))

    async def delete_webhook(self, webhook_id: int) -> Webhook:
        return await self.call(calls.delete_webhook(webhook_id))

    async def rotate_webhook_secret(self, webhook_id: int) -> Webhook:
        return await self.call(calls.rotate_webhook_secret(webhook_id))

    async def test_webhook(self, webhook_id: int) -> Delivery:
        return await self.call(calls.test_webhook(webhook_id))

    async def deliveries(
        self, webhook_id: int, *, page: int = 1, limit: int | None = None
    ) -> Page[Delivery]:
        return await self.call(calls.deliveries(webhook_id, page, limit))

    async def delivery(self, webhook_id: int, delivery_id: int) -> Delivery:
        return await self.call(calls.delivery(webhook_id, delivery_id))

    async def redeliver(self, webhook_id: int, delivery_id: int) -> Delivery:
        return await self.call(calls.redeliver(webhook_id, delivery_id))

    # Received faxes.

    async def incoming_faxes(
        self, *, number: str | None = None, page: int = 1, limit: int | None = None
    ) -> Page[IncomingFax]:
        return await self.call(calls.incoming_faxes(page, limit, number))

    def iter_incoming_faxes(
        self, *, number: str | None = None, limit: int = 100
    ) -> AsyncIterator[IncomingFax]:
        return self._walk(
            calls.incoming_faxes(1, limit, number),
            lambda page: calls.incoming_faxes(page, limit, number),
        )

    async def fax(self, fax_id: int) -> IncomingFax:
        return await self.call(calls.fax(fax_id))

    async def download_fax(self, fax_id: int, path: str | os.PathLike[str]) -> Path:
        target, url = Path(path), file_url(self._http.base_url, calls.fax_file_path(fax_id))
        try:
            async with self._http.stream("GET", url) as response:
                if not response.is_success:
                    await response.aread()
                    raise error_for(response)
                with part_file(target).open("wb") as out:
                    async for block in response.aiter_bytes():
                        out.write(block)
        except httpx.TransportError as error:
            part_file(target).unlink(missing_ok=True)
            raise connection_error(error) from error
        part_file(target).replace(target)
        return target

    async def delete_fax(self, fax_id: int) -> IncomingFax:
        return await self.call(calls.delete_fax(fax_id))

    async def notification_settings(self) -> NotificationSettings:
        return await self.call(calls.notification_settings())

    async def change_notification_settings(
        self, *, expiring_days: int | None = None, low_balance_threshold: Decimal | None = None
    ) -> NotificationSettings:
        return await self.call(
            calls.change_notification_settings(expiring_days, low_balance_threshold)
        )
