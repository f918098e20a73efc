"""What PostgreSQL itself allows for provisioning on this machine, without faxnum.

The statements of one provisioning (those of `reference_server.py`, in PostgreSQL's
syntax, the DID taken as faxnum takes it, from the group's stock floor up with `FOR
UPDATE SKIP LOCKED`) run from two threads, as a faxnum worker runs them (`--threads`),
on raw psycopg connections against a fresh database prepared as `provision.py` prepares
one (a group of 200,000 DIDs), while one more connection raises the group's floor
every 2 s as `faxnum serve` does (`--no-floor-raise`:
never, so each take steps over every DID taken before it, as faxnum's takes did before
the floor). Two forms: ten round trips a provisioning, and the reads pipelined with
every write in one data-modifying CTE (three round trips). It prints provisions per
second, the client's CPU and all `postgres` processes' CPU per provisioning, and the
pages the take's walk of the stock reads after it, round after round (the rounds share
one database, as a server's requests do). faxnum's PostgreSQL figures in
`provision.py` are read against these.

    FAXNUM_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1/postgres \\
        python bench/postgres_ceiling.py [--rounds 3] [--seconds 5] [--unix-socket DIR]
        [--before "SQL run once before the rounds" ...] [--synchronous-commit off]
        [--no-floor-raise] [--threads 2]
"""

import argparse
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from provision import fresh_postgres_database, postgres_cpu_seconds, prepare, vacuum

THREADS = 2  # as `faxnum.store.db.database.POSTGRES_THREADS`
HOLDER = (
    "SELECT accounts.id, trunks.id FROM api_keys "
    "JOIN accounts ON accounts.id = api_keys.account_id "
    "LEFT OUTER JOIN accounts AS parent ON parent.id = accounts.parent_id "
    "JOIN trunks ON trunks.account_id = accounts.id AND trunks.is_default "
    "WHERE api_keys.digest = %(digest)s AND api_keys.revoked_at IS NULL "
    "AND NOT accounts.disabled AND NOT coalesce(parent.disabled, false)"
)
GROUP = "SELECT setup_price_micros FROM did_groups WHERE id = %(group)s"
LISTENERS = (
    "SELECT id, events FROM webhooks WHERE enabled AND (account_id = %(account)s OR "
    "account_id = (SELECT parent_id FROM accounts WHERE id = %(account)s))"
)
# The group's DIDs in stock from its floor up, as faxnum's take reads them.
IN_STOCK_FROM_FLOOR = (
    "state = 'available' AND (did_group_id, number) >= "
    "(%(group)s, (SELECT stock_floor FROM did_groups WHERE id = %(group)s)) "
    "AND did_group_id <= %(group)s"
)
TAKE = (
    "UPDATE dids SET state = 'assigned', state_changed_at = %(now)s WHERE dids.id = "
    f"(SELECT id FROM dids WHERE {IN_STOCK_FROM_FLOOR} "
    "ORDER BY did_group_id, number LIMIT 1 FOR UPDATE SKIP LOCKED) AND state = 'available' "
    "RETURNING id, number"
)
ADD = (
    "INSERT INTO numbers (account_id, did_id, did_group_id, trunk_id, status, "
    "provisioned_at, expiration_date) VALUES (%(account)s, %(did)s, %(group)s, %(trunk)s, "
    "'active', %(now)s, %(expires)s) RETURNING id"
)
LIVE = "UPDATE accounts SET live_numbers = live_numbers + 1 WHERE id = %(account)s"
CHARGE = (
    "UPDATE accounts SET balance_micros = balance_micros - %(price)s "
    "WHERE id = %(account)s AND balance_micros - %(price)s >= 0 RETURNING balance_micros"
)
LEDGER = (
    "INSERT INTO ledger_entries (account_id, actor_id, amount_micros, kind, number_id, "
    "description, created_at) VALUES (%(account)s, %(account)s, -%(price)s, 'charge', "
    "%(number)s, 'Provisioned', %(now)s)"
)
# Every write in one statement: PostgreSQL updates a row once per statement, so the
# live count and the balance change together.
FUSED = (
    f"WITH taken AS ({TAKE}), "
    "added AS (INSERT INTO numbers (account_id, did_id, did_group_id, trunk_id, status, "
    "provisioned_at, expiration_date) SELECT %(account)s, taken.id, %(group)s, %(trunk)s, "
    "'active', %(now)s, %(expires)s FROM taken RETURNING id), "
    "charged AS (UPDATE accounts SET balance_micros = balance_micros - %(price)s, "
    "live_numbers = live_numbers + 1 WHERE id = %(account)s "
    "AND balance_micros - %(price)s >= 0 AND EXISTS (SELECT 1 FROM added) "
    "RETURNING balance_micros), "
    "entry AS (INSERT INTO ledger_entries (account_id, actor_id, amount_micros, kind, "
    "number_id, description, created_at) SELECT %(account)s, %(account)s, -%(price)s, "
    "'charge', added.id, 'Provisioned', %(now)s FROM added, charged RETURNING id) "
    "SELECT taken.id FROM taken, added, charged, entry"
)
# Raising the group's floor, as `faxnum serve` does every 2 s: the row first, then the
# lowest number in stock read after it.
FLOOR_LOCK = "SELECT id FROM did_groups WHERE id = %(group)s FOR NO KEY UPDATE"
FLOOR_LOWEST = (
    f"SELECT number FROM dids WHERE {IN_STOCK_FROM_FLOOR} ORDER BY did_group_id, number LIMIT 1"
)
FLOOR_RAISE = (
    "UPDATE did_groups SET stock_floor = %(lowest)s WHERE id = %(group)s "
    "AND stock_floor < %(lowest)s"
)
FLOOR_RAISE_S = 2.0
Provision = Callable[[psycopg.Connection[Any], dict[str, Any]], None]


def ten_round_trips(connection: psycopg.Connection[Any], given: dict[str, Any]) -> None:
    cursor = connection.cursor()
    account, trunk = _one(cursor.execute(HOLDER, given, prepare=True))
    values = given | {"account": account, "trunk": trunk}
    values["price"] = _one(cursor.execute(GROUP, values, prepare=True))[0]
    values["did"] = _one(cursor.execute(TAKE, values, prepare=True))[0]
    values["number"] = _one(cursor.execute(ADD, values, prepare=True))[0]
    cursor.execute(LIVE, values, prepare=True)
    _one(cursor.execute(CHARGE, values, prepare=True))
    cursor.execute(LEDGER, values, prepare=True)
    cursor.execute(LISTENERS, values, prepare=True).fetchall()
    connection.commit()


def three_round_trips(connection: psycopg.Connection[Any], given: dict[str, Any]) -> None:
    holder, group = connection.cursor(), connection.cursor()
    with connection.pipeline():  # BEGIN and both reads in one round trip
        holder.execute(HOLDER, given, prepare=True)
        group.execute(GROUP, given, prepare=True)
    account, trunk = _one(holder)
    values = given | {"account": account, "trunk": trunk, "price": _one(group)[0]}
    cursor = connection.cursor()
    _one(cursor.execute(FUSED, values, prepare=True))
    cursor.execute(LISTENERS, values, prepare=True).fetchall()
    connection.commit()


def _one(cursor: psycopg.Cursor[Any]) -> Any:
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("no row: the group ran out or the balance did")
    return row


def raise_floor(connection: psycopg.Connection[Any], given: dict[str, Any]) -> None:
    cursor = connection.cursor()
    cursor.execute(FLOOR_LOCK, given, prepare=True)
    lowest = cursor.execute(FLOOR_LOWEST, given, prepare=True).fetchone()
    if lowest is not None:
        cursor.execute(FLOOR_RAISE, given | {"lowest": lowest[0]}, prepare=True)
    connection.commit()


def take_pages(dsn: str, given: dict[str, Any]) -> str:
    """What the take's walk of the stock reads now: shared buffers, as EXPLAIN says."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        plan = connection.execute(
            f"EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM dids WHERE {IN_STOCK_FROM_FLOOR} "
            "ORDER BY did_group_id, number LIMIT 1",
            given,
        ).fetchall()
    found = re.search(r"shared hit=(\d+)(?: read=(\d+))?", " ".join(row[0] for row in plan))
    return "?" if found is None else f"{sum(int(n or 0) for n in found.groups())} pages"


def run_round(
    dsn: str,
    provision: Provision,
    given: dict[str, Any],
    seconds: float,
    floors: bool = True,
    threads: int = THREADS,
) -> str:
    """One round; the connections stay open until both CPU readings are taken (an
    ended backend's CPU can no longer be read). With `floors`, one more connection
    raises the group's floor every FLOOR_RAISE_S."""
    done, failures = [0], []
    connections = [psycopg.connect(dsn) for _ in range(threads)]
    stop = time.monotonic() + seconds
    raising = psycopg.connect(dsn)
    stopped = threading.Event()

    def raise_floors() -> None:
        while floors and not stopped.wait(FLOOR_RAISE_S):
            raise_floor(raising, given)

    def work(connection: psycopg.Connection[Any]) -> None:
        try:
            while time.monotonic() < stop:
                now = datetime.now(UTC)
                provision(connection, given | {"now": now, "expires": date.today()})
                done[0] += 1
        except Exception as failure:  # noqa: BLE001  # reported, not hidden
            failures.append(failure)

    workers = [threading.Thread(target=work, args=(c,)) for c in connections]
    raiser = threading.Thread(target=raise_floors)
    client_before, database_before = time.process_time(), postgres_cpu_seconds()
    raiser.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    stopped.set()
    raiser.join()
    client_ms = (time.process_time() - client_before) / max(done[0], 1) * 1000
    database_ms = (postgres_cpu_seconds() - database_before) / max(done[0], 1) * 1000
    for connection in [*connections, raising]:
        connection.close()
    if failures:
        raise failures[0]
    return (
        f"{done[0] / seconds:7.0f}/s  client CPU {client_ms:.2f} ms  "
        f"PostgreSQL CPU {database_ms:.2f} ms per provisioning"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--unix-socket", help="connect through this socket directory")
    parser.add_argument("--before", action="append", default=[], help="SQL run once first")
    parser.add_argument("--synchronous-commit", default="on", choices=["on", "off"])
    parser.add_argument("--threads", type=int, default=THREADS, help="connections provisioning")
    parser.add_argument(
        "--no-floor-raise", action="store_true", help="leave the group's stock floor down"
    )
    args = parser.parse_args()
    server = os.environ["FAXNUM_BENCH_POSTGRES_URL"]
    for form, provision in (("ten round trips", ten_round_trips), ("three", three_round_trips)):
        with fresh_postgres_database(server) as url:
            key = prepare(url, 200_000)
            parsed = make_url(url).set(drivername="postgresql")
            if args.unix_socket:
                parsed = parsed.set(host=None, query={"host": args.unix_socket})
            dsn = parsed.render_as_string(hide_password=False)
            dsn += ("&" if "?" in dsn else "?") + (
                f"options=-c%20synchronous_commit%3D{args.synchronous_commit}"
            )
            with psycopg.connect(dsn, autocommit=True) as connection:
                for statement in args.before:
                    connection.execute(statement.encode())
            vacuum(url)
            given = {"digest": hashlib.sha256(key.encode("ascii")).digest(), "group": 1}
            for number in range(1, args.rounds + 1):
                figures = run_round(
                    dsn,
                    provision,
                    given,
                    args.seconds,
                    floors=not args.no_floor_raise,
                    threads=args.threads,
                )
                pages = take_pages(dsn, given)
                print(f"{form:<16} round {number}: {figures}, take reads {pages}", flush=True)


if __name__ == "__main__":
    main()
