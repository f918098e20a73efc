"""Holds and orders: reservations, and numbers bought together.
What the use cases need from storage for it."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from faxnum.domain.orders import Order
from faxnum.domain.pagination import PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus


class ReservationRepository(Protocol):
    def hold_count(self, payer_id: int, quantity: int, limit: int) -> bool:
        """Count more reserved numbers for the account tree (kept on its payer) unless
        that passes `limit`; the payer's row stays locked to the end of the transaction."""
        ...

    def release_count(self, payer_id: int, quantity: int) -> None: ...

    def add_hold(
        self,
        account_id: int,
        did_ids: Sequence[int],
        now: datetime,
        expires_at: datetime,
        value: Decimal,
    ) -> int:
        """A hold of `did_ids`, promising `value`."""
        ...

    def get(self, reservation_id: int, account_id: int) -> Reservation | None:
        """The account's own reservation: only its holder orders it."""
        ...

    def visible(self, reservation_id: int, viewer_id: int) -> Reservation | None:
        """A reservation of the viewer or of one of its sub-accounts."""
        ...

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Reservation], int]:
        """Newest first: the viewer's reservations and its sub-accounts'; and their total."""
        ...

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
    def add_order(
        self, account_id: int, reservation_id: int | None, total: Decimal, now: datetime
    ) -> int: ...

    def get(self, order_id: int, viewer_id: int) -> Order | None: ...

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Order], int]: ...
