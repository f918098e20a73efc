"""Balances, payers and who sees what."""

from datetime import date
from decimal import Decimal

import pytest

from faxnum.domain.pagination import PageRequest
from tests.contract.conftest import NOW, Store, load_group, open_account, taken_from

NUMBERS = ["+12042841000", "+12042841001", "+12042841002"]


def test_a_balance_never_goes_below_zero(store: Store) -> None:
    caller = open_account(store, "owner@example.com", credit="3.00")
    with store.unit_of_work() as uow:
        assert uow.accounts.change_balance(caller.account_id, Decimal("-3.01")) is None
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(caller.account_id) == Decimal("3.00")
        change = uow.accounts.change_balance(caller.account_id, Decimal("-3.00"))
        uow.commit()
    assert change is not None
    assert (change.before, change.after) == (Decimal("3.00"), Decimal(0))
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(caller.account_id) == Decimal(0)


def test_a_subaccount_spends_its_parents_balance(store: Store) -> None:
    parent = open_account(store, "parent@example.com")
    sub = open_account(store, "sub@example.com", credit="0", parent=parent.account_id)
    assert (sub.parent_id, sub.payer_id) == (parent.account_id, parent.account_id)
    assert parent.payer_id == parent.account_id


@pytest.mark.parametrize("disabled", ["parent", "sub"])
def test_a_disabled_account_or_parent_shuts_the_subaccounts_key_out(
    store: Store, disabled: str
) -> None:
    parent = open_account(store, "parent@example.com")
    sub = open_account(store, "sub@example.com", parent=parent.account_id)
    target = parent if disabled == "parent" else sub
    with store.unit_of_work() as uow:
        assert uow.accounts.set_disabled(target.account_id, True)
        uow.commit()
    with store.unit_of_work() as uow:
        credentials = uow.accounts.login_candidates("sub@example.com")
    assert [(c.account_id, c.disabled) for c in credentials] == [(sub.account_id, True)]


def test_an_account_sees_its_own_and_its_subaccounts_numbers_only(store: Store) -> None:
    group_id = load_group(store, NUMBERS)
    parent = open_account(store, "parent@example.com")
    sub = open_account(store, "sub@example.com", parent=parent.account_id)
    other = open_account(store, "other@example.com")
    held = {}
    with store.unit_of_work() as uow:
        for holder in (parent, sub, other):
            did, _ = taken_from(uow, group_id)
            assert did is not None
            held[holder.account_id] = uow.numbers.add_number(
                holder.account_id, did.id, group_id, holder.trunk_id, NOW, date(2026, 2, 28)
            )
        uow.commit()
    with store.unit_of_work() as uow:
        listed = {
            viewer.account_id: {
                n.id for n in uow.numbers.page_for(viewer.account_id, PageRequest())[0]
            }
            for viewer in (parent, sub, other)
        }
        sub_sees_parents = uow.numbers.visible(held[parent.account_id], sub.account_id)
        parent_sees_subs = uow.numbers.visible(held[sub.account_id], parent.account_id)
        other_sees_subs = uow.numbers.visible(held[sub.account_id], other.account_id)
    assert listed[parent.account_id] == {held[parent.account_id], held[sub.account_id]}
    assert listed[sub.account_id] == {held[sub.account_id]}
    assert listed[other.account_id] == {held[other.account_id]}
    assert sub_sees_parents is None and other_sees_subs is None
    assert parent_sees_subs is not None and parent_sees_subs.account_id == sub.account_id


def test_a_released_number_is_no_longer_listed_or_visible(store: Store) -> None:
    group_id = load_group(store, NUMBERS)
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        did, _ = taken_from(uow, group_id)
        assert did is not None
        number_id = uow.numbers.add_number(
            caller.account_id, did.id, group_id, caller.trunk_id, NOW, date(2026, 2, 28)
        )
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.numbers.release(number_id, NOW)
        assert not uow.numbers.release(number_id, NOW)  # never twice
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.numbers.visible(number_id, caller.account_id) is None
        assert uow.numbers.page_for(caller.account_id, PageRequest()) == ([], 0)


def test_a_new_password_hash_is_what_a_login_checks_next(store: Store) -> None:
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        assert uow.accounts.set_password_hash(caller.account_id, "$argon2id$stand-in")
        assert not uow.accounts.set_password_hash(999_999, "$argon2id$stand-in")
        uow.commit()
    with store.unit_of_work() as uow:
        [credentials] = uow.accounts.login_candidates("owner@example.com")
    assert (credentials.account_id, credentials.password_hash) == (
        caller.account_id,
        "$argon2id$stand-in",
    )
