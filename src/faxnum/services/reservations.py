"""Reservations: numbers held for one account until it orders them, cancels, or the
hold expires. A DID is `reserved` exactly while one active reservation holds it."""

from datetime import datetime, timedelta

from faxnum.domain.accounts import Caller
from faxnum.domain.did_states import DidEvent
from faxnum.domain.errors import Conflict, NotFound
from faxnum.domain.orders import NumbersWanted, QuantityWanted
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.domain.webhooks import EventType
from faxnum.services.events import emit, reservation_data
from faxnum.services.holding import move_chosen, move_from_group
from faxnum.services.unit_of_work import UnitOfWork

SWEEP_BATCH = 100


def reserve(
    uow: UnitOfWork,
    caller: Caller,
    wanted: NumbersWanted | QuantityWanted,
    ttl_seconds: int,
    max_reserved: int,
    now: datetime,
) -> Reservation:
    """All or nothing: every number is held for the caller, or nothing is."""
    quantity = len(wanted.numbers) if isinstance(wanted, NumbersWanted) else wanted.quantity
    if not uow.reservations.hold_count(caller.account_id, quantity, max_reserved):
        raise Conflict(
            f"An account holds at most {max_reserved} reserved numbers at once; "
            "order or cancel a reservation first."
        )
    if isinstance(wanted, NumbersWanted):
        did_ids = [
            did.id for did in move_chosen(uow, wanted.numbers, DidEvent.RESERVE, now, "reserved")
        ]
    else:
        did_ids = [did.id for did in move_from_group(uow, wanted, DidEvent.RESERVE, now)]
    expires_at = now + timedelta(seconds=ttl_seconds)
    reservation_id = uow.reservations.add(caller.account_id, did_ids, now, expires_at)
    created = uow.reservations.get(reservation_id, caller.account_id)
    assert created is not None
    uow.commit()
    return created


def reservation(uow: UnitOfWork, caller: Caller, reservation_id: int) -> Reservation:
    found = uow.reservations.get(reservation_id, caller.account_id)
    if found is None:
        raise NotFound(f"Reservation {reservation_id} not found.")
    return found


def reservations_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[Reservation]:
    found, total = uow.reservations.page_for(caller.account_id, wanted)
    return Page(found, total, wanted)


def cancel(uow: UnitOfWork, caller: Caller, reservation_id: int, now: datetime) -> Reservation:
    """The numbers are available again at once."""
    held = reservation(uow, caller, reservation_id)
    # An expired hold is the sweep's to end, even in the seconds before it runs.
    if not uow.reservations.close(reservation_id, ReservationStatus.CANCELLED, live_at=now):
        raise Conflict(f"Reservation {reservation_id} is already {held.status_at(now).value}.")
    _free(uow, held, now)
    cancelled = uow.reservations.get(reservation_id, caller.account_id)
    assert cancelled is not None
    uow.commit()
    return cancelled


def expire_due(uow: UnitOfWork, now: datetime) -> int:
    """End the holds whose time has come (a batch); how many ended."""
    ended = 0
    for due in uow.reservations.due(now, SWEEP_BATCH):
        if uow.reservations.close(due.id, ReservationStatus.EXPIRED, expired_at=now):
            _free(uow, due, now)
            data = reservation_data(due, ReservationStatus.EXPIRED.value)
            emit(uow, due.account_id, EventType.RESERVATION_EXPIRED, data, now)
            ended += 1
    uow.commit()
    return ended


def any_due(uow: UnitOfWork, now: datetime) -> bool:
    return bool(uow.reservations.due(now, 1))


def _free(uow: UnitOfWork, held: Reservation, now: datetime) -> None:
    """After the hold has left `active`, in the same transaction: its DIDs back to stock."""
    uow.dids.move(uow.reservations.did_ids(held.id), DidEvent.FREE, now)
    uow.reservations.release_count(held.account_id, len(held.numbers))
