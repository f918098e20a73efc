"""Reads that must not grow with the inventory, and no request that stalls the others.

Against a real `faxnum serve` (one worker) on stores of 10^3, 10^5 and 10^7 DIDs in
1,000 USA DID groups (built once through the project's migrations, cached under
bench/.cache or as PostgreSQL databases; every run works on a fresh copy), it prints,
for each size: p50 and p99 of DID-group listing (one area code; the whole country),
available-number search (one area code), `/numbers` pages 1, 200 and the last for an
account holding 50,000 numbers (sizes of 10^5 DIDs and more) next to page 1 of an
account holding 10, and single-client provisioning. At the largest size it then runs
provisioning for `--seconds` with 32 connections, alone and while one client lists
one area code's groups without pause; `/healthz` while one client lists the whole
country; and the RSS of the serving worker after the provisioning runs.

Targets (ratios from one run): every read at the largest size p50 <= 3x its p50 at
the smallest; `/numbers` page 200 (50,000 numbers) p50 <= 3x page 1 (10 numbers);
provisioning with the lister >= 0.8x without; `/healthz` p99 with the country lister
<= 50 ms; RSS <= 80 MB.

    python bench/inventory_scale.py [--sizes 1000,100000,10000000] [--requests 200]
    FAXNUM_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1/postgres \\
        python bench/inventory_scale.py
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from big_store import BigStore, build, server_admin, store_url
from faxnum.domain.orders import QuantityWanted
from faxnum.domain.pagination import DEFAULT_LIMIT
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import authenticate, create_account, current_key
from faxnum.services.orders import place_order
from faxnum.store.db.database import Database
from faxnum.store.db.tables import accounts, did_groups
from faxnum.testing.servers import RunningServer
from faxnum.testing.servers import running_server as served
from provision import SECRET, WrkResult, server_env, wrk, wrk_command, wrk_figures

HOLDER = "bench-holder@example.com"  # 50,000 numbers (stores of 10^5 DIDs and more)
SMALL = "bench-small@example.com"  # 10 numbers
BUYER = "bench-buyer@example.com"  # provisions during the run
HELD = 50_000
PER_ORDER = 500
CONNECTIONS = 32
ROUNDS = 2
Timing = tuple[float, float]  # p50, p99 in ms
ONE_AREA = ("/api/v2/countries/USA/didgroups", {"areaCode": "212"})
COUNTRY: tuple[str, dict[str, str]] = ("/api/v2/countries/USA/didgroups", {})
SEARCH = ("/api/v2/available-numbers", {"country": "USA", "areaCode": "212"})


@dataclass(frozen=True)
class UnderLoad:
    alone: list[WrkResult]
    with_lister: list[WrkResult]
    listings_done: int
    health_alone: WrkResult
    health_with_country_lister: WrkResult
    rss_after_provisioning_mb: float  # after the first 10 s provisioning run
    rss_mb: float  # after every run


def group_ids(url: str) -> list[int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(
            connection.execute(select(did_groups.c.id).order_by(did_groups.c.id)).scalars()
        )
    engine.dispose()
    return found


def _key(database: Database, email: str, credit: str) -> str:
    cipher = KeyCipher(SECRET.encode())
    with database.reader() as uow:
        known = current_key(uow, cipher, email)
    if known is not None:
        return known.api_key
    with database.unit_of_work() as uow:
        made = create_account(uow, cipher, email, datetime.now(UTC), opening_credit=Decimal(credit))
    return made.api_key


def _hold(database: Database, key: str, count: int, groups: list[int]) -> None:
    """Give the account `count` numbers (if it holds none yet), ordered evenly from
    the groups, a transaction per order."""
    with database.reader() as uow:
        caller = authenticate(uow, key)
    engine = database.write_engine
    with engine.connect() as connection:
        held = connection.execute(
            select(accounts.c.live_numbers).where(accounts.c.id == caller.account_id)
        ).scalar_one()
    if held:
        return
    per_group = -(-count // len(groups))
    for group in groups:
        quantity = min(PER_ORDER, per_group, count - held)
        if quantity <= 0:
            return
        with database.unit_of_work() as uow:
            place_order(uow, caller, QuantityWanted(group, quantity), datetime.now(UTC))
        held += quantity


def prepare_accounts(store: BigStore, groups: list[int]) -> dict[str, str]:
    """API keys of the three accounts, made (with their numbers) in the cached store
    the first time."""
    database = Database(store.url)
    try:
        keys = {
            HOLDER: _key(database, HOLDER, "10000"),
            SMALL: _key(database, SMALL, "100"),
            BUYER: _key(database, BUYER, "1000000"),
        }
        _hold(database, keys[SMALL], 10, groups[-10:])
        if store.dids >= 2 * HELD:
            _hold(database, keys[HOLDER], HELD, groups[1:-10])
    finally:
        database.dispose()
    return keys


@contextmanager
def working_copy(url: str) -> Iterator[str]:
    """A copy of the cached store that this run may change (provisions use it up)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            copy = Path(directory) / "store.db"
            shutil.copyfile(str(parsed.database), copy)
            # On the disk before the server starts: else the server's first checkpoint
            # (an fsync of the file) waits for the whole copy to be written (up to
            # 240 ms measured at 10^7: the p99 of one client's provisions).
            with copy.open("rb+") as written:
                os.fsync(written.fileno())
            yield f"sqlite:///{copy}"
        return
    name = f"{parsed.database}_run"
    with server_admin(url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with server_admin(url) as admin:
            admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def timed(client: httpx.Client, requests: int, next_request: Callable[[], httpx.Request]) -> Timing:
    spent = []
    for _ in range(requests):
        request = next_request()
        started = time.perf_counter()
        response = client.send(request)
        spent.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    spent.sort()
    return statistics.median(spent), spent[max(0, int(len(spent) * 0.99) - 1)]


def reads(
    base: str, keys: dict[str, str], groups: list[int], held: bool, requests: int
) -> dict[str, Timing]:
    found: dict[str, Timing] = {}

    def run(name: str, key: str, path: str, params: dict[str, str]) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=120) as client:
            request = client.build_request("GET", path, params=params)
            timed(client, 5, lambda: request)  # warm the caches
            found[name] = timed(client, requests, lambda: request)

    run("groups: one area code", keys[BUYER], *ONE_AREA)
    run("groups: whole country", keys[BUYER], *COUNTRY)
    run("search: one area code", keys[BUYER], *SEARCH)
    run("/numbers p1, 10 held", keys[SMALL], "/api/v2/numbers", {})
    if held:
        for page in (1, 200, HELD // DEFAULT_LIMIT):
            params = {"page": str(page)}
            run(f"/numbers p{page}, 50k held", keys[HOLDER], "/api/v2/numbers", params)
    # One provision per group in turn: the smallest store holds one DID per group.
    turn = iter(groups[1:-10] * 2)
    with httpx.Client(base_url=base, headers={"X-API-Key": keys[BUYER]}, timeout=120) as client:
        path = "/api/v2/countries/didgroups/{}/provision"
        found["provision, one client"] = timed(
            client, requests, lambda: client.build_request("GET", path.format(next(turn)))
        )
    return found


@contextmanager
def listing_without_pause(
    base: str, key: str, path: str, params: dict[str, str]
) -> Iterator[list[int]]:
    """One client repeating a listing until the block ends; how many it completed (in
    the list given, once the block has ended). The client is wrk with one connection:
    a Python client spends about a millisecond of CPU on each listing, which on a
    2-core machine is taken from the server it measures."""
    url = f"{base}{path}?{urlencode(params)}"
    command = wrk_command(url, 3600, 1, {"X-API-Key": key})
    lister = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    done: list[int] = []
    try:
        yield done
    finally:
        lister.send_signal(signal.SIGINT)  # wrk stops and prints what it did
        out, _ = lister.communicate(timeout=60)
        figures = wrk_figures(out)
        if figures.non_2xx:
            raise RuntimeError(f"{figures.non_2xx} listings failed")
        done.append(figures.requests)


def provisioning_script(groups: list[int], directory: str) -> str:
    """A wrk script that provisions from every group in turn (none runs out); its path."""
    script = Path(directory) / "provision.lua"
    script.write_text(
        f"local ids = {{{','.join(str(g) for g in groups)}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #ids + 1\n"
        '  return wrk.format("GET", "/api/v2/countries/didgroups/" .. ids[i] .. "/provision")\n'
        "end\n"
    )
    return str(script)


def under_load(
    server: RunningServer, keys: dict[str, str], groups: list[int], seconds: int, scratch: str
) -> UnderLoad:
    base = server.base_url
    script = provisioning_script(groups[1:-10], scratch)
    auth = {"X-API-Key": keys[BUYER]}
    alone: list[WrkResult] = []
    with_lister: list[WrkResult] = []
    listings = 0
    wrk(f"{base}/healthz", 2, CONNECTIONS, {})  # warm-up
    rss_after_provisioning = 0.0
    for round_number in range(ROUNDS):  # alternated: the store grows run after run
        alone.append(wrk(base, seconds, CONNECTIONS, auth, script))
        if round_number == 0:  # the target's reading: after one provisioning run
            rss_after_provisioning = rss_mb(server.process.pid)
        with listing_without_pause(base, keys[BUYER], *ONE_AREA) as listed:
            with_lister.append(wrk(base, seconds, CONNECTIONS, auth, script))
        listings += listed[0]
    health_alone = wrk(f"{base}/healthz", seconds, 4, {})
    with listing_without_pause(base, keys[BUYER], *COUNTRY):
        health_loaded = wrk(f"{base}/healthz", seconds, 4, {})
    return UnderLoad(
        alone,
        with_lister,
        listings,
        health_alone,
        health_loaded,
        rss_after_provisioning,
        rss_mb(server.process.pid),
    )


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (a `--workers 1` server is one)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,10000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    postgres = os.environ.get("FAXNUM_BENCH_POSTGRES_URL")
    store_name = "PostgreSQL" if postgres else "SQLite"
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[int, dict[str, Timing]] = {}
    load: UnderLoad | None = None
    for size in sizes:
        started = time.perf_counter()
        store = build(store_url(size, postgres), size)
        built = time.perf_counter() - started
        groups = group_ids(store.url)
        keys = prepare_accounts(store, groups)
        print(f"{store_name} store of {store.dids:,} DIDs ready in {built:.1f} s", flush=True)
        with (
            working_copy(store.url) as url,
            tempfile.TemporaryDirectory() as scratch,
            served(server_env(url, scratch), "--no-access-log") as server,
        ):
            held = store.dids >= 2 * HELD
            results[size] = reads(server.base_url, keys, groups, held, args.requests)
            if size == sizes[-1]:
                load = under_load(server, keys, groups, args.seconds, scratch)
    report(store_name, results, load)


def report(store: str, results: dict[int, dict[str, Timing]], load: UnderLoad | None) -> None:
    smallest, largest = min(results), max(results)
    print(f"\n{store}, {datetime.now(UTC):%Y-%m-%d}, one worker; p50 / p99 in ms")
    print(f"{'request':<26}" + "".join(f"{f'{size:,} DIDs':>22}" for size in results), end="")
    print(f"{'p50 ratio':>11}")
    for name in results[largest]:
        cells = [results[size].get(name) for size in results]
        line = "".join(f"{'—':>22}" if c is None else f"{c[0]:>12.2f} /{c[1]:>8.2f}" for c in cells)
        base = results[smallest].get(name)
        ratio = f"{results[largest][name][0] / base[0]:>10.2f}x" if base else f"{'—':>11}"
        print(f"{name:<26}{line}{ratio}")
    print("\ntarget: every read's p50 ratio (largest / smallest store) <= 3x")
    page_1 = results[largest]["/numbers p1, 10 held"][0]
    page_200 = results[largest].get("/numbers p200, 50k held")
    if page_200:
        print(f"/numbers page 200 of 50,000 / page 1 of 10: {page_200[0] / page_1:.2f}x (<= 3)")
    if load is None:
        return
    alone = sum(r.requests_per_second for r in load.alone) / len(load.alone)
    loaded = sum(r.requests_per_second for r in load.with_lister) / len(load.with_lister)
    failed = sum(r.non_2xx for r in [*load.alone, *load.with_lister])
    print(f"\nprovisioning at {largest:,} DIDs, {CONNECTIONS} connections, {ROUNDS} rounds each:")
    last = load.alone[-1]
    print(f"  alone {alone:.0f}/s (p50 {last.p50_ms:.1f} ms, p99 {last.p99_ms:.1f} ms)")
    print(f"  with one client listing area code 212 without pause: {loaded:.0f}/s ", end="")
    print(f"({load.listings_done} listings done meanwhile)")
    print(f"  ratio {loaded / alone:.2f}x (target >= 0.8)")
    print(f"/healthz p99, 4 connections: alone {load.health_alone.p99_ms:.1f} ms; ", end="")
    print(
        f"while one client lists the whole country {load.health_with_country_lister.p99_ms:.1f} ms"
    )
    print("  (target <= 50 ms)")
    print(
        "RSS of the serving worker after the first provisioning run: "
        f"{load.rss_after_provisioning_mb:.1f} MB (target <= 80); after every run: "
        f"{load.rss_mb:.1f} MB"
    )
    if failed:
        print(f"WARNING: {failed} provisioning requests failed; the figures are not valid")


if __name__ == "__main__":
    main()
