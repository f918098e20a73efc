"""Provisioning throughput with 1, 2 and 4 server workers, on PostgreSQL and on SQLite,
all in one run: a table and the ratios against one SQLite worker.

PostgreSQL and Redis are throwaway instances started from the installed binaries (as
the tests do), or FAXNUM_TEST_POSTGRES_URL / FAXNUM_TEST_REDIS_URL. With more than one
worker the rate limit is shared through Redis, as a deployment would run it.

    python bench/scale_out.py [--seconds 5] [--connections 32]
"""

import argparse
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from faxnum.testing.backends import throwaway_postgres, throwaway_redis
from provision import WrkResult, prepare, running_server, wrk

WORKERS = (1, 2, 4)


def fresh_postgres(server_url: str, name: str) -> str:
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def measure(
    url: str, workers: int, redis_url: str, seconds: int, connections: int, dids: int
) -> WrkResult:
    key = prepare(url, dids)
    shared_limit = redis_url if workers > 1 else None
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_server(url, data_dir, workers, shared_limit) as server,
    ):
        path = f"{server.base_url}/api/v2/countries/didgroups/1/provision"
        wrk(path, 1, connections, {"X-API-Key": key})  # warm-up
        return wrk(path, seconds, connections, {"X-API-Key": key})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--dids", type=int, default=40_000)
    args = parser.parse_args()
    results: dict[tuple[str, int], WrkResult] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as work:
        postgres = os.environ.get("FAXNUM_TEST_POSTGRES_URL") or stack.enter_context(
            throwaway_postgres()
        )
        redis_url = os.environ.get("FAXNUM_TEST_REDIS_URL") or stack.enter_context(
            throwaway_redis()
        )
        for workers in WORKERS:
            sqlite_url = f"sqlite:///{Path(work) / f'w{workers}.db'}"
            results["sqlite", workers] = measure(
                sqlite_url, workers, redis_url, args.seconds, args.connections, args.dids
            )
            pg_url = fresh_postgres(postgres, f"faxnum_bench_w{workers}")
            results["postgresql", workers] = measure(
                pg_url, workers, redis_url, args.seconds, args.connections, args.dids
            )
    report(results)


def report(results: dict[tuple[str, int], WrkResult]) -> None:
    baseline = results["sqlite", 1].requests_per_second
    print(
        f"{'backend':<12}{'workers':>8}{'prov/s':>10}{'p50 ms':>10}{'p99 ms':>10}"
        f"{'non-2xx':>9}{'vs sqlite x1':>14}"
    )
    for (backend, workers), result in sorted(results.items()):
        print(
            f"{backend:<12}{workers:>8}{result.requests_per_second:>10.0f}{result.p50_ms:>10.1f}"
            f"{result.p99_ms:>10.1f}{result.non_2xx:>9}"
            f"{result.requests_per_second / baseline:>13.2f}x"
        )


if __name__ == "__main__":
    main()
