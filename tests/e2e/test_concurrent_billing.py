"""Billing runs started at the same moment from several processes, on both stores:
every month is charged once, whatever runs meet."""

import subprocess
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from faxnum.services.accounts import authenticate
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.store.db.tables import ledger_entries, numbers
from faxnum.testing.servers import faxnum_command
from tests.dbstate import balances_match_ledger
from tests.factories import add_account, add_group

ACCOUNTS = 12
RUNS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def billing_env(request: pytest.FixtureRequest, server_env: dict[str, str]) -> dict[str, str]:
    if request.param == "sqlite":
        return server_env
    env: dict[str, str] = request.getfixturevalue("postgres_env")
    return env


def test_concurrent_billing_runs_charge_every_month_once(billing_env: dict[str, str]) -> None:
    subprocess.run(faxnum_command("migrate"), env=billing_env, check=True, capture_output=True)
    database = Database(billing_env["FAXNUM_DATABASE_URL"])
    group_id = add_group(database, count=ACCOUNTS, setup="1.00", monthly="2.00")
    for n in range(ACCOUNTS):
        owner = add_account(database, f"payer{n}@example.com", credit="10.00")
        with database.reader() as uow:
            caller = authenticate(uow, owner.api_key)
        with database.unit_of_work() as uow:
            provision(uow, caller, group_id, datetime(2030, 1, 15, 12, tzinfo=UTC))

    runs = [
        subprocess.Popen(
            faxnum_command("billing", "renew", "--today", "2030-03-15", "--yes"),
            env=billing_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RUNS)
    ]
    outcomes = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), outcomes

    with database.write_engine.connect() as connection:
        renewals = Counter(
            connection.execute(
                select(ledger_entries.c.number_id).where(ledger_entries.c.kind == "renewal")
            ).scalars()
        )
        expirations = set(connection.execute(select(numbers.c.expiration_date)).scalars())
    assert len(renewals) == ACCOUNTS and set(renewals.values()) == {2}  # Feb 15 and Mar 15
    assert expirations == {date(2030, 4, 15)}
    renewed = sum(int(out.split("Renewed ")[1].split(" ")[0]) for out, _ in outcomes)
    assert renewed == 2 * ACCOUNTS  # the runs split the work; none did any twice
    assert balances_match_ledger(database.write_engine)
    database.dispose()
