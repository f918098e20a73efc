"""Idempotency keys and the count of reserved numbers."""

from datetime import timedelta
from decimal import Decimal

from faxnum.domain.did_states import DidEvent
from faxnum.domain.idempotency import Outcome
from faxnum.domain.pagination import PageRequest
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


def test_money_promised_to_holds_is_kept_from_purchases_but_not_from_bills(
    store: Store,
) -> None:
    caller = open_account(store, "owner@example.com", credit="10.00")
    with store.unit_of_work() as uow:
        assert uow.accounts.hold_money(caller.account_id, Decimal("7.00"))
        assert not uow.accounts.hold_money(caller.account_id, Decimal("3.01"))  # 3.00 free
        uow.commit()
    with store.unit_of_work() as uow:  # a purchase may spend the 3.00 not promised
        assert uow.accounts.change_balance(caller.account_id, Decimal("-3.01"), True) is None
        assert uow.accounts.change_balance(caller.account_id, Decimal("-3.00"), True)
        uow.commit()
    with store.unit_of_work() as uow:  # a bill (renewal) is owed whatever was promised
        change = uow.accounts.change_balance(caller.account_id, Decimal("-5.00"))
        assert change is not None and change.after == Decimal("2.00")
        assert uow.accounts.change_balance(caller.account_id, Decimal("1.00"), True)  # credit
        uow.accounts.release_money(caller.account_id, Decimal("7.00"))
        assert uow.accounts.hold_money(caller.account_id, Decimal("3.00"))
        uow.accounts.release_money(caller.account_id, Decimal("99.00"))  # never below zero
        assert uow.accounts.hold_money(caller.account_id, Decimal("3.00"))


def test_a_hold_keeps_the_value_it_promises(store: Store) -> None:
    group_id = load_group(store, ["+12042841000", "+12042841001"], setup="1.50")
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        taken = uow.dids.take_from_group(group_id, 2, DidEvent.RESERVE, NOW)
        held = uow.reservations.add_hold(
            caller.account_id,
            [d.id for d in taken],
            NOW,
            NOW + timedelta(minutes=10),
            Decimal("7.00"),
        )
        uow.commit()
    with store.unit_of_work() as uow:
        found = uow.reservations.get(held, caller.account_id)
    assert found is not None and found.value == Decimal("7.00")


def test_a_parent_sees_its_subaccounts_holds_and_only_their_holder_orders_them(
    store: Store,
) -> None:
    group_id = load_group(store, ["+12042841000", "+12042841001"])
    parent = open_account(store, "parent@example.com")
    sub = open_account(store, "sub@example.com", parent=parent.account_id)
    other = open_account(store, "other@example.com")
    with store.unit_of_work() as uow:
        [did] = uow.dids.take_from_group(group_id, 1, DidEvent.RESERVE, NOW)
        until = NOW + timedelta(minutes=10)
        held = uow.reservations.add_hold(sub.account_id, [did.id], NOW, until, Decimal("3.00"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.reservations.visible(held, parent.account_id) is not None
        assert uow.reservations.visible(held, sub.account_id) is not None
        assert uow.reservations.visible(held, other.account_id) is None
        assert uow.reservations.get(held, parent.account_id) is None  # not the parent's own
        listed = {
            viewer.account_id: [
                r.id for r in uow.reservations.page_for(viewer.account_id, PageRequest())[0]
            ]
            for viewer in (parent, sub, other)
        }
    assert listed == {parent.account_id: [held], sub.account_id: [held], other.account_id: []}
