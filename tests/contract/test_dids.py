"""Which DID a group gives, and how DIDs move between states."""

from datetime import date
from decimal import Decimal

from faxnum.domain.did_states import DidEvent
from faxnum.domain.numbers import DidState, ProvisionedNumber
from tests.contract.conftest import NOW, Store, load_group, open_account, taken_from

# Loaded out of number order on purpose: a group gives its lowest number first.
UNSORTED = ["+12042841002", "+12042841000", "+12042841001"]


def test_a_group_gives_its_lowest_available_number_first_whatever_the_load_order(
    store: Store,
) -> None:
    group_id = load_group(store, UNSORTED)
    taken = []
    for _ in UNSORTED:
        with store.unit_of_work() as uow:
            did, _ = taken_from(uow, group_id)
            uow.commit()
        assert did is not None
        taken.append(did.number)
    assert taken == sorted(UNSORTED)
    with store.unit_of_work() as uow:
        assert uow.dids.take_available(group_id, NOW) is None


def test_a_did_taken_comes_with_its_group_as_the_catalogue_has_it(store: Store) -> None:
    group_id = load_group(store, UNSORTED, setup="2.50")
    with store.unit_of_work() as uow:
        did, group = taken_from(uow, group_id)
        assert group == uow.catalogue.group(group_id)
    assert group.id == group_id
    assert group.setup_price == Decimal("2.50")
    assert did.number == min(UNSORTED)


def test_a_group_that_does_not_exist_gives_no_did(store: Store) -> None:
    load_group(store, UNSORTED)
    with store.unit_of_work() as uow:
        assert uow.dids.take_available(999_999, NOW) is None


def test_a_quantity_from_a_group_is_its_lowest_numbers_in_number_order(store: Store) -> None:
    group_id = load_group(store, UNSORTED)
    with store.unit_of_work() as uow:
        taken = uow.dids.take_from_group(group_id, 2, DidEvent.RESERVE, NOW)
        uow.commit()
    assert [did.number for did in taken] == ["+12042841000", "+12042841001"]
    with store.unit_of_work() as uow:
        more = uow.dids.take_from_group(group_id, 5, DidEvent.RESERVE, NOW)
    assert [did.number for did in more] == ["+12042841002"]  # fewer when fewer are left


def test_a_move_changes_only_the_dids_in_a_source_state_of_the_event(store: Store) -> None:
    group_id = load_group(store, UNSORTED)
    with store.unit_of_work() as uow:
        taken, _ = taken_from(uow, group_id)
        uow.commit()
    assert taken is not None
    with store.unit_of_work() as uow:
        all_ids = [held.id for held in uow.dids.lock_numbers(UNSORTED)]
        moved = uow.dids.move(all_ids, DidEvent.RESERVE, NOW)  # only the available ones
        uow.commit()
    assert sorted(moved) == sorted(i for i in all_ids if i != taken.id)
    with store.unit_of_work() as uow:
        states = {held.number: held.state for held in uow.dids.lock_numbers(UNSORTED)}
    assert states == {
        "+12042841000": DidState.ASSIGNED,
        "+12042841001": DidState.RESERVED,
        "+12042841002": DidState.RESERVED,
    }


def test_nothing_a_unit_of_work_did_is_kept_without_commit(store: Store) -> None:
    group_id = load_group(store, UNSORTED)
    with store.unit_of_work() as uow:
        assert uow.dids.take_available(group_id, NOW) is not None
    with store.unit_of_work() as uow:
        states = {held.state for held in uow.dids.lock_numbers(UNSORTED)}
    assert states == {DidState.AVAILABLE}


def test_a_number_from_a_group_is_its_lowest_available_did_made_the_accounts(
    store: Store,
) -> None:
    group_id = load_group(store, UNSORTED, setup="2.50")
    caller = open_account(store, "holder@example.com")
    expires = date(2026, 2, 28)
    with store.unit_of_work() as uow:
        made = uow.numbers.add_from_group(
            caller.account_id, group_id, caller.trunk_id, NOW, expires
        )
        assert made is not None
        number_id, did, group = made
        assert group == uow.catalogue.group(group_id)
        uow.commit()
    assert did.number == min(UNSORTED)
    with store.unit_of_work() as uow:
        assert uow.numbers.provisioned(number_id) == ProvisionedNumber(
            number_id, did, group, caller.trunk_id
        )
        states = {held.number: held.state for held in uow.dids.lock_numbers(UNSORTED)}
    assert states[did.number] == DidState.ASSIGNED
    assert [s for n, s in states.items() if n != did.number] == [DidState.AVAILABLE] * 2


def test_a_group_with_no_did_left_or_none_at_all_makes_no_number(store: Store) -> None:
    group_id = load_group(store, UNSORTED[:1])
    caller = open_account(store, "holder@example.com")
    expires = date(2026, 2, 28)
    with store.unit_of_work() as uow:
        assert uow.numbers.add_from_group(
            caller.account_id, group_id, caller.trunk_id, NOW, expires
        )
        uow.commit()
    with store.unit_of_work() as uow:
        for group in (group_id, 999_999):
            assert (
                uow.numbers.add_from_group(caller.account_id, group, caller.trunk_id, NOW, expires)
                is None
            )


def _floors_behind(store: Store) -> list[int]:
    with store.unit_of_work() as uow:
        return uow.dids.groups_with_floor_behind()


def _raise_floor(store: Store, group_id: int) -> bool:
    with store.unit_of_work() as uow:
        raised = uow.dids.raise_stock_floor(group_id)
        uow.commit()
    return raised


def test_a_group_s_floor_rises_to_its_lowest_number_in_stock_and_takes_go_on_from_there(
    store: Store,
) -> None:
    group_id = load_group(store, UNSORTED)
    assert _floors_behind(store) == [group_id]  # loaded with the floor at the bottom
    assert _raise_floor(store, group_id)
    assert _floors_behind(store) == []
    assert not _raise_floor(store, group_id)  # level already
    with store.unit_of_work() as uow:
        assert taken_from(uow, group_id)[0].number == "+12042841000"
        uow.commit()
    assert _floors_behind(store) == [group_id]
    assert _raise_floor(store, group_id)
    with store.unit_of_work() as uow:
        assert taken_from(uow, group_id)[0].number == "+12042841001"
        assert [d.number for d in uow.dids.take_from_group(group_id, 5, DidEvent.RESERVE, NOW)] == [
            "+12042841002"
        ]
        uow.commit()
    assert not _raise_floor(store, group_id)  # none in stock: the floor stays
    assert _floors_behind(store) == []


def test_a_did_back_in_stock_below_the_floor_lowers_it_and_is_the_next_taken(
    store: Store,
) -> None:
    group_id = load_group(store, UNSORTED)
    with store.unit_of_work() as uow:
        first, _ = taken_from(uow, group_id)
        uow.commit()
    assert _raise_floor(store, group_id)  # to +12042841001
    with store.unit_of_work() as uow:
        assert uow.dids.start_aging(first.id, NOW)
        assert uow.dids.recycle_aged(NOW, NOW, None, 10)[0] == 1  # back in stock
        uow.commit()
    assert _floors_behind(store) == []  # lowered with it, in the same transaction
    with store.unit_of_work() as uow:
        assert taken_from(uow, group_id)[0].number == first.number
