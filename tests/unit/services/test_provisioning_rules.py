"""Provisioning: all or nothing, charged to the payer, once per idempotency key."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, Exhausted, InsufficientBalance, Invalid, NotFound
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.domain.numbers import DidState, GroupSpec, ProvisionedNumber
from faxnum.domain.pagination import PageRequest
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.provisioning import provision, provision_idempotently
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, WINNIPEG, open_account, winnipeg_spec

DAY = timedelta(days=1)


def provision_once(store: FakeStore, caller: Caller, group_id: int) -> ProvisionedNumber:
    with store.unit_of_work() as uow:
        return provision(uow, caller, group_id, NOW)


def test_provisioning_takes_the_lowest_available_did_and_charges_setup_plus_a_month(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    provisioned = provision_once(store, caller, group_id)

    assert provisioned.did.number == WINNIPEG[0]
    assert provisioned.trunk_id == caller.trunk_id
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(caller.account_id) == Decimal("7.00")  # 10 - (1 + 2)
        entries, _ = uow.ledger.page_for(caller.account_id, PageRequest())
        assert [e.kind for e in entries] == ["charge", "credit"]
        entry = entries[0]
        assert (entry.kind, entry.amount, entry.number_id) == (
            "charge",
            Decimal("-3.00"),
            provisioned.id,
        )
    assert store.tables.dids[provisioned.did.id]["state"] == DidState.ASSIGNED
    expires = store.tables.numbers[provisioned.id]["expiration_date"]
    assert expires == date(2026, 2, 28)  # a month on, clamped to February's end


def test_each_provisioning_gets_another_did_until_the_group_is_exhausted(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    numbers = [provision_once(store, caller, group_id).did.number for _ in WINNIPEG]
    assert numbers == WINNIPEG
    with pytest.raises(Exhausted):
        provision_once(store, caller, group_id)


def test_an_unknown_group_is_not_found(store: FakeStore, caller: Caller) -> None:
    with pytest.raises(NotFound):
        provision_once(store, caller, 999)


def test_without_the_balance_nothing_is_provisioned_and_nothing_charged(
    store: FakeStore, cipher: KeyCipher, group_id: int
) -> None:
    poor = open_account(store, cipher, "poor@example.com", credit="2.99")
    before = _state(store)

    with pytest.raises(InsufficientBalance):
        provision_once(store, poor, group_id)

    assert _state(store) == before


def test_a_sub_account_spends_its_parents_balance_and_holds_the_number_itself(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    child = open_account(store, cipher, "child@example.com", credit="0", parent=caller.account_id)

    provisioned = provision_once(store, child, group_id)

    assert store.tables.numbers[provisioned.id]["account_id"] == child.account_id
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(caller.account_id) == Decimal("7.00")
        assert uow.accounts.balance(child.account_id) == Decimal("0")


def _idempotently(
    store: FakeStore, caller: Caller, group_id: int, key: str = "order-1"
) -> tuple[ProvisionedNumber, bool]:
    with store.unit_of_work() as uow:
        return provision_idempotently(
            uow,
            caller,
            group_id,
            NOW,
            IdempotentRequest.for_provisioning(key, group_id),
            retention=DAY,
        )


def test_a_repeated_idempotency_key_answers_the_first_number_and_charges_once(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    first, replayed_first = _idempotently(store, caller, group_id)
    again, replayed_again = _idempotently(store, caller, group_id)

    assert (replayed_first, replayed_again) == (False, True)
    assert again == first
    assert len(store.tables.numbers) == 1
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(caller.account_id) == Decimal("7.00")


def test_an_idempotency_key_reused_with_another_group_is_refused(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    _idempotently(store, caller, group_id)
    with store.unit_of_work() as uow:
        other = uow.catalogue.add_group(_other_spec(), None)
        uow.commit()
    with pytest.raises(Invalid) as refused:
        _idempotently(store, caller, other)
    assert "Idempotency-Key" in refused.value.errors


def test_a_failed_attempt_leaves_its_idempotency_key_free_for_the_retry(
    store: FakeStore, cipher: KeyCipher, group_id: int
) -> None:
    poor = open_account(store, cipher, "poor@example.com", credit="0")
    with pytest.raises(InsufficientBalance):
        _idempotently(store, poor, group_id)
    assert store.tables.idempotency == {}


def test_a_key_claimed_by_an_unfinished_attempt_is_a_conflict(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    request = IdempotentRequest.for_provisioning("order-1", group_id)
    with store.unit_of_work() as uow:
        uow.idempotency.claim(caller.account_id, request.key, request.fingerprint, NOW, NOW - DAY)
        uow.commit()  # as a concurrent transaction would hold it, without a number yet
    with pytest.raises(Conflict):
        _idempotently(store, caller, group_id)


def test_keys_of_another_account_are_its_own(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    stranger = open_account(store, cipher, "stranger@example.com")
    mine, _ = _idempotently(store, caller, group_id)
    theirs, replayed = _idempotently(store, stranger, group_id)
    assert not replayed and theirs.did != mine.did


def _other_spec() -> GroupSpec:
    spec = winnipeg_spec(["+12049491000"])
    spec.area_code = "205"
    return spec


def _state(store: FakeStore) -> tuple[object, ...]:
    t = store.tables
    return (
        {i: a["balance"] for i, a in t.accounts.items()},
        dict(t.numbers),
        dict(t.ledger),
        {i: d["state"] for i, d in t.dids.items()},
    )
