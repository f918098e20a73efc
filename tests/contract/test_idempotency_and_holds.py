"""Idempotency keys and the count of reserved numbers."""

from datetime import timedelta
from decimal import Decimal

from faxnum.domain.did_states import DidEvent
from faxnum.domain.idempotency import Outcome
from tests.contract.conftest import NOW, Store, load_group, open_account


def test_an_idempotency_key_is_claimed_once_until_it_expires(store: Store) -> None:
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(caller.account_id, "k1", "fp", NOW, NOW - timedelta(1))
        uow.commit()
    with store.unit_of_work() as uow:
        assert not uow.idempotency.claim(caller.account_id, "k1", "fp2", NOW, NOW - timedelta(1))
        assert uow.idempotency.recorded(caller.account_id, "k1", Outcome.NUMBER) == ("fp", None)
    other = open_account(store, "other@example.com")
    with store.unit_of_work() as uow:  # keys are per account
        assert uow.idempotency.claim(other.account_id, "k1", "fp", NOW, NOW - timedelta(1))
    later = NOW + timedelta(days=2)
    with store.unit_of_work() as uow:  # an expired claim is gone: the key is free again
        assert uow.idempotency.claim(caller.account_id, "k1", "fp3", later, later - timedelta(1))
        assert uow.idempotency.recorded(caller.account_id, "k1", Outcome.NUMBER) == ("fp3", None)


def test_an_unclaimed_key_has_no_record(store: Store) -> None:
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        assert uow.idempotency.recorded(caller.account_id, "never", Outcome.NUMBER) is None


def test_the_reserved_count_never_passes_its_limit(store: Store) -> None:
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        assert uow.reservations.hold_count(caller.account_id, 3, 4)
        assert not uow.reservations.hold_count(caller.account_id, 2, 4)
        assert uow.reservations.hold_count(caller.account_id, 1, 4)
        uow.reservations.release_count(caller.account_id, 4)
        assert uow.reservations.hold_count(caller.account_id, 4, 4)


def test_the_value_of_holds_counts_the_live_holds_of_the_whole_tree(store: Store) -> None:
    group_id = load_group(store, ["+12042841000", "+12042841001", "+12042841002"], setup="1.50")
    parent = open_account(store, "parent@example.com")
    sub = open_account(store, "sub@example.com", parent=parent.account_id)
    other = open_account(store, "other@example.com")
    with store.unit_of_work() as uow:
        taken = uow.dids.take_from_group(group_id, 3, DidEvent.RESERVE, NOW)
        uow.reservations.add(parent.account_id, [taken[0].id], NOW, NOW + timedelta(minutes=10))
        uow.reservations.add(sub.account_id, [taken[1].id], NOW, NOW + timedelta(minutes=10))
        uow.reservations.add(other.account_id, [taken[2].id], NOW, NOW + timedelta(minutes=10))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.reservations.held_value(parent.account_id, NOW) == Decimal("7.00")
        assert uow.reservations.held_value(other.account_id, NOW) == Decimal("3.50")
        later = NOW + timedelta(minutes=10)  # expired holds promise nothing
        assert uow.reservations.held_value(parent.account_id, later) == Decimal(0)
