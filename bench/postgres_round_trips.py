"""What a round trip to PostgreSQL costs the client, and what faxnum's provisioning
costs without HTTP, on one throwaway cluster in one run.

  1. raw psycopg, one connection: the client's CPU (user and system) per transaction
     of BEGIN, a SELECT, an INSERT, an UPDATE and COMMIT, sent three ways: a statement
     per round trip (the baseline); the writes and COMMIT in psycopg's pipeline mode;
     the writes and COMMIT in one simple-query message (`ClientCursor`);
  2. faxnum's provisioning use case run in a loop on one connection, no HTTP: the
     client's and PostgreSQL's CPU per provision (its statements queued on libpq's
     pipeline by `store/db/postgres_pipeline.py`, below psycopg's cursors).
Prints each and the ratios against the baseline of part 1.

    python bench/postgres_round_trips.py [--transactions 3000] [--provisions 2000]
"""

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from faxnum.services.accounts import as_holder_of
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.testing.backends import throwaway_postgres
from postgres_path import _admin, postgres_cpu_seconds
from provision import prepare, vacuum


def client_cpu_us(transaction: Callable[[], None], count: int) -> tuple[float, float]:
    """User and system CPU microseconds of this process per call."""
    before = os.times()
    for _ in range(count):
        transaction()
    after = os.times()
    return (
        (after.user - before.user) * 1e6 / count,
        (after.system - before.system) * 1e6 / count,
    )


def raw_forms(connection: Any) -> dict[str, Callable[[], None]]:
    connection.execute("CREATE TABLE entries (id serial PRIMARY KEY, amount int, note text)")
    connection.execute("CREATE TABLE counts (id int PRIMARY KEY, n int)")
    connection.execute("INSERT INTO counts VALUES (1, 0)")
    connection.commit()
    cursor = connection.cursor()
    client = psycopg.ClientCursor(connection)
    insert = "INSERT INTO entries (amount, note) VALUES (%s, %s)"
    count = "UPDATE counts SET n = n + %s WHERE id = %s"

    def one_per_round_trip() -> None:
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.execute(insert, (1, "x"))
        cursor.execute(count, (1, 1))
        connection.commit()

    def pipeline() -> None:
        cursor.execute("SELECT 1")
        cursor.fetchall()
        with connection.pipeline():
            cursor.execute(insert, (1, "x"))
            cursor.execute(count, (1, 1))
            connection.commit()

    def one_message() -> None:
        cursor.execute("SELECT 1")
        cursor.fetchall()
        client.execute(f"{insert}; {count}; COMMIT", (1, "x", 1, 1))
        connection.commit()  # psycopg finds nothing left to commit

    return {
        "a statement per round trip": one_per_round_trip,
        "writes + COMMIT pipelined": pipeline,
        "writes + COMMIT in one message": one_message,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--provisions", type=int, default=2000)
    options = parser.parse_args()
    with throwaway_postgres(()) as server:
        url = make_url(server)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password,
            dbname="postgres",
        ) as connection:  # fmt: skip
            forms = raw_forms(connection)
            baseline = 0.0
            for name, transaction in forms.items():
                client_cpu_us(transaction, options.transactions // 10)  # warm-up
                user, system = client_cpu_us(transaction, options.transactions)
                baseline = baseline or user + system
                print(
                    f"raw psycopg, {name}: client {user:.0f} µs user + {system:.0f} µs "
                    f"system per transaction = {(user + system) / baseline:.2f}x the first"
                )
        faxnum_url = url.set(database="faxnum").render_as_string(hide_password=False)
        _admin(server, "CREATE DATABASE faxnum")
        key = prepare(faxnum_url, options.provisions * 2)
        vacuum(faxnum_url)
        database = Database(faxnum_url)
        for round_number in (1, 2):
            database_before, client_before = postgres_cpu_seconds(), time.process_time()
            for _ in range(options.provisions):
                use_case = as_holder_of(key, provision, group_id=1, now=datetime.now(UTC))
                with database.unit_of_work() as uow:
                    use_case(uow)
            client = (time.process_time() - client_before) * 1e6 / options.provisions
            server_side = (postgres_cpu_seconds() - database_before) * 1e6 / options.provisions
            print(
                f"round {round_number}: faxnum provisioning, one connection, no HTTP: client "
                f"{client:.0f} µs + PostgreSQL {server_side:.0f} µs CPU per provision"
            )
        database.dispose()


if __name__ == "__main__":
    main()
