"""Money: every balance change has its ledger entry; renewal charges each month once,
then expires and releases what stays unpaid."""

import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, InsufficientBalance, Invalid
from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.domain.numbers import DidState, NumberStatus
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.billing import charge, credit, credit_account
from faxnum.services.lifecycle import dry_run, renew_due
from faxnum.services.provisioning import provision
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, open_account

POLICY = LifecyclePolicy(grace_days=7, aging_days=30)


def balance_and_ledger(store: FakeStore, account_id: int) -> tuple[Decimal, Decimal]:
    with store.unit_of_work() as uow:
        ledger_sum = sum(
            (e["amount"] for e in uow.tables.ledger.values() if e["account_id"] == account_id),
            Decimal(0),
        )
        return uow.accounts.balance(account_id), ledger_sum


def test_a_charge_never_takes_the_balance_below_zero(store: FakeStore, caller: Caller) -> None:
    with store.unit_of_work() as uow:
        charge(uow, caller.account_id, Decimal("9.99"), "almost all", NOW)
        with pytest.raises(InsufficientBalance):
            charge(uow, caller.account_id, Decimal("0.02"), "one cent too many", NOW)
        uow.commit()
    assert balance_and_ledger(store, caller.account_id) == (Decimal("0.01"), Decimal("0.01"))


def test_credits_are_positive_and_written_to_the_ledger(store: FakeStore, caller: Caller) -> None:
    with store.unit_of_work() as uow:
        credit_account(uow, caller.account_id, Decimal("2.50"), "top-up", NOW)
    assert balance_and_ledger(store, caller.account_id) == (Decimal("12.50"), Decimal("12.50"))
    with store.unit_of_work() as uow, pytest.raises(Invalid):
        credit(uow, caller.account_id, Decimal("-1"), "a debit in disguise", NOW)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def provisioned_on_january_31(store: FakeStore, caller: Caller, group_id: int) -> int:
    with store.unit_of_work() as uow:
        return provision(uow, caller, group_id, NOW).id


def test_renewal_charges_each_month_that_has_come_and_only_once(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    number_id = provisioned_on_january_31(store, caller, group_id)  # balance 7.00

    report = renew_due(store.unit_of_work, date(2026, 3, 28), at(date(2026, 3, 28)), POLICY)
    again = renew_due(store.unit_of_work, date(2026, 3, 28), at(date(2026, 3, 28)), POLICY)

    assert (report.renewed_months, again.renewed_months) == (2, 0)  # Feb 28 and Mar 28
    assert store.tables.numbers[number_id]["expiration_date"] == date(2026, 4, 28)
    assert balance_and_ledger(store, caller.account_id) == (Decimal("3.00"), Decimal("3.00"))


def test_an_unpaid_number_expires_then_is_released_and_its_did_ages_back_to_stock(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    number_id = provisioned_on_january_31(store, caller, group_id)
    with store.unit_of_work() as uow:
        charge(uow, caller.account_id, Decimal("7.00"), "spent elsewhere", NOW)
        uow.commit()
    did_id = store.tables.numbers[number_id]["did_id"]

    expired = renew_due(store.unit_of_work, date(2026, 3, 1), at(date(2026, 3, 1)), POLICY)
    assert expired.expired == 1
    assert store.tables.numbers[number_id]["status"] == NumberStatus.EXPIRED.value

    released = renew_due(store.unit_of_work, date(2026, 3, 8), at(date(2026, 3, 8)), POLICY)
    assert released.released == 1
    assert store.tables.dids[did_id]["state"] == DidState.AGING

    recycled = renew_due(store.unit_of_work, date(2026, 4, 8), at(date(2026, 4, 8)), POLICY)
    assert recycled.recycled == 1
    assert store.tables.dids[did_id]["state"] == DidState.AVAILABLE
    assert balance_and_ledger(store, caller.account_id) == (Decimal("0"), Decimal("0"))


def test_a_number_settled_meanwhile_by_another_run_is_not_charged_again(
    store: FakeStore, caller: Caller, group_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    number_id = provisioned_on_january_31(store, caller, group_id)
    day = date(2026, 2, 28)
    with store.unit_of_work() as uow:
        due = uow.numbers.due(day, None, 100)
    # Another process renews the number between this run's read and its settlement.
    renew_due(store.unit_of_work, day, at(day), POLICY)
    monkeypatch.setattr("tests.fakes.FakeNumbers.due", lambda self, today, after, limit: due)

    report = renew_due(store.unit_of_work, day, at(day), POLICY)

    assert report.renewed_months == 0
    assert store.tables.numbers[number_id]["expiration_date"] == date(2026, 3, 28)
    assert balance_and_ledger(store, caller.account_id) == (Decimal("5.00"), Decimal("5.00"))


def test_a_dry_run_reports_the_run_and_changes_nothing(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    provisioned_on_january_31(store, caller, group_id)
    before = copy.deepcopy(store.tables)

    report = renew_due(dry_run(store.unit_of_work), date(2026, 3, 28), at(NOW.date()), POLICY)

    assert report.renewed_months == 2
    assert store.tables == before


def test_crediting_a_sub_account_is_refused(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    child = open_account(store, cipher, "child@example.com", credit="0", parent=caller.account_id)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        credit_account(uow, child.account_id, Decimal("5.00"), "top-up", NOW)
    assert balance_and_ledger(store, child.account_id) == (Decimal(0), Decimal(0))
