"""Reservations: numbers held for one account for a while, all or nothing."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 1800
DEFAULT_TTL_SECONDS = 600
MAX_NUMBERS_PER_REQUEST = 100
DEFAULT_MAX_RESERVED = 100


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ORDERED = "ordered"


@dataclass(frozen=True)
class Reservation:
    id: int
    account_id: int
    numbers: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    status: ReservationStatus
    value: Decimal = Decimal(0)  # what its numbers' setup and first month promise

    def status_at(self, now: datetime) -> ReservationStatus:
        """An active hold past its time is expired, even before the sweep records it."""
        if self.status is ReservationStatus.ACTIVE and self.expires_at <= now:
            return ReservationStatus.EXPIRED
        return self.status
