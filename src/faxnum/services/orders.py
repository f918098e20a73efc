"""Orders: several numbers provisioned and charged as one all-or-nothing unit."""

from datetime import datetime, timedelta
from functools import partial

from faxnum.domain.accounts import Caller
from faxnum.domain.did_states import DidEvent
from faxnum.domain.errors import Conflict, InsufficientBalance, NotFound, existing
from faxnum.domain.idempotency import IdempotentRequest, Outcome
from faxnum.domain.numbers import Did
from faxnum.domain.orders import (
    NumbersWanted,
    Order,
    QuantityWanted,
    ReservationWanted,
    Wanted,
)
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.reservations import ReservationStatus
from faxnum.domain.webhooks import EventType
from faxnum.services.assigning import assign_number
from faxnum.services.events import emit, order_data
from faxnum.services.holding import first_charges, groups_of, move_chosen, move_from_group
from faxnum.services.idempotency import claim_or_replay, record
from faxnum.services.unit_of_work import UnitOfWork


def place_order(
    uow: UnitOfWork,
    caller: Caller,
    wanted: Wanted,
    now: datetime,
    request: IdempotentRequest | None = None,
    retention: timedelta = timedelta(hours=24),
) -> tuple[Order, bool]:
    """Every number provisioned and charged (setup and first month, one ledger entry
    each), or nothing changes. With an idempotency key, a repeat answers the first
    order (True as second value) and changes nothing."""
    first = partial(uow.orders.get, viewer_id=caller.account_id)
    replayed = claim_or_replay(uow, caller, request, Outcome.ORDER, first, now, retention)
    if replayed is not None:
        return replayed, True
    order = _place(uow, caller, wanted, now)
    record(uow, caller, request, Outcome.ORDER, order.id)
    uow.commit()
    return order, False


def _place(uow: UnitOfWork, caller: Caller, wanted: Wanted, now: datetime) -> Order:
    reservation_id = None
    if isinstance(wanted, NumbersWanted):
        held = move_chosen(uow, wanted.numbers, DidEvent.ASSIGN, now, "ordered")
        taken = [(Did(did.id, did.number), did.group_id) for did in held]
    elif isinstance(wanted, QuantityWanted):
        moved = move_from_group(uow, wanted, DidEvent.ASSIGN, now)
        taken = [(did, wanted.group_id) for did in moved]
    else:
        reservation_id = wanted.reservation_id
        taken = _from_reservation(uow, caller, wanted, now)
    group_ids = [group_id for _, group_id in taken]
    groups = groups_of(uow, group_ids)
    total = first_charges(groups, group_ids)
    # The charges below are the guard; this names the whole order's cost.
    if uow.accounts.balance(caller.payer_id) < total:
        raise InsufficientBalance(f"Insufficient balance: this order costs {total:.2f}.")
    order_id = uow.orders.add_order(caller.account_id, reservation_id, total, now)
    provisioned = tuple(
        assign_number(uow, caller, did, groups[group_id], now, order_id) for did, group_id in taken
    )
    placed = Order(order_id, caller.account_id, now, provisioned, total)
    emit(uow, caller.account_id, EventType.ORDER_COMPLETED, order_data(placed), now)
    return placed


def _from_reservation(
    uow: UnitOfWork, caller: Caller, wanted: ReservationWanted, now: datetime
) -> list[tuple[Did, int]]:
    """The hold ends as `ordered` only while it is still active and unexpired: an
    expiring hold either is ordered whole, or the order fails and charges nothing."""
    held = uow.reservations.get(wanted.reservation_id, caller.account_id)
    if held is None:
        raise NotFound(f"Reservation {wanted.reservation_id} not found.")
    if not uow.reservations.close(held.id, ReservationStatus.ORDERED, live_at=now):
        raise Conflict(
            f"Reservation {held.id} is {held.status_at(now).value}; it can no longer be ordered."
        )
    did_ids = uow.reservations.did_ids(held.id)
    moved = uow.dids.move(did_ids, DidEvent.ASSIGN_RESERVED, now)
    if len(moved) != len(did_ids):  # cannot happen while the invariant holds; never sell
        raise Conflict(f"Reservation {held.id} no longer holds all its numbers.")
    uow.reservations.release_count(caller.payer_id, len(did_ids))
    uow.accounts.release_money(caller.payer_id, held.value)  # now spent on these numbers
    locked = {did.id: did for did in uow.dids.lock_numbers(held.numbers)}
    return [
        (Did(did.id, did.number), did.group_id)
        for did in sorted(locked.values(), key=lambda d: d.id)
    ]


def order(uow: UnitOfWork, caller: Caller, order_id: int) -> Order:
    return existing(uow.orders.get(order_id, caller.account_id), f"Order {order_id}")


def orders_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[Order]:
    return Page.of(uow.orders.page_for(caller.account_id, wanted), wanted)
