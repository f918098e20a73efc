"""Orders: the record tying several provisioned numbers to one request."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, insert, or_, select

from faxnum.domain.dates import as_utc
from faxnum.domain.money import from_micros, to_micros
from faxnum.domain.orders import Order
from faxnum.domain.pagination import PageRequest
from faxnum.store.db.tables import accounts, orders
from faxnum.store.numbers import NumberQueries
from faxnum.store.pages import count, newest_first


class OrderQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_order(
        self, account_id: int, reservation_id: int | None, total: Decimal, now: datetime
    ) -> int:
        return int(
            self._db.execute(
                insert(orders)
                .values(
                    account_id=account_id,
                    reservation_id=reservation_id,
                    total_charged_micros=to_micros(total),
                    created_at=now,
                )
                .returning(orders.c.id)
            ).scalar_one()
        )

    def get(self, order_id: int, viewer_id: int) -> Order | None:
        """An order the viewer or one of its sub-accounts placed."""
        found = self._orders(select(orders).where(orders.c.id == order_id, _placed_by(viewer_id)))
        return found[0] if found else None

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Order], int]:
        """Newest first; and how many there are."""
        visible = _placed_by(viewer_id)
        page = self._orders(newest_first(select(orders).where(visible), orders.c.id, wanted))
        return page, count(self._db, orders, visible)

    def _orders(self, query: Select[Any]) -> list[Order]:
        rows = self._db.execute(query).all()
        numbers = NumberQueries(self._db).of_orders([row.id for row in rows])
        return [
            Order(
                row.id,
                row.account_id,
                as_utc(row.created_at),
                tuple(numbers.get(row.id, [])),
                from_micros(row.total_charged_micros),
            )
            for row in rows
        ]


def _placed_by(viewer_id: int) -> ColumnElement[bool]:
    return or_(
        orders.c.account_id == viewer_id,
        orders.c.account_id.in_(select(accounts.c.id).where(accounts.c.parent_id == viewer_id)),
    )
