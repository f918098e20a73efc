"""Reservations and their DIDs; every change of a hold is one guarded update."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, insert, or_, select, update

from faxnum.domain.dates import as_utc
from faxnum.domain.money import from_micros, to_micros
from faxnum.domain.pagination import PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.store.db.tables import accounts, dids, reservation_dids, reservations
from faxnum.store.pages import count, newest_first

_ACTIVE = ReservationStatus.ACTIVE.value


def _seen_by(viewer_id: int) -> ColumnElement[bool]:
    """Held by the viewer, or by one of its sub-accounts."""
    subaccounts = select(accounts.c.id).where(accounts.c.parent_id == viewer_id)
    return or_(reservations.c.account_id == viewer_id, reservations.c.account_id.in_(subaccounts))


class ReservationQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def hold_count(self, payer_id: int, quantity: int, limit: int) -> bool:
        """Count `quantity` more reserved numbers for the account unless that passes
        `limit` (guarded, so concurrent reservations cannot pass it together)."""
        changed = self._db.execute(
            update(accounts)
            .where(
                accounts.c.id == payer_id,
                accounts.c.reserved_numbers + quantity <= limit,
            )
            .values(reserved_numbers=accounts.c.reserved_numbers + quantity)
        )
        return changed.rowcount == 1

    def release_count(self, payer_id: int, quantity: int) -> None:
        self._db.execute(
            update(accounts)
            .where(accounts.c.id == payer_id)
            .values(reserved_numbers=accounts.c.reserved_numbers - quantity)
        )

    def add_hold(
        self,
        account_id: int,
        did_ids: Sequence[int],
        now: datetime,
        expires_at: datetime,
        value: Decimal,
    ) -> int:
        reservation_id = int(
            self._db.execute(
                insert(reservations)
                .values(
                    account_id=account_id,
                    status=_ACTIVE,
                    quantity=len(did_ids),
                    created_at=now,
                    value_micros=to_micros(value),
                    expires_at=expires_at,
                )
                .returning(reservations.c.id)
            ).scalar_one()
        )
        self._db.execute(
            insert(reservation_dids),
            [{"reservation_id": reservation_id, "did_id": did_id} for did_id in did_ids],
        )
        return reservation_id

    def get(self, reservation_id: int, account_id: int) -> Reservation | None:
        """The account's reservation (None for anyone else's)."""
        found = self._fetch(
            select(reservations).where(
                reservations.c.id == reservation_id, reservations.c.account_id == account_id
            )
        )
        return found[0] if found else None

    def visible(self, reservation_id: int, viewer_id: int) -> Reservation | None:
        found = self._fetch(
            select(reservations).where(reservations.c.id == reservation_id, _seen_by(viewer_id))
        )
        return found[0] if found else None

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Reservation], int]:
        seen = _seen_by(viewer_id)
        page = self._fetch(
            newest_first(select(reservations).where(seen), reservations.c.id, wanted)
        )
        return page, count(self._db, reservations, seen)

    def close(
        self,
        reservation_id: int,
        status: ReservationStatus,
        *,
        live_at: datetime | None = None,
        expired_at: datetime | None = None,
    ) -> bool:
        """End an active hold, guarded: `live_at` requires it not to have expired by
        then (an order), `expired_at` requires that it has (the sweep). False when the
        hold was no longer active (or not in the required time), and nothing changes."""
        query = update(reservations).where(
            reservations.c.id == reservation_id, reservations.c.status == _ACTIVE
        )
        if live_at is not None:
            query = query.where(reservations.c.expires_at > live_at)
        if expired_at is not None:
            query = query.where(reservations.c.expires_at <= expired_at)
        return self._db.execute(query.values(status=status.value)).rowcount == 1

    def did_ids(self, reservation_id: int) -> list[int]:
        rows = self._db.execute(
            select(reservation_dids.c.did_id)
            .where(reservation_dids.c.reservation_id == reservation_id)
            .order_by(reservation_dids.c.did_id)
        )
        return [int(did_id) for (did_id,) in rows]

    def due(self, now: datetime, limit: int) -> list[Reservation]:
        """Active holds whose time has come, oldest first."""
        return self._fetch(
            select(reservations)
            .where(reservations.c.status == _ACTIVE, reservations.c.expires_at <= now)
            .order_by(reservations.c.expires_at, reservations.c.id)
            .limit(limit)
        )

    def _fetch(self, query: Select[Any]) -> list[Reservation]:
        rows = self._db.execute(query).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        numbers: dict[int, list[str]] = {reservation_id: [] for reservation_id in ids}
        for reservation_id, number in self._db.execute(
            select(reservation_dids.c.reservation_id, dids.c.number)
            .join(dids, dids.c.id == reservation_dids.c.did_id)
            .where(reservation_dids.c.reservation_id.in_(ids))
            .order_by(dids.c.number)
        ):
            numbers[reservation_id].append(number)
        return [
            Reservation(
                row.id,
                row.account_id,
                tuple(numbers[row.id]),
                as_utc(row.created_at),
                as_utc(row.expires_at),
                ReservationStatus(row.status),
                from_micros(row.value_micros),
            )
            for row in rows
        ]
