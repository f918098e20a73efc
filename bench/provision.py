"""Provisioning throughput and latency next to the same server's bare /healthz.

Runs a real `faxnum serve` on a fresh SQLite file holding one large DID group, drives
both endpoints with wrk (32 connections) in the same run and prints the ratios:
targets are provisioning throughput >= 0.7x /healthz and provisioning p99 <= 3x p50.

With --webhook, provisioning runs again with a webhook registered (every provision
then queues an event, which the server's delivery worker signs and posts to a
receiver process on loopback): target >= 0.90x the throughput without one.

    python bench/provision.py [--seconds 10] [--connections 32] [--webhook]
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import phonenumbers

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.services.inventory import load_groups
from faxnum.store.database import Database
from faxnum.store.migrate import upgrade
from faxnum.testing.servers import running_server as served

SECRET = "bench-secret-not-for-production-0123456789"
# Winnipeg exchanges: every number below is validated and geocoded before it is loaded.
WINNIPEG_EXCHANGES = ("1204284", "1204949", "1204943", "1204944", "1204947", "1204989")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def winnipeg_numbers(count: int) -> list[str]:
    found = []
    for exchange in WINNIPEG_EXCHANGES:
        for line in range(10_000):
            number = phonenumbers.parse(f"+{exchange}{line:04d}")
            if phonenumbers.is_valid_number(number):
                found.append(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                )
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
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command += ["-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
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
) -> Iterator[str]:
    """`faxnum serve` on a free port, limits out of the way; its base URL."""
    env = server_env(url, data_dir, redis_url)
    with served(env, "--workers", str(workers), "--no-access-log") as server:
        yield server.base_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--dids", type=int, default=60_000)
    parser.add_argument("--webhook", action="store_true", help="also with a webhook")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        url = f"sqlite:///{Path(data_dir) / 'faxnum.db'}"
        key = prepare(url, args.dids)
        with running_server(url, data_dir) as base:
            provision_url = f"{base}/api/v2/countries/didgroups/1/provision"
            wrk(f"{base}/healthz", 2, args.connections, {})  # warm-up
            health = wrk(f"{base}/healthz", args.seconds, args.connections, {})
            provision = wrk(provision_url, args.seconds, args.connections, {"X-API-Key": key})
            report(health, provision)
            if args.webhook:
                with receiving() as (receiver_url, count_received):
                    compare_with_webhook(
                        base, key, receiver_url, count_received, args.seconds, args.connections
                    )


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


def report(health: WrkResult, provision: WrkResult) -> None:
    print(f"{'endpoint':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, result in (("/healthz", health), ("provision", provision)):
        print(
            f"{name:<12}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}"
            f"{result.p99_ms:>10.2f}{result.non_2xx:>10}"
        )
    throughput = provision.requests_per_second / health.requests_per_second
    tail = provision.p99_ms / provision.p50_ms
    print(f"throughput ratio provision/healthz: {throughput:.2f}x (target >= 0.70)")
    print(f"provision p99/p50: {tail:.2f}x (target <= 3.00)")
    if provision.non_2xx:
        print(
            f"WARNING: {provision.non_2xx} provisioning requests failed; the figures are not valid"
        )


if __name__ == "__main__":
    main()
