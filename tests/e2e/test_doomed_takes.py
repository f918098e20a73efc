"""Requests bound to fail never make a group look exhausted to others: an account that
cannot pay, or that asks for more numbers than the group has, takes the group's DIDs
for a moment before it finds out and rolls back. Meanwhile another account's requests
from the same group must still succeed, through a served API with several workers."""

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.testing.servers import RunningServer
from tests.dbstate import assignment_is_consistent, group_stock_matches, holds_are_consistent
from tests.e2e.test_concurrent_provisioning import racing_workers
from tests.factories import add_account, add_group

DOOMED_CLIENTS = 4
HOLDS = 40
API = "/api/v2"


def fail_until_told(base_url: str, key: str, group_id: int, start: Any, stop: Any) -> Counter[int]:
    """One client of an account without credit, repeating requests that take DIDs and
    then fail, until the other account is done."""
    doomed = [
        ("POST", f"{API}/orders", {"did_group_id": group_id, "quantity": 3}),  # more than there are
        ("POST", f"{API}/orders", {"did_group_id": group_id, "quantity": 1}),  # cannot pay
        ("POST", f"{API}/countries/didgroups/{group_id}/provision", None),  # cannot pay
    ]
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        start.wait()
        while not stop.is_set():
            for method, path, body in doomed:
                statuses[client.request(method, path, json=body).status_code] += 1
    return statuses


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[Database, dict[str, str]]]:
    """A migrated database and the environment that serves it."""
    env_fixture = "server_env" if request.param == "sqlite" else "postgres_env"
    env: dict[str, str] = request.getfixturevalue(env_fixture)
    upgrade(env["FAXNUM_DATABASE_URL"])
    database = Database(env["FAXNUM_DATABASE_URL"])
    yield database, env
    database.dispose()


def test_requests_bound_to_fail_never_make_a_group_look_exhausted_to_others(
    store: tuple[Database, dict[str, str]], start_server: Callable[..., RunningServer]
) -> None:
    database, env = store
    group_id = add_group(database, count=2, setup="1.00", monthly="2.00")
    broke = add_account(database, "broke@example.com", "0.00")
    buyer = add_account(database, "buyer@example.com", "1000.00")
    server = start_server("--workers", racing_workers(database), "--no-access-log", env=env)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(DOOMED_CLIENTS) as pool:
        start, stop = manager.Barrier(DOOMED_CLIENTS + 1), manager.Event()
        failing = pool.starmap_async(
            fail_until_told,
            [(server.base_url, broke.api_key, group_id, start, stop)] * DOOMED_CLIENTS,
        )
        answers: Counter[int] = Counter()
        headers = {"X-API-Key": buyer.api_key}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            start.wait()
            for _ in range(HOLDS):
                held = client.post(
                    f"{API}/reservations", json={"did_group_id": group_id, "quantity": 1}
                )
                answers[held.status_code] += 1
                if held.status_code == 200:
                    gone = client.delete(f"{API}/reservations/{held.json()['data']['id']}")
                    assert gone.status_code == 200, gone.text
            stop.set()
        doomed = sum(failing.get(timeout=120), Counter())
    assert answers == {200: HOLDS}, answers
    assert set(doomed) <= {402, 409}, doomed
    engine = database.write_engine
    assert assignment_is_consistent(engine)
    assert group_stock_matches(engine)
    assert holds_are_consistent(engine)
