"""Available-number search on big inventories: an area-code search and a rare
`contains` search (a pattern found fewer than 10 times country-wide) against a real
`faxnum serve`, on stores of 10^3, 10^5 and 10^7 DIDs (built once, cached).

Targets (ratios from one run): area-code search p50 at the largest size <= 3x its p50
at the smallest; the rare `contains` search p50 <= 20x the area-code search at the
same size (it must use an index, not scan every number).

    python bench/number_search.py [--sizes 1000,100000,10000000] [--requests 200]
    FAXNUM_BENCH_POSTGRES_URL=postgresql+psycopg://... python bench/number_search.py
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from big_store import BigStore, build, store_url
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.store.db.database import Database
from provision import SECRET, running_server


def api_key(url: str) -> str:
    database = Database(url)
    with database.unit_of_work() as uow:
        key = create_account(
            uow,
            KeyCipher(SECRET.encode()),
            f"bench-{time.time_ns()}@example.com",
            datetime.now(UTC),
            opening_credit=Decimal("0"),
        ).api_key
    database.dispose()
    return key


def timings(
    client: httpx.Client, params: dict[str, str], requests: int
) -> tuple[float, float, int]:
    """p50 and p99 in ms of `requests` sequential searches; how many numbers matched."""
    spent = []
    total = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/api/v2/available-numbers", params=params)
        spent.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        total = response.json()["meta"]["pagination"]["total"]
    spent.sort()
    return statistics.median(spent), spent[int(len(spent) * 0.99) - 1], total


def measure(store: BigStore, requests: int) -> dict[str, tuple[float, float, int]]:
    key = api_key(store.url)
    national = store.rare_number[2:]
    searches = {
        "area code": {"country": "USA", "areaCode": "212"},
        "rare contains": {"country": "USA", "contains": national[-8:]},
    }
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_server(store.url, data_dir) as server,
        httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}, timeout=120) as client,
    ):
        for params in searches.values():
            timings(client, params, 5)  # warm the caches
        return {name: timings(client, params, requests) for name, params in searches.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,10000000")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    postgres = os.environ.get("FAXNUM_BENCH_POSTGRES_URL")
    store_name = "PostgreSQL" if postgres else "SQLite"
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        store = build(store_url(size, postgres), size)
        built = time.perf_counter() - started
        print(f"{store_name} store of {store.dids:,} DIDs ready in {built:.1f} s", flush=True)
        results[size] = measure(store, args.requests)
    print(f"\n{'DIDs':>12} {'search':<14}{'p50 ms':>9}{'p99 ms':>9}{'matches':>9}")
    for size, rows in results.items():
        for name, (p50, p99, total) in rows.items():
            print(f"{size:>12,} {name:<14}{p50:>9.2f}{p99:>9.2f}{total:>9,}")
    smallest, largest = min(results), max(results)
    area_growth = results[largest]["area code"][0] / results[smallest]["area code"][0]
    rare_vs_area = results[largest]["rare contains"][0] / results[largest]["area code"][0]
    print(f"\narea-code search p50, {largest:,} vs {smallest:,} DIDs: ", end="")
    print(f"{area_growth:.2f}x (target <= 3)")
    print(f"rare contains p50 vs area-code p50 at {largest:,} DIDs: ", end="")
    print(f"{rare_vs_area:.2f}x (target <= 20)")


if __name__ == "__main__":
    main()
