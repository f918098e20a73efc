"""Renewal over several months with a frozen clock: charge, expire, grace, release, aging."""

import asyncio
import logging
import time as time_module
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.services.accounts import authenticate
from faxnum.services.billing import credit_account
from faxnum.services.lifecycle import RenewalReport, dry_run, renew_due
from faxnum.services.provisioning import provision
from faxnum.services.renewal_schedule import renew_periodically
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids, idempotency_keys, ledger_entries, numbers
from faxnum.store.db.uow import ConnectionUnitOfWork
from faxnum.store.inventory import DidQueries
from tests.dbstate import balances_match_ledger, group_stock_matches, snapshot
from tests.factories import add_account, add_group
from tests.waiting import STUCK_AFTER_S

POLICY = LifecyclePolicy(grace_days=7, aging_days=30)


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


class Scenario:
    """One account holding one number bought on 2026-01-31 (setup 1.00, monthly 2.00)."""

    def __init__(self, database: Database, credit: str) -> None:
        self.database = database
        self.group_id = add_group(database, count=2, setup="1.00", monthly="2.00")
        owner = add_account(database, credit=credit)
        self.account_id = owner.account_id
        with database.reader() as uow:
            self.caller = authenticate(uow, owner.api_key)
        with database.unit_of_work() as uow:
            self.number = provision(uow, self.caller, self.group_id, at(date(2026, 1, 31)))

    def renew(self, day: date) -> RenewalReport:
        report = renew_due(self.database.unit_of_work, day, at(day), POLICY)
        assert balances_match_ledger(self.database.write_engine)
        return report

    def balance(self) -> Decimal:
        with self.database.reader() as uow:
            return uow.accounts.balance(self.account_id)

    def number_row(self) -> tuple[date, str, object]:
        with self.database.write_engine.connect() as connection:
            row = connection.execute(
                select(numbers.c.expiration_date, numbers.c.status, numbers.c.released_at).where(
                    numbers.c.id == self.number.id
                )
            ).one()
        return row.expiration_date, row.status, row.released_at

    def did_state(self) -> str:
        with self.database.write_engine.connect() as connection:
            return str(
                connection.execute(
                    select(dids.c.state).where(dids.c.id == self.number.did.id)
                ).scalar_one()
            )

    def top_up(self, amount: str, day: date) -> None:
        with self.database.unit_of_work() as uow:
            credit_account(uow, self.account_id, Decimal(amount), "top-up", at(day))


def test_provisioning_pays_the_first_month_and_expires_a_month_later(database: Database) -> None:
    scenario = Scenario(database, credit="10.00")
    assert scenario.number_row()[:2] == (date(2026, 2, 28), "Active")
    assert scenario.balance() == Decimal("7.00")


def test_nothing_is_due_before_the_expiration_date(database: Database) -> None:
    scenario = Scenario(database, credit="10.00")
    assert scenario.renew(date(2026, 2, 27)) == RenewalReport()
    assert scenario.balance() == Decimal("7.00")


def test_renewal_charges_once_per_month_however_often_it_runs(database: Database) -> None:
    scenario = Scenario(database, credit="10.00")
    assert scenario.renew(date(2026, 2, 28)).renewed_months == 1
    assert scenario.renew(date(2026, 2, 28)).renewed_months == 0
    assert scenario.renew(date(2026, 3, 1)).renewed_months == 0
    assert scenario.number_row()[:2] == (date(2026, 3, 28), "Active")
    assert scenario.balance() == Decimal("5.00")
    with database.write_engine.connect() as connection:
        kinds = (
            connection.execute(select(ledger_entries.c.kind).order_by(ledger_entries.c.id))
            .scalars()
            .all()
        )
    assert kinds == ["credit", "charge", "renewal"]


def test_missed_runs_are_caught_up_month_by_month(database: Database) -> None:
    scenario = Scenario(database, credit="10.00")
    report = scenario.renew(date(2026, 5, 1))
    assert report.renewed_months == 3  # Feb 28, Mar 28, Apr 28
    assert scenario.number_row()[:2] == (date(2026, 5, 28), "Active")
    assert scenario.balance() == Decimal("1.00")


def test_unpaid_number_expires_recovers_within_grace(database: Database) -> None:
    scenario = Scenario(database, credit="3.00")
    assert scenario.renew(date(2026, 2, 28)).expired == 1
    assert scenario.number_row()[:2] == (date(2026, 2, 28), "Expired")
    assert scenario.renew(date(2026, 3, 3)) == RenewalReport()  # still expired, nothing charged
    scenario.top_up("2.00", date(2026, 3, 4))
    assert scenario.renew(date(2026, 3, 4)).renewed_months == 1
    assert scenario.number_row()[:2] == (date(2026, 3, 28), "Active")
    assert scenario.balance() == 0


def test_after_the_grace_period_the_number_is_released_and_its_did_ages(database: Database) -> None:
    scenario = Scenario(database, credit="3.00")
    scenario.renew(date(2026, 2, 28))
    assert scenario.renew(date(2026, 3, 7)).released == 0  # day 7 of grace
    assert scenario.renew(date(2026, 3, 8)).released == 1
    _expiration, status, released_at = scenario.number_row()
    assert status == "Released" and released_at is not None
    assert scenario.did_state() == "aging"
    assert scenario.renew(date(2026, 3, 9)) == RenewalReport()
    assert scenario.balance() == 0


def test_aged_dids_return_to_stock_and_can_be_provisioned_again(database: Database) -> None:
    scenario = Scenario(database, credit="3.00")
    scenario.renew(date(2026, 2, 28))
    scenario.renew(date(2026, 3, 8))
    assert scenario.renew(date(2026, 4, 6)).recycled == 0
    assert scenario.renew(date(2026, 4, 7)).recycled == 1
    assert scenario.did_state() == "available"
    scenario.top_up("6.00", date(2026, 4, 7))
    with database.unit_of_work() as uow:
        again = provision(uow, scenario.caller, scenario.group_id, at(date(2026, 4, 7)))
    with database.unit_of_work() as uow:
        third = provision(uow, scenario.caller, scenario.group_id, at(date(2026, 4, 7)))
    assert {again.did.id, third.did.id} >= {scenario.number.did.id}
    assert balances_match_ledger(database.write_engine)


def test_a_long_run_goes_batch_by_batch_and_a_dry_run_of_it_ends(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Due numbers, aged DIDs and old idempotency keys are handled a batch (here 2) per
    transaction; a dry run, whose batches all roll back, still ends and counts right."""
    monkeypatch.setattr("faxnum.services.lifecycle.BATCH", 2)
    group_id = add_group(database, count=5, setup="0.00", monthly="1.00")
    owner = add_account(database, credit="5.00")
    with database.reader() as uow:
        caller = authenticate(uow, owner.api_key)
    for _ in range(5):
        with database.unit_of_work() as uow:
            provision(uow, caller, group_id, at(date(2026, 1, 31)))
    with database.write_engine.begin() as connection:
        connection.execute(
            idempotency_keys.insert(),
            [
                {
                    "account_id": owner.account_id,
                    "key": f"k{i}",
                    "fingerprint": "f",
                    "created_at": at(date(2026, 1, 1)),
                }
                for i in range(5)
            ],
        )

    def renew(day: date, *, dry: bool = False) -> RenewalReport:
        writes = dry_run(database.unit_of_work) if dry else database.unit_of_work
        return renew_due(writes, day, at(day), POLICY)

    assert renew(date(2026, 2, 28)).expired == 5
    assert renew(date(2026, 3, 8)).released == 5
    before = snapshot(database.write_engine)
    assert renew(date(2026, 4, 8), dry=True).recycled == 5
    assert snapshot(database.write_engine) == before
    batches: list[int] = []
    recycle = DidQueries.recycle_aged

    def spied(self: DidQueries, *args: Any) -> Any:
        moved = recycle(self, *args)
        batches.append(moved[0])
        return moved

    monkeypatch.setattr(DidQueries, "recycle_aged", spied)
    assert renew(date(2026, 4, 8)).recycled == 5
    assert batches == [2, 2, 1]
    with database.write_engine.connect() as connection:
        states = connection.execute(select(dids.c.state)).scalars().all()
        keys = connection.execute(select(idempotency_keys.c.id)).all()
    assert states == ["available"] * 5 and keys == []
    assert group_stock_matches(database.write_engine)


@pytest.mark.parametrize("runs", [2, 5])
def test_concurrent_style_repeated_runs_never_double_charge(database: Database, runs: int) -> None:
    scenario = Scenario(database, credit="20.00")
    for _ in range(runs):
        scenario.renew(date(2026, 3, 28))
    assert scenario.balance() == Decimal("13.00")  # 20 - 3 - 2 (Feb 28) - 2 (Mar 28)


def test_a_served_app_runs_the_billing_at_start_and_says_so(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = Scenario(database, credit="10.00")  # 7.00 left, the number due on Feb 28
    hourly = settings.model_copy(update={"renew_interval_s": 3600})
    with (
        caplog.at_level(logging.INFO, logger="faxnum"),
        TestClient(create_app(hourly, clock=lambda: at(date(2026, 2, 28)))),
    ):
        deadline = time_module.monotonic() + STUCK_AFTER_S

        def summaries() -> list[str]:
            return [r.getMessage() for r in caplog.records if "renewal run" in r.getMessage()]

        # The run's summary comes after its last batch (purges included): wait for it.
        while not summaries() and time_module.monotonic() < deadline:
            time_module.sleep(0.05)
    assert scenario.balance() == Decimal("5.00")  # billed without waiting an hour
    assert summaries() == [
        "renewal run as of 2026-02-28: renewed 1 number-months; expired 0; "
        "released 0; DIDs back in stock after aging: 0; expiry warnings: 0; "
        "faxes past retention deleted: 0"
    ]


def test_a_billing_run_that_failed_is_tried_again_without_waiting_the_interval(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = Scenario(database, credit="10.00")  # the number due on Feb 28
    attempts: list[int] = []

    def dropped_once() -> ConnectionUnitOfWork:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return database.unit_of_work()

    async def until_billed() -> None:
        schedule = asyncio.create_task(
            renew_periodically(
                dropped_once, database.reader, POLICY, 3600, lambda: at(date(2026, 2, 28)), 0
            )
        )
        try:
            while not any("renewal run as of" in r.getMessage() for r in caplog.records):
                await asyncio.sleep(0.05)
        finally:
            schedule.cancel()

    with caplog.at_level(logging.INFO, logger="faxnum"):
        asyncio.run(asyncio.wait_for(until_billed(), STUCK_AFTER_S))

    assert any("renewal run failed" in r.getMessage() for r in caplog.records)
    assert scenario.balance() == Decimal("5.00")
