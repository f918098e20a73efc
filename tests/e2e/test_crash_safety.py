"""SIGKILL the server in the middle of provisioning, restart it, and check that nothing
answered with 200 was lost and nothing half-done remains. Several kill points."""

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from faxnum.domain.numbers import NewDid
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids, numbers
from faxnum.testing.servers import RunningServer
from tests.dbstate import assignment_is_consistent, balances_match_ledger, group_stock_matches
from tests.factories import add_account, add_group, real_numbers

CLIENTS = 4
KILL_AFTER_S = (0.3, 1.0, 2.0)


def warm_up(_: int) -> None:
    """Runs once in each client process so that imports are done before the clock starts."""


def provision_until_gone(
    base_url: str, key: str, group_id: int, give_up_at: float
) -> list[tuple[int, str]]:
    """Provision until the server disappears; every number it answered with 200."""
    answered = []
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=10) as client:
        while time.monotonic() < give_up_at:
            try:
                response = client.post(f"/api/v2/countries/didgroups/{group_id}/provision")
            except httpx.TransportError:
                break
            if response.status_code == 200:
                data = response.json()["data"]
                answered.append((data["id"], data["number"]))
    return answered


def test_answered_provisions_survive_sigkill_and_nothing_is_half_done(
    served_database: Database, start_server: Callable[..., RunningServer]
) -> None:
    group_id = add_group(served_database, count=1)
    more = real_numbers("CA", "Winnipeg, MB", 1500, seed=11)
    with served_database.unit_of_work() as uow:
        uow.dids.add_missing([NewDid(group_id, n, None) for n in more], datetime.now(UTC))
        uow.commit()
    keys = [
        add_account(served_database, f"c{i}@example.com", "100000.00").api_key
        for i in range(CLIENTS)
    ]
    answered: list[tuple[int, str]] = []
    context = multiprocessing.get_context("spawn")

    for kill_after in KILL_AFTER_S:
        server = start_server("--no-access-log")
        with context.Pool(CLIENTS) as pool:
            pool.map(warm_up, range(CLIENTS))
            pending = pool.starmap_async(
                provision_until_gone,
                [(server.base_url, key, group_id, time.monotonic() + 30) for key in keys],
            )
            time.sleep(kill_after)
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
            answered += [item for items in pending.get(timeout=60) for item in items]

        restarted = start_server("--no-access-log")  # opening the file replays its WAL
        assert httpx.get(f"{restarted.base_url}/readyz").status_code == 200
        with served_database.write_engine.connect() as connection:
            stored = dict(
                connection.execute(
                    select(numbers.c.id, dids.c.number).join(dids, dids.c.id == numbers.c.did_id)
                ).all()
            )
        assert all(stored.get(number_id) == number for number_id, number in answered)
        assert assignment_is_consistent(served_database.write_engine)
        assert group_stock_matches(served_database.write_engine)
        assert balances_match_ledger(served_database.write_engine)
        restarted.process.terminate()
        restarted.process.wait(timeout=30)

    assert len(answered) > 0
