"""Reservations: numbers held for one account until it orders them, cancels, or the
hold expires. A DID is `reserved` exactly while one active reservation holds it."""

from datetime import datetime, timedelta
from functools import partial

from faxnum.domain.accounts import Caller
from faxnum.domain.did_states import DidEvent
from faxnum.domain.errors import Conflict, InsufficientBalance, existing
from faxnum.domain.idempotency import IdempotentRequest, Outcome
from faxnum.domain.orders import NumbersWanted, QuantityWanted
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.domain.webhooks import EventType
from faxnum.services.events import emit, reservation_data
from faxnum.services.holding import first_charges, groups_of, move_chosen, move_from_group
from faxnum.services.idempotency import claim_or_replay, record
from faxnum.services.unit_of_work import UnitOfWork

SWEEP_BATCH = 100


def reserve(
    uow: UnitOfWork,
    caller: Caller,
    wanted: NumbersWanted | QuantityWanted,
    ttl_seconds: int,
    max_reserved: int,
    now: datetime,
    request: IdempotentRequest | None = None,
    retention: timedelta = timedelta(hours=24),
) -> tuple[Reservation, bool]:
    """All or nothing: every number is held for the caller, or nothing is. A hold is a
    promise to buy: the account tree holds at most `max_reserved` numbers, and its
    balance covers the setup and first month of all it holds, which no purchase of
    other numbers may then spend. With an idempotency key,
    a repeat answers the first hold (True as second value) and changes nothing."""
    first = partial(uow.reservations.get, account_id=caller.account_id)
    replayed = claim_or_replay(uow, caller, request, Outcome.RESERVATION, first, now, retention)
    if replayed is not None:
        return replayed, True
    # The DIDs first, the payer's row after, as provisioning and orders lock them: a
    # take waiting for DIDs then holds no row that their holder is about to lock.
    if isinstance(wanted, NumbersWanted):
        chosen = move_chosen(uow, wanted.numbers, DidEvent.RESERVE, now, "reserved")
        held = [(did.id, did.group_id) for did in chosen]
    else:
        held = [
            (did.id, wanted.group_id) for did in move_from_group(uow, wanted, DidEvent.RESERVE, now)
        ]
    if not uow.reservations.hold_count(caller.payer_id, len(held), max_reserved):
        raise Conflict(
            f"An account and its sub-accounts hold at most {max_reserved} reserved numbers "
            "at once; order or cancel a reservation first."
        )
    group_ids = [group_id for _, group_id in held]
    value = first_charges(groups_of(uow, group_ids), group_ids)
    if not uow.accounts.hold_money(caller.payer_id, value):
        raise InsufficientBalance(
            f"Insufficient balance: holding these numbers promises {value:.2f} (setup and "
            "first month), more than the balance not yet promised to other holds."
        )
    expires_at = now + timedelta(seconds=ttl_seconds)
    reservation_id = uow.reservations.add_hold(
        caller.account_id, [i for i, _ in held], now, expires_at, value
    )
    created = uow.reservations.get(reservation_id, caller.account_id)
    assert created is not None
    record(uow, caller, request, Outcome.RESERVATION, reservation_id)
    uow.commit()
    return created, False


def reservation(uow: UnitOfWork, caller: Caller, reservation_id: int) -> Reservation:
    """The caller's reservation, or one of its sub-accounts' (a parent's limit and
    balance answer for them)."""
    found = uow.reservations.visible(reservation_id, caller.account_id)
    return existing(found, f"Reservation {reservation_id}")


def reservations_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[Reservation]:
    return Page.of(uow.reservations.page_for(caller.account_id, wanted), wanted)


def cancel(uow: UnitOfWork, caller: Caller, reservation_id: int, now: datetime) -> Reservation:
    """The numbers are available again at once."""
    held = reservation(uow, caller, reservation_id)
    # An expired hold is the sweep's to end, even in the seconds before it runs.
    if not uow.reservations.close(reservation_id, ReservationStatus.CANCELLED, live_at=now):
        raise Conflict(f"Reservation {reservation_id} is already {held.status_at(now).value}.")
    _free(uow, held, caller.payer_id, now)
    cancelled = uow.reservations.visible(reservation_id, caller.account_id)
    assert cancelled is not None
    uow.commit()
    return cancelled


def expire_due(uow: UnitOfWork, now: datetime) -> int:
    """End the holds whose time has come (a batch); how many ended."""
    ended = 0
    for due in uow.reservations.due(now, SWEEP_BATCH):
        if uow.reservations.close(due.id, ReservationStatus.EXPIRED, expired_at=now):
            _free(uow, due, _payer_of(uow, due.account_id), now)
            data = reservation_data(due, ReservationStatus.EXPIRED.value)
            emit(uow, due.account_id, EventType.RESERVATION_EXPIRED, data, now)
            ended += 1
    uow.commit()
    return ended


def any_due(uow: UnitOfWork, now: datetime) -> bool:
    return bool(uow.reservations.due(now, 1))


def _free(uow: UnitOfWork, held: Reservation, payer_id: int, now: datetime) -> None:
    """After the hold has left `active`, in the same transaction: its DIDs back to stock,
    and off the count and the promised money of the account tree (kept on its payer)."""
    uow.dids.move(uow.reservations.did_ids(held.id), DidEvent.FREE, now)
    uow.reservations.release_count(payer_id, len(held.numbers))
    uow.accounts.release_money(payer_id, held.value)


def _payer_of(uow: UnitOfWork, account_id: int) -> int:
    holder = uow.accounts.summary(account_id)
    assert holder is not None, "a reservation always has its account"
    return holder.parent_id if holder.parent_id is not None else holder.id
