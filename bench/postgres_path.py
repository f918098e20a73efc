"""The PostgreSQL path's cost, against pgbench and the SQLite path, on one throwaway
cluster in one run.

A cluster of its own (initdb; PostgreSQL's default durability; pg_stat_statements
loaded), then, in turn:
  1. pgbench's TPC-B-like transaction (scale 10, 8 clients, prepared statements):
     transactions/s and PostgreSQL's CPU per transaction;
  2. `faxnum serve` (1 worker, as `make run` serves: access log on) on a database of
     the cluster holding one group of DIDs: wrk POST provisioning (32 connections):
     provisions/s, p50/p99, the server's and PostgreSQL's CPU per provision, and where
     PostgreSQL's time went (pg_stat_statements: calls, plans and time per provisioning) and
     what the updates left (pg_stat_user_tables: HOT updates, dead tuples);
  3. the same on SQLite: the server's CPU per provision;
  4. with --accounts N, step 2 again with each request on the next of N accounts:
     one account's provisionings wait on its row in turn (the balance), N accounts'
     do not, so this shows what the server does when no row lock sets the pace.
Prints each and the ratios the targets are written in:
  server CPU per provision, PostgreSQL ÷ SQLite (target <= 1.5x);
  PostgreSQL CPU per provision ÷ per pgbench transaction (target <= 2x);
  faxnum provisions/s ÷ pgbench tps (target >= 0.3x); p99 ÷ p50 (target <= 3x).

    python bench/postgres_path.py [--seconds 10] [--rounds 2] [--dids 100000] [--accounts 8]
"""

import argparse
import os
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.store.db.database import Database
from faxnum.testing.backends import throwaway_postgres
from faxnum.testing.servers import output_read_by_another_process, running_server
from provision import CLOCK_TICKS, SECRET, cpu_seconds, prepare, server_env, vacuum, wrk

CONNECTIONS = 32
PGBENCH_CLIENTS = 8
CLUSTER = (
    "shared_preload_libraries=pg_stat_statements",
    "pg_stat_statements.track=all",
    "pg_stat_statements.track_planning=on",
    "max_connections=300",
)


@dataclass(frozen=True)
class Figures:
    per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float  # per provision (0 for pgbench)
    database_cpu_ms: float  # per provision or transaction


def postgres_cpu_seconds() -> float:
    """CPU seconds of every `postgres` process alive, plus what the ones that ended
    left to their parent (a backend's CPU is counted when its connection closes too:
    pgbench's are gone before its run is read)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # utime, stime (fields 14, 15), cutime, cstime (16, 17): fields[0] is field 3
        total += sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    return total


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise SystemExit(f"{name} not found: install postgresql")
    return str(found[-1])


def _libpq(url: str) -> dict[str, str]:
    parsed = make_url(url)
    return {
        "PGHOST": str(parsed.host),
        "PGPORT": str(parsed.port),
        "PGUSER": str(parsed.username),
    }


def _admin(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def pgbench(server: str, seconds: int) -> Figures:
    env = os.environ | _libpq(server)
    _admin(server, "DROP DATABASE IF EXISTS pgbench", "CREATE DATABASE pgbench")
    subprocess.run(
        [_bin("pgbench"), "-i", "-s", "10", "-q", "pgbench"], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    command = [
        _bin("pgbench"), "-c", str(PGBENCH_CLIENTS), "-j", "2", "-M", "prepared",
        "-T", str(seconds), "-r", "pgbench",
    ]  # fmt: skip
    before = postgres_cpu_seconds()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    cpu = postgres_cpu_seconds() - before
    tps = float(done.stdout.split("tps = ")[1].split()[0])
    latency = float(done.stdout.split("latency average = ")[1].split()[0])
    transactions = int(
        done.stdout.split("number of transactions actually processed: ")[1].split()[0]
    )
    return Figures(tps, latency, 0.0, 0.0, cpu * 1000 / max(transactions, 1))


def more_accounts(url: str, count: int) -> list[str]:
    """Keys of `count` more funded accounts."""
    database = Database(url)
    keys = []
    for number in range(count):
        with database.unit_of_work() as uow:
            opened = create_account(
                uow,
                KeyCipher(SECRET.encode()),
                f"bench-{number}@example.com",
                datetime.now(UTC),
                opening_credit=Decimal("1000000"),
            )
            keys.append(opened.api_key)
    database.dispose()
    return keys


def rotating_keys(keys: list[str], directory: str) -> str:
    """A wrk script sending each request with the next key."""
    script = Path(directory, "keys.lua")
    quoted = ", ".join(f'"{key}"' for key in keys)
    script.write_text(
        f"keys = {{{quoted}}}\n"
        "sent = 0\n"
        "request = function()\n"
        "  sent = sent + 1\n"
        '  wrk.headers["X-API-Key"] = keys[(sent % #keys) + 1]\n'
        '  return wrk.format("POST", nil)\n'
        "end\n"
    )
    return str(script)


def faxnum_run(
    url: str, key: str, data_dir: str, seconds: int, script: str | None = None
) -> Figures:
    env = server_env(url, data_dir)
    with (  # the access log on and read by another process, as `make run` has it
        output_read_by_another_process(Path(data_dir)) as output,
        running_server(env, log_path=output) as server,
    ):
        provision = f"{server.base_url}/api/v2/countries/didgroups/1/provision"
        wrk(provision, 2, CONNECTIONS, {"X-API-Key": key}, script)  # warm-up
        server_before, database_before = cpu_seconds(server.process.pid), postgres_cpu_seconds()
        ran = wrk(provision, seconds, CONNECTIONS, {"X-API-Key": key}, script)
        server_cpu = cpu_seconds(server.process.pid) - server_before
        database_cpu = postgres_cpu_seconds() - database_before
    done = max(ran.requests - ran.non_2xx, 1)
    return Figures(
        ran.requests_per_second,
        ran.p50_ms,
        ran.p99_ms,
        server_cpu * 1000 / done,
        database_cpu * 1000 / done if url.startswith("postgresql") else 0.0,
    )


def statement_costs(url: str, provisions: int) -> list[str]:
    """pg_stat_statements since its reset: each statement's calls, times planned and
    time per provisioning, the costliest first. A prepared statement that PostgreSQL
    plans again for each call's values shows about one plan per call."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT calls, plans, total_exec_time, total_plan_time, "
                "shared_blks_hit + shared_blks_read, "
                "regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY total_exec_time DESC LIMIT 14"
            )
        ).all()
        tables = connection.execute(
            text(
                "SELECT relname, n_tup_upd, n_tup_hot_upd, n_dead_tup FROM pg_stat_user_tables "
                "WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC"
            )
        ).all()
    engine.dispose()
    lines = [
        f"  {calls / provisions:5.2f} calls {plans / max(calls, 1):4.2f} plans/call "
        f"{time_ms * 1000 / provisions:7.1f} µs + {plan_ms * 1000 / provisions:5.1f} µs "
        f"planning {blocks / max(calls, 1):6.1f} blocks/call  {query[:100]}"
        for calls, plans, time_ms, plan_ms, blocks, query in rows
    ]
    lines += [
        f"  table {name}: {updates:,} updates, {hot:,} HOT ({hot / max(updates, 1):.0%}), "
        f"{dead:,} dead tuples"
        for name, updates, hot, dead in tables
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dids", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=0, help="also run on this many")
    options = parser.parse_args()
    with throwaway_postgres(CLUSTER) as server, tempfile.TemporaryDirectory() as work:
        pg_url = make_url(server).set(database="faxnum").render_as_string(hide_password=False)
        _admin(server, "DROP DATABASE IF EXISTS faxnum", "CREATE DATABASE faxnum")
        _admin(pg_url, "CREATE EXTENSION pg_stat_statements")
        # Enough DIDs for every round: each provisioning takes one.
        pg_key = prepare(pg_url, options.dids)
        keys = rotating_keys([pg_key, *more_accounts(pg_url, options.accounts - 1)], work)
        vacuum(pg_url)
        sqlite_url = f"sqlite:///{work}/sqlite/faxnum.db"
        Path(work, "sqlite").mkdir()
        sqlite_key = prepare(sqlite_url, options.dids)
        bench, faxnum_pg, faxnum_sqlite = [], [], []
        for round_number in range(1, options.rounds + 1):
            bench.append(pgbench(server, options.seconds))
            _admin(pg_url, "SELECT pg_stat_statements_reset()", "SELECT pg_stat_reset()")
            faxnum_pg.append(faxnum_run(pg_url, pg_key, f"{work}/pg", options.seconds))
            costs = statement_costs(pg_url, round(faxnum_pg[-1].per_second * options.seconds))
            faxnum_sqlite.append(
                faxnum_run(sqlite_url, sqlite_key, f"{work}/sqlite", options.seconds)
            )
            if options.accounts > 1:
                many = faxnum_run(pg_url, pg_key, f"{work}/pg", options.seconds, keys)
                print(
                    f"round {round_number}: faxnum PostgreSQL, {options.accounts} accounts: "
                    f"{many.per_second:,.0f}/s p50 {many.p50_ms:.0f} ms p99 {many.p99_ms:.0f} "
                    f"ms, server {many.server_cpu_ms:.2f} ms + PostgreSQL "
                    f"{many.database_cpu_ms:.2f} ms CPU/provision"
                )
            b, p, s = bench[-1], faxnum_pg[-1], faxnum_sqlite[-1]
            print(
                f"round {round_number}: pgbench {b.per_second:,.0f} tps, PostgreSQL "
                f"{b.database_cpu_ms:.2f} ms CPU/tx | faxnum PostgreSQL {p.per_second:,.0f}/s "
                f"p50 {p.p50_ms:.0f} ms p99 {p.p99_ms:.0f} ms, server {p.server_cpu_ms:.2f} ms "
                f"+ PostgreSQL {p.database_cpu_ms:.2f} ms CPU/provision | faxnum SQLite "
                f"{s.per_second:,.0f}/s, server {s.server_cpu_ms:.2f} ms CPU/provision"
            )
            print("\n".join(costs))

        def median(runs: list[Figures], field: str) -> float:
            return float(statistics.median(getattr(run, field) for run in runs))

        pg_cpu, sqlite_cpu = (
            median(faxnum_pg, "server_cpu_ms"),
            median(faxnum_sqlite, "server_cpu_ms"),
        )
        ratio = pg_cpu / sqlite_cpu
        print(f"server CPU per provision, PostgreSQL / SQLite = {ratio:.2f}x (target <= 1.5x)")
        database = median(faxnum_pg, "database_cpu_ms") / median(bench, "database_cpu_ms")
        print(f"PostgreSQL CPU per provision / per pgbench tx = {database:.2f}x (target <= 2x)")
        share = median(faxnum_pg, "per_second") / median(bench, "per_second")
        print(f"faxnum PostgreSQL provisions/s / pgbench tps = {share:.2f}x (target >= 0.3x)")
        tail = median(faxnum_pg, "p99_ms") / median(faxnum_pg, "p50_ms")
        print(f"faxnum PostgreSQL p99 / p50 = {tail:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
