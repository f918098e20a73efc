"""Orders: several numbers provisioned and charged as one unit, or nothing at all; from
chosen numbers, a quantity of a group, or a live reservation; once per idempotency key."""

from datetime import timedelta
from decimal import Decimal

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import (
    Conflict,
    Exhausted,
    InsufficientBalance,
    Invalid,
    NotFound,
    NumbersUnavailable,
)
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.domain.numbers import DidState
from faxnum.domain.orders import NumbersWanted, Order, QuantityWanted, ReservationWanted, Wanted
from faxnum.domain.pagination import PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.orders import order, place_order
from faxnum.services.provisioning import provision_idempotently
from faxnum.services.reservations import reservation, reserve
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, WINNIPEG, open_account

FIRST_CHARGE = Decimal("3.00")  # the Winnipeg group: setup 1.00 + a month 2.00
RETENTION = timedelta(days=1)


def place(
    store: FakeStore, caller: Caller, wanted: Wanted, request: IdempotentRequest | None = None
) -> tuple[Order, bool]:
    with store.unit_of_work() as uow:
        return place_order(uow, caller, wanted, NOW, request, RETENTION)


def hold(store: FakeStore, caller: Caller, numbers: tuple[str, ...], ttl: int = 600) -> Reservation:
    with store.unit_of_work() as uow:
        return reserve(uow, caller, NumbersWanted(numbers), ttl, 100, NOW)[0]


def balance(store: FakeStore, account_id: int) -> Decimal:
    with store.unit_of_work() as uow:
        return uow.accounts.balance(account_id)


def held_did(store: FakeStore, number: str) -> int:
    return next(i for i, d in store.tables.dids.items() if d["number"] == number)


def snapshot(store: FakeStore) -> tuple[object, ...]:
    """Everything an order could change."""
    t = store.tables
    return (
        {i: (a["balance"], a["reserved_numbers"]) for i, a in t.accounts.items()},
        {i: d["state"] for i, d in t.dids.items()},
        {i: r["status"] for i, r in t.reservations.items()},
        dict(t.numbers),
        dict(t.ledger),
        dict(t.orders),
    )


def test_an_order_of_chosen_numbers_provisions_and_charges_each_one(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    placed, replayed = place(store, caller, NumbersWanted((WINNIPEG[2], WINNIPEG[0])))

    assert not replayed
    assert [n.did.number for n in placed.numbers] == [WINNIPEG[2], WINNIPEG[0]]
    assert {n.trunk_id for n in placed.numbers} == {caller.trunk_id}
    assert placed.total_charged == 2 * FIRST_CHARGE
    assert balance(store, caller.account_id) == Decimal("10.00") - 2 * FIRST_CHARGE
    charges = [e for e in store.tables.ledger.values() if e["kind"] == "charge"]
    assert sorted(e["number_id"] for e in charges) == sorted(n.id for n in placed.numbers)
    assert {e["amount"] for e in charges} == {-FIRST_CHARGE}
    assert {store.tables.dids[n.did.id]["state"] for n in placed.numbers} == {DidState.ASSIGNED}
    with store.unit_of_work() as uow:
        assert order(uow, caller, placed.id) == placed


def test_an_order_by_quantity_takes_the_lowest_available_numbers_or_none(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    before = snapshot(store)
    with pytest.raises(Exhausted):
        place(store, caller, QuantityWanted(group_id, len(WINNIPEG) + 1))
    assert snapshot(store) == before

    placed, _ = place(store, caller, QuantityWanted(group_id, 2))

    assert [n.did.number for n in placed.numbers] == WINNIPEG[:2]
    with pytest.raises(NotFound):
        place(store, caller, QuantityWanted(999, 1))


def test_an_order_larger_than_the_balance_provisions_nothing(
    store: FakeStore, cipher: KeyCipher, group_id: int
) -> None:
    poor = open_account(store, cipher, "poor@example.com", credit="5.99")  # one, not two
    before = snapshot(store)

    with pytest.raises(InsufficientBalance):
        place(store, poor, NumbersWanted((WINNIPEG[0], WINNIPEG[1])))

    assert snapshot(store) == before


def test_an_order_with_one_unavailable_number_provisions_none_and_names_it(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    hold(store, open_account(store, cipher, "other@example.com"), (WINNIPEG[1],))
    before = snapshot(store)

    with pytest.raises(NumbersUnavailable) as refused:
        place(store, caller, NumbersWanted((WINNIPEG[0], WINNIPEG[1])))

    assert refused.value.numbers == [WINNIPEG[1]]
    assert snapshot(store) == before


def test_a_reservation_is_ordered_whole_and_stops_counting_as_reserved(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, (WINNIPEG[0], WINNIPEG[2]))
    with pytest.raises(NumbersUnavailable):  # a held number is had through its hold only
        place(store, caller, NumbersWanted((WINNIPEG[0],)))

    placed, _ = place(store, caller, ReservationWanted(held.id))

    assert [n.did.number for n in placed.numbers] == [WINNIPEG[0], WINNIPEG[2]]
    assert placed.total_charged == 2 * FIRST_CHARGE
    with store.unit_of_work() as uow:
        assert reservation(uow, caller, held.id).status is ReservationStatus.ORDERED
    assert store.tables.orders[placed.id]["reservation_id"] == held.id
    assert store.tables.accounts[caller.account_id]["reserved_numbers"] == 0
    assert {store.tables.dids[n.did.id]["state"] for n in placed.numbers} == {DidState.ASSIGNED}
    with pytest.raises(Conflict):  # and only once
        place(store, caller, ReservationWanted(held.id))


def test_an_expired_reservation_cannot_be_ordered_and_charges_nothing(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, (WINNIPEG[0],), ttl=60)
    before = snapshot(store)

    with store.unit_of_work() as uow, pytest.raises(Conflict) as refused:
        place_order(uow, caller, ReservationWanted(held.id), held.expires_at)

    assert "expired" in refused.value.message
    assert snapshot(store) == before  # still held until the sweep frees it


def test_an_order_that_fails_leaves_its_reservation_to_order_again(
    store: FakeStore, cipher: KeyCipher, group_id: int
) -> None:
    poor = open_account(store, cipher, "poor@example.com", credit="3.00")
    held = hold(store, poor, (WINNIPEG[0],))  # covered when held
    with store.unit_of_work() as uow:  # then the balance is spent elsewhere
        uow.accounts.change_balance(poor.account_id, Decimal("-1.00"))
        uow.commit()
    with pytest.raises(InsufficientBalance):
        place(store, poor, ReservationWanted(held.id))
    with store.unit_of_work() as uow:
        assert reservation(uow, poor, held.id).status is ReservationStatus.ACTIVE
        uow.accounts.change_balance(poor.account_id, Decimal("1.00"))
        uow.commit()

    placed, _ = place(store, poor, ReservationWanted(held.id))

    assert [n.did.number for n in placed.numbers] == [WINNIPEG[0]]


def test_another_accounts_reservation_and_orders_are_not_found(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, (WINNIPEG[0],))
    placed, _ = place(store, caller, NumbersWanted((WINNIPEG[1],)))
    stranger = open_account(store, cipher, "stranger@example.com")

    with pytest.raises(NotFound):
        place(store, stranger, ReservationWanted(held.id))
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        order(uow, stranger, placed.id)
    assert store.tables.dids[held_did(store, WINNIPEG[0])]["state"] == DidState.RESERVED


def test_a_sub_accounts_order_is_paid_by_its_parent_who_sees_it(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    child = open_account(store, cipher, "child@example.com", credit="0", parent=caller.account_id)

    placed, _ = place(store, child, QuantityWanted(group_id, 1))

    assert balance(store, caller.account_id) == Decimal("10.00") - FIRST_CHARGE
    assert store.tables.numbers[placed.numbers[0].id]["account_id"] == child.account_id
    with store.unit_of_work() as uow:
        assert order(uow, caller, placed.id) == placed
        assert uow.orders.page_for(child.account_id, PageRequest())[1] == 1


def test_an_idempotent_order_replays_and_charges_once(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    request = IdempotentRequest.of("order-1", f"order:group:{group_id}:2")

    first, replayed_first = place(store, caller, QuantityWanted(group_id, 2), request)
    again, replayed_again = place(store, caller, QuantityWanted(group_id, 2), request)

    assert (replayed_first, replayed_again) == (False, True)
    assert again == first
    assert len(store.tables.orders) == 1
    assert balance(store, caller.account_id) == Decimal("10.00") - 2 * FIRST_CHARGE


def test_an_idempotency_key_reused_for_another_order_is_refused(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    place(store, caller, QuantityWanted(group_id, 1), IdempotentRequest.of("k", "order:one"))
    before = snapshot(store)

    with pytest.raises(Invalid) as refused:
        place(store, caller, QuantityWanted(group_id, 2), IdempotentRequest.of("k", "order:two"))

    assert "Idempotency-Key" in refused.value.errors
    assert snapshot(store) == before


def test_a_failed_order_leaves_its_idempotency_key_free_for_the_retry(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    request = IdempotentRequest.of("order-1", "order:too-many")
    with pytest.raises(Exhausted):
        place(store, caller, QuantityWanted(group_id, len(WINNIPEG) + 1), request)
    assert store.tables.idempotency == {}


def test_a_key_used_for_an_order_is_refused_for_provisioning_not_left_in_progress(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    place(store, caller, QuantityWanted(group_id, 1), IdempotentRequest.of("k", "order:one"))

    with store.unit_of_work() as uow, pytest.raises(Invalid):  # not "still in progress"
        provision_idempotently(
            uow,
            caller,
            group_id,
            NOW,
            IdempotentRequest.for_provisioning("k", group_id),
            RETENTION,
        )
