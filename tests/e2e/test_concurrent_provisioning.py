"""Many OS processes provisioning from one small group through a multi-worker server:
no DID is handed out twice, and every success is charged exactly once."""

import multiprocessing
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from faxnum.store.db.database import Database
from faxnum.store.db.tables import accounts, dids, numbers
from faxnum.testing.servers import RunningServer
from tests.dbstate import (
    assignment_is_consistent,
    balances_match_ledger,
    group_stock_matches,
    number_counts_match,
)
from tests.factories import add_account, add_group, balance_of

CLIENTS = 8
REQUESTS_PER_CLIENT = 25
GROUP_SIZE = 50
CREDIT = Decimal("100.00")
PRICE = Decimal("3.00")  # setup 1.00 + first month 2.00


def hammer(
    base_url: str, key: str, group_id: int, start: Any
) -> list[tuple[int, dict[str, object]]]:
    """One client process: wait for the others, then provision as fast as it can."""
    outcomes = []
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        start.wait()
        for _ in range(REQUESTS_PER_CLIENT):
            response = client.post(f"/api/v2/countries/didgroups/{group_id}/provision")
            outcomes.append((response.status_code, response.json()))
    return outcomes


def race_for_one_group(
    database: Database,
    start_server: Callable[..., RunningServer],
    clients: int,
    *serve_options: str,
    env: dict[str, str] | None = None,
) -> None:
    """`clients` processes race for the DIDs of one group through a served API: every
    DID goes to exactly one of them and each pays exactly for what it won."""
    group_id = add_group(database, count=GROUP_SIZE, setup="1.00", monthly="2.00")
    keys = [add_account(database, f"client{i}@example.com", str(CREDIT)) for i in range(clients)]
    server = start_server(*serve_options, env=env)

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(clients) as pool:
        start = manager.Barrier(clients)
        per_client = pool.starmap(
            hammer, [(server.base_url, k.api_key, group_id, start) for k in keys]
        )

    statuses = Counter(status for outcomes in per_client for status, _ in outcomes)
    assert statuses == {200: GROUP_SIZE, 409: clients * REQUESTS_PER_CLIENT - GROUP_SIZE}
    won = [body["data"] for outcomes in per_client for status, body in outcomes if status == 200]
    assert len({d["didid"] for d in won}) == GROUP_SIZE  # type: ignore[index]
    assert len({d["number"] for d in won}) == GROUP_SIZE  # type: ignore[index]

    engine = database.write_engine
    with engine.connect() as connection:
        assert (
            connection.execute(select(dids.c.state).where(dids.c.did_group_id == group_id))
            .scalars()
            .all()
            == ["assigned"] * GROUP_SIZE
        )
        holders = Counter(connection.execute(select(numbers.c.account_id)).scalars())
        balances = dict(connection.execute(select(accounts.c.id, accounts.c.balance_micros)).all())
    for account, outcomes in zip(keys, per_client, strict=True):
        successes = sum(status == 200 for status, _ in outcomes)
        assert holders.get(account.account_id, 0) == successes
        assert Decimal(balances[account.account_id]) / 1_000_000 == CREDIT - PRICE * successes
    assert assignment_is_consistent(engine)
    assert group_stock_matches(engine)
    assert balances_match_ledger(engine)
    assert number_counts_match(engine)


def racing_workers(database: Database) -> str:
    """PostgreSQL is where several workers (and machines) share a store: the races run
    through four of them there; SQLite's writers serialise on its file, two suffice."""
    return "2" if database.sqlite else "4"


def test_eight_processes_race_for_fifty_dids(
    served_database: Database, start_server: Callable[..., RunningServer]
) -> None:
    workers = racing_workers(served_database)
    race_for_one_group(
        served_database, start_server, CLIENTS, "--workers", workers, "--no-access-log"
    )


def register_once(base_url: str, email: str, start: Any) -> int:
    start.wait()
    # As long as the behaviour may take: eight password hashes, two at a time per worker.
    response = httpx.post(
        f"{base_url}/api/v2/user",
        json={"email": email, "password": "correct horse battery"},
        timeout=120,
    )
    return response.status_code


def test_concurrent_registrations_of_one_email_have_exactly_one_winner(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    server = start_server("--workers", "2", "--no-access-log")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(CLIENTS) as pool:
        start = manager.Barrier(CLIENTS)
        statuses = pool.starmap(
            register_once, [(server.base_url, "Same@Example.com", start)] * CLIENTS
        )
    assert Counter(statuses) == {200: 1, 409: CLIENTS - 1}


def provision_repeatedly(base_url: str, key: str, group_id: int, start: Any) -> list[int]:
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        start.wait()
        return [
            client.post(f"/api/v2/countries/didgroups/{group_id}/provision").status_code
            for _ in range(10)
        ]


def test_two_sub_accounts_racing_for_one_numbers_worth_of_balance(
    served_database: Database, start_server: Callable[..., RunningServer]
) -> None:
    group_id = add_group(served_database, count=10, setup="1.00", monthly="2.00")
    parent = add_account(served_database, "parent@example.com", "3.00")
    server = start_server("--workers", racing_workers(served_database), "--no-access-log")
    subs = [
        httpx.post(
            f"{server.base_url}/api/v2/subuser",
            json={"email": f"sub{i}@example.com"},
            headers={"X-API-Key": parent.api_key},
            timeout=60,
        ).json()["api_key"]
        for i in range(2)
    ]

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        results = pool.starmap(
            provision_repeatedly, [(server.base_url, key, group_id, start) for key in subs]
        )

    assert Counter(status for statuses in results for status in statuses) == {200: 1, 402: 19}
    assert balance_of(served_database, parent.account_id) == 0
    assert assignment_is_consistent(served_database.write_engine)
    assert group_stock_matches(served_database.write_engine)
    assert balances_match_ledger(served_database.write_engine)
