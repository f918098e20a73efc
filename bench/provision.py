"""Provisioning throughput and latency against the stack's limit, in one run.

Prepares one SQLite store holding one large DID group, then drives with wrk (32
connections), round after round, each server in turn and on its own copy of the store:
  1. `bench/reference_server.py`: raw ASGI on the same uvicorn, raw sqlite3, the same
     statements and group commit: the limit. Its `/healthz` is a bare ASGI one.
  2. `faxnum serve` on SQLite: `/healthz`, then provisioning.
  3. with FAXNUM_BENCH_POSTGRES_URL (a server where databases may be created and
     dropped), `faxnum serve` on a fresh PostgreSQL database holding the same inventory.
Prints each run, the CPU seconds the server (and PostgreSQL) spent per 1,000 provisions,
and the ratios of the servers' medians. Targets: faxnum provisioning >= 0.5x the
reference, p99 <= 3x p50; faxnum `/healthz` >= 0.5x the bare one; PostgreSQL >= 0.8x
SQLite, its CPU per provision <= 1.5x SQLite's.

With --webhook, provisioning runs again with a webhook registered (every provision
then queues an event, which the server's delivery worker signs and posts to a
receiver process on loopback): target >= 0.90x the throughput without one.

    python bench/provision.py [--seconds 5] [--rounds 3] [--connections 32] [--webhook]
"""

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import phonenumbers
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from big_store import server_admin
from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.services.inventory import load_groups
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.testing.servers import (
    RunningServer,
    free_port,
    output_read_by_another_process,
    wait_until_healthy,
)
from faxnum.testing.servers import running_server as served

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SECRET = "bench-key-not-for-production-0123456789"
NUMBERS_PER_EXCHANGE = 10_000


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


@dataclass(frozen=True)
class Run:
    """One server's figures: `/healthz`, provisioning, and CPU seconds per 1,000
    provisions spent by the server process and by the database server (PostgreSQL)."""

    health: WrkResult
    provision: WrkResult
    server_cpu: float
    database_cpu: float


def winnipeg_numbers(count: int) -> list[str]:
    """Valid, geocoded numbers of Winnipeg (+1 204) exchanges, in number order."""
    found: list[str] = []
    for exchange in range(200, 1000):
        for line in range(NUMBERS_PER_EXCHANGE):
            number = phonenumbers.parse(f"+1204{exchange}{line:04d}")
            if not phonenumbers.is_valid_number(number):
                break  # an exchange not in service: none of its lines are valid
            found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
            if len(found) == count:
                return found
    raise SystemExit(f"only {len(found)} numbers available")


def prepare(url: str, dids: int) -> str:
    upgrade(url)
    database = Database(url)
    now = datetime.now(UTC)
    spec = GroupSpec(
        "CAN",
        "MB",
        "204",
        "WINNIPEG",
        NumberType.GEOGRAPHIC,
        Decimal("0.01"),
        Decimal("0.01"),
        winnipeg_numbers(dids),
    )
    with database.unit_of_work() as uow:
        load_groups(uow, [spec], now)
    with database.unit_of_work() as uow:
        key = create_account(
            uow,
            KeyCipher(SECRET.encode()),
            "bench@example.com",
            now,
            opening_credit=Decimal("1000000"),
        ).api_key
    database.dispose()
    return key


def wrk(
    url: str,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    script: str | None = None,
) -> WrkResult:
    """wrk's figures for one run; `script`: a path to a Lua script shaping requests."""
    command = wrk_command(url, seconds, connections, headers, script)
    return wrk_figures(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def wrk_command(
    url: str, seconds: int, connections: int, headers: dict[str, str], script: str | None = None
) -> list[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command += ["-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return command


def wrk_figures(out: str) -> WrkResult:
    """What wrk printed, read."""
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_latency(out, "50%"),
        p99_ms=_latency(out, "99%"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def _latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def server_env(url: str, data_dir: str, redis_url: str | None = None) -> dict[str, str]:
    """A benchmark server's settings: limits and background runs out of the way."""
    env = {
        "FAXNUM_DATABASE_URL": url,
        "FAXNUM_DATA_DIR": data_dir,
        "FAXNUM_SECRET_KEY": SECRET,
        "FAXNUM_RATE_LIMIT": "1000000/second",
        "FAXNUM_RENEW_INTERVAL_S": "0",
        "FAXNUM_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on loopback
    }
    if redis_url:
        env["FAXNUM_REDIS_URL"] = redis_url
    return env


@contextmanager
def running_server(
    url: str, data_dir: str, workers: int = 1, redis_url: str | None = None
) -> Iterator[RunningServer]:
    """`faxnum serve` on a free port, limits out of the way, with its access log on and
    its output read by another process, as `make run` serves."""
    env = server_env(url, data_dir, redis_url)
    with (
        output_read_by_another_process(Path(data_dir)) as output,
        served(env, "--workers", str(workers), log_path=output) as server,
    ):
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--dids", type=int, default=200_000)
    parser.add_argument("--webhook", action="store_true", help="also with a webhook")
    args = parser.parse_args()
    postgres = os.environ.get("FAXNUM_BENCH_POSTGRES_URL")

    with tempfile.TemporaryDirectory() as work, ExitStack() as servers:
        template = Path(work) / "template.db"
        key = prepare(f"sqlite:///{template}", args.dids)
        keys = {"reference": key, "faxnum": key}
        running = {
            "reference": servers.enter_context(
                reference_server(copy_of(template, Path(work) / "reference"))
            )
        }
        data_dir = Path(work) / "faxnum"
        url = f"sqlite:///{copy_of(template, data_dir)}"
        running["faxnum"] = servers.enter_context(running_server(url, str(data_dir)))
        if postgres:
            pg_url = servers.enter_context(fresh_postgres_database(postgres))
            keys["faxnum PostgreSQL"] = prepare(pg_url, args.dids)
            vacuum(pg_url)  # else autovacuum of the new rows takes a core mid-run
            running["faxnum PostgreSQL"] = servers.enter_context(
                running_server(pg_url, str(Path(work) / "faxnum-pg"))
            )
        # Every server runs in turn, round after round: noise on the machine (these
        # runs vary by a third from one minute to the next) falls on all of them alike.
        rounds: dict[str, list[Run]] = {name: [] for name in running}
        for _ in range(args.rounds):
            for name, server in running.items():
                rounds[name].append(measure(server, keys[name], args.seconds, args.connections))
        if args.webhook:
            with receiving() as (receiver_url, count_received):
                compare_with_webhook(
                    running["faxnum"].base_url,
                    key,
                    receiver_url,
                    count_received,
                    args.seconds,
                    args.connections,
                )
    report(rounds)


def copy_of(template: Path, directory: Path) -> Path:
    """A consistent copy of a SQLite store (its WAL included), in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / "faxnum.db"
    with sqlite3.connect(template) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return copy


@contextmanager
def reference_server(database: Path) -> Iterator[RunningServer]:
    port = free_port()
    script = Path(__file__).with_name("reference_server.py")
    command = [sys.executable, str(script), "--database", str(database), "--port", str(port)]
    server = RunningServer(f"http://127.0.0.1:{port}", subprocess.Popen(command), None)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        server.stop()


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new database on `server_url`'s server, dropped afterwards."""
    name = f"faxnum_bench_provision_{os.getpid()}"
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with server_admin(server_url) as admin:
        admin.execute(drop)
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server_admin(server_url) as admin:
            admin.execute(drop)


def vacuum(url: str) -> None:
    """VACUUM and ANALYZE the tables holding rows. Not the empty ones: a table analyzed
    as empty has every connection's foreign-key check into it planned as a scan of it,
    kept for the connection's life (measured: a ledger insert +30 µs per 1,000 numbers)."""
    engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        for table in list(tables):
            if connection.execute(text(f"SELECT EXISTS (SELECT FROM {table})")).scalar():
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
    engine.dispose()


def measure(server: RunningServer, key: str, seconds: int, connections: int) -> Run:
    """`/healthz`, then provisioning, with the CPU the provisioning run cost."""
    base = server.base_url
    provision_url = f"{base}/api/v2/countries/didgroups/1/provision"
    wrk(f"{base}/healthz", 2, connections, {})  # warm-up
    health = wrk(f"{base}/healthz", seconds, connections, {})
    wrk(provision_url, 1, connections, {"X-API-Key": key})  # warm-up
    server_before, database_before = cpu_seconds(server.process.pid), postgres_cpu_seconds()
    provision = wrk(provision_url, seconds, connections, {"X-API-Key": key})
    server_cpu = cpu_seconds(server.process.pid) - server_before
    database_cpu = postgres_cpu_seconds() - database_before
    per_thousand = 1000 / max(provision.requests - provision.non_2xx, 1)
    return Run(health, provision, server_cpu * per_thousand, database_cpu * per_thousand)


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces; the fields after it do not.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _process_cpu(pid: int) -> float:
    fields = _stat_fields(pid)  # fields[0] is field 3 (state): utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its living children (uvicorn's workers)."""
    total = _process_cpu(pid)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    total += _process_cpu(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    return total


def postgres_cpu_seconds() -> float:
    """CPU seconds of every process on this machine named `postgres` (0 without any)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _process_cpu(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return total


def compare_with_webhook(
    base: str,
    key: str,
    receiver_url: str,
    count: Callable[[], int],
    seconds: int,
    connections: int,
    rounds: int = 2,
) -> None:
    """Provisioning with the webhook disabled and enabled, alternately (the store grows
    run after run: alternating keeps that out of the ratio); after each run with it,
    the wait until every event is delivered."""
    hook = register_webhook(base, key, receiver_url)
    url = f"{base}/api/v2/countries/didgroups/1/provision"
    plain: list[WrkResult] = []
    hooked: list[WrkResult] = []
    print(
        f"{'webhook':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'in run':>10}{'catch-up s':>12}"
    )
    for _ in range(rounds):
        for enabled in (False, True):
            set_enabled(base, key, hook, enabled)
            before = count()
            result = wrk(url, seconds, connections, {"X-API-Key": key})
            (hooked if enabled else plain).append(result)
            in_run, catch_up = count() - before, 0.0
            if enabled:
                catch_up = wait_for(count, before + result.requests - result.non_2xx)
            print(
                f"{'on' if enabled else 'off':<10}{result.requests_per_second:>10.0f}"
                f"{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}{in_run:>10}{catch_up:>12.1f}"
            )
    ratio = sum(r.requests_per_second for r in hooked) / sum(r.requests_per_second for r in plain)
    print(f"throughput ratio with/without a webhook: {ratio:.2f}x (target >= 0.90)")


def wait_for(count: Callable[[], int], expected: int) -> float:
    """Seconds until `count` reaches `expected` (at most five minutes)."""
    started = time.monotonic()
    while count() < expected and time.monotonic() < started + 300:
        time.sleep(0.2)
    return time.monotonic() - started


SINK = """
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
count = 0
lock = threading.Lock()
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            count += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def do_GET(self):
        body = str(count).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def receiving() -> Iterator[tuple[str, Callable[[], int]]]:
    """A webhook receiver in its own process (it answers 204); its URL, and a count of
    what it received."""
    process = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        yield f"{base}/hooks", lambda: int(httpx.get(base, timeout=5).text)
    finally:
        process.kill()
        process.wait()


def register_webhook(base: str, key: str, receiver_url: str) -> int:
    response = httpx.post(
        f"{base}/api/v2/webhooks",
        json={"url": receiver_url, "events": ["number.provisioned"]},
        headers={"X-API-Key": key},
        timeout=10,
    )
    response.raise_for_status()
    return int(response.json()["data"]["id"])


def set_enabled(base: str, key: str, hook: int, enabled: bool) -> None:
    response = httpx.patch(
        f"{base}/api/v2/webhooks/{hook}",
        json={"enabled": enabled},
        headers={"X-API-Key": key},
        timeout=10,
    )
    response.raise_for_status()


def report(rounds: dict[str, list[Run]]) -> None:
    """Every run, then the median of each server's runs and the ratios of the medians."""
    print(
        f"{'server':<20}{'endpoint':<11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx':>9}{'CPU s/1k':>10}{'DB CPU s/1k':>13}"
    )
    for name, found in rounds.items():
        for run in found:
            for endpoint, result in (("/healthz", run.health), ("provision", run.provision)):
                cpu = ""
                if endpoint != "/healthz":
                    cpu = f"{run.server_cpu:>10.2f}{run.database_cpu:>13.2f}"
                print(
                    f"{name:<20}{endpoint:<11}{result.requests_per_second:>9.0f}"
                    f"{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}{result.non_2xx:>9}{cpu}"
                )
    medians = {name: median_run(found) for name, found in rounds.items()}
    reference, faxnum = medians["reference"], medians["faxnum"]
    ratios = [
        ("faxnum provisioning / reference", _ratio(faxnum, reference), ">= 0.50"),
        ("faxnum /healthz / bare ASGI", _health_ratio(faxnum, reference), ">= 0.50"),
        (
            "faxnum provisioning p99 / p50",
            faxnum.provision.p99_ms / faxnum.provision.p50_ms,
            "<= 3.00",
        ),
    ]
    postgres = medians.get("faxnum PostgreSQL")
    if postgres is not None:
        postgres_cpu = postgres.server_cpu + postgres.database_cpu
        ratios += [
            ("PostgreSQL / SQLite provisioning", _ratio(postgres, faxnum), ">= 0.80"),
            ("PostgreSQL / SQLite CPU per provision", postgres_cpu / faxnum.server_cpu, "<= 1.50"),
        ]
    print(f"medians of {len(rounds['reference'])} rounds:")
    for name, value, target in ratios:
        print(f"{name:<40}{value:>6.2f}x (target {target})")
    for name, found in rounds.items():
        failed = sum(run.provision.non_2xx for run in found)
        if failed:
            print(f"WARNING: {failed} requests to {name} failed: figures not valid")


def median_run(runs: list[Run]) -> Run:
    """Each figure's median over the runs (the runs of one server, in turn with others)."""

    def middle(values: list[float]) -> float:
        return statistics.median(values)

    def wrk_median(results: list[WrkResult]) -> WrkResult:
        return WrkResult(
            requests=int(middle([r.requests for r in results])),
            requests_per_second=middle([r.requests_per_second for r in results]),
            p50_ms=middle([r.p50_ms for r in results]),
            p99_ms=middle([r.p99_ms for r in results]),
            non_2xx=sum(r.non_2xx for r in results),
        )

    return Run(
        wrk_median([r.health for r in runs]),
        wrk_median([r.provision for r in runs]),
        middle([r.server_cpu for r in runs]),
        middle([r.database_cpu for r in runs]),
    )


def _ratio(run: Run, baseline: Run) -> float:
    return run.provision.requests_per_second / baseline.provision.requests_per_second


def _health_ratio(run: Run, baseline: Run) -> float:
    return run.health.requests_per_second / baseline.health.requests_per_second


if __name__ == "__main__":
    main()
