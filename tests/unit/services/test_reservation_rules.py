"""Reservations: numbers held for one account, all or nothing, capped, until ordered,
cancelled or expired; a held number is nobody else's and is never listed as available."""

from datetime import timedelta

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.catalogue import AvailableNumberFilter, DidGroupFilter
from faxnum.domain.errors import Conflict, Exhausted, NotFound, NumbersUnavailable
from faxnum.domain.numbers import DidState
from faxnum.domain.orders import NumbersWanted, QuantityWanted
from faxnum.domain.pagination import PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.catalogue import find_available_numbers
from faxnum.services.provisioning import provision
from faxnum.services.reservations import any_due, cancel, expire_due, reservation, reserve
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, WINNIPEG, open_account

TTL = 600
CAP = 100


def hold(
    store: FakeStore,
    caller: Caller,
    wanted: NumbersWanted | QuantityWanted,
    max_reserved: int = CAP,
) -> Reservation:
    with store.unit_of_work() as uow:
        return reserve(uow, caller, wanted, TTL, max_reserved, NOW)[0]


def did_states(store: FakeStore) -> dict[str, DidState]:
    return {d["number"]: d["state"] for d in store.tables.dids.values()}


def reserved_count(store: FakeStore, caller: Caller) -> int:
    count: int = store.tables.accounts[caller.account_id]["reserved_numbers"]
    return count


def test_a_reservation_holds_the_chosen_numbers_for_the_caller_until_its_time_is_up(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, NumbersWanted((WINNIPEG[2], WINNIPEG[0])))

    assert held.numbers == (WINNIPEG[0], WINNIPEG[2])  # in number order
    assert (held.account_id, held.status) == (caller.account_id, ReservationStatus.ACTIVE)
    assert held.expires_at == NOW + timedelta(seconds=TTL)
    assert did_states(store) == {
        WINNIPEG[0]: DidState.RESERVED,
        WINNIPEG[1]: DidState.AVAILABLE,
        WINNIPEG[2]: DidState.RESERVED,
    }
    assert reserved_count(store, caller) == 2


def test_a_reservation_is_all_or_nothing(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    other = open_account(store, cipher, "other@example.com")
    with store.unit_of_work() as uow:
        provision(uow, other, group_id, NOW)  # takes WINNIPEG[0]

    with pytest.raises(NumbersUnavailable) as refused:
        hold(store, caller, NumbersWanted((WINNIPEG[1], WINNIPEG[0], "+19999999999")))

    assert refused.value.numbers == [WINNIPEG[0], "+19999999999"]
    assert did_states(store)[WINNIPEG[1]] == DidState.AVAILABLE
    assert store.tables.reservations == {}
    assert reserved_count(store, caller) == 0


def test_a_reservation_by_quantity_takes_the_lowest_numbers_or_none_at_all(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    with pytest.raises(Exhausted):
        hold(store, caller, QuantityWanted(group_id, len(WINNIPEG) + 1))
    assert set(did_states(store).values()) == {DidState.AVAILABLE}
    assert reserved_count(store, caller) == 0

    held = hold(store, caller, QuantityWanted(group_id, 2))

    assert held.numbers == tuple(WINNIPEG[:2])
    with pytest.raises(NotFound):
        hold(store, caller, QuantityWanted(999, 1))


def test_reserved_numbers_are_never_listed_as_available(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    hold(store, caller, NumbersWanted((WINNIPEG[0], WINNIPEG[2])))
    other = open_account(store, cipher, "other@example.com")

    with store.unit_of_work() as uow:
        listed = find_available_numbers(
            uow, AvailableNumberFilter(DidGroupFilter(country_code="CAN")), PageRequest()
        )
    assert [n.number for n in listed.items] == [WINNIPEG[1]]
    assert listed.total == 1
    with store.unit_of_work() as uow:  # nor provisioned to anyone else
        assert provision(uow, other, group_id, NOW).did.number == WINNIPEG[1]
    with pytest.raises(NumbersUnavailable):  # nor reserved twice
        hold(store, other, NumbersWanted((WINNIPEG[0],)))


def test_the_reserved_count_is_capped_per_account(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    first = hold(store, caller, NumbersWanted((WINNIPEG[0],)), max_reserved=2)
    hold(store, caller, NumbersWanted((WINNIPEG[1],)), max_reserved=2)

    with pytest.raises(Conflict):
        hold(store, caller, NumbersWanted((WINNIPEG[2],)), max_reserved=2)
    assert did_states(store)[WINNIPEG[2]] == DidState.AVAILABLE
    other = open_account(store, cipher, "other@example.com")
    hold(store, other, NumbersWanted((WINNIPEG[2],)), max_reserved=1)  # its own count

    with store.unit_of_work() as uow:
        cancel(uow, caller, first.id, NOW)
    with store.unit_of_work() as uow:  # a cancelled hold no longer counts
        reserve(uow, caller, NumbersWanted((WINNIPEG[0],)), TTL, 2, NOW)
    assert reserved_count(store, caller) == 2


def test_cancelling_frees_the_numbers_at_once_and_only_once(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, NumbersWanted((WINNIPEG[0], WINNIPEG[1])))

    with store.unit_of_work() as uow:
        cancelled = cancel(uow, caller, held.id, NOW)

    assert cancelled.status is ReservationStatus.CANCELLED
    assert cancelled.numbers == held.numbers
    assert set(did_states(store).values()) == {DidState.AVAILABLE}
    assert reserved_count(store, caller) == 0
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        cancel(uow, caller, held.id, NOW)
    assert reserved_count(store, caller) == 0  # not released twice


def test_another_accounts_reservation_is_not_found(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, NumbersWanted((WINNIPEG[0],)))
    stranger = open_account(store, cipher, "stranger@example.com")

    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            reservation(uow, stranger, held.id)
        with pytest.raises(NotFound):
            cancel(uow, stranger, held.id, NOW)
    assert did_states(store)[WINNIPEG[0]] == DidState.RESERVED


def test_the_sweep_ends_holds_once_their_time_is_up_and_frees_their_numbers(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    held = hold(store, caller, NumbersWanted((WINNIPEG[0], WINNIPEG[1])))
    almost, due = held.expires_at - timedelta(seconds=1), held.expires_at

    with store.unit_of_work() as uow:
        assert not any_due(uow, almost)
        assert expire_due(uow, almost) == 0
        assert reservation(uow, caller, held.id).status_at(due) is ReservationStatus.EXPIRED
    assert did_states(store)[WINNIPEG[0]] == DidState.RESERVED

    with store.unit_of_work() as uow:
        assert any_due(uow, due)
        assert expire_due(uow, due) == 1
    with store.unit_of_work() as uow:
        assert reservation(uow, caller, held.id).status is ReservationStatus.EXPIRED
        assert expire_due(uow, due + timedelta(hours=1)) == 0  # never ended twice
    assert set(did_states(store).values()) == {DidState.AVAILABLE}
    assert reserved_count(store, caller) == 0
