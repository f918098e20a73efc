"""Inventory import speed next to a bare sqlite3 executemany of the same rows.

Generates N NANP numbers (default 1,000,000) into a CSV, then in the same run:
  1. bare:   sqlite3 `executemany` of the rows into the migrated `dids` table (same
             indexes), one transaction, no validation: the floor;
  2. import: `import_inventory` reading the CSV, validating every number with
             phonenumbers, grouping, batching and committing as `faxnum import dids`.
Prints rows/s for both and the ratio (target: import within 3x of bare).

    python bench/import_dids.py [--rows 1000000]
"""

import argparse
import csv
import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from faxnum.cli.inventory_files import read_rows
from faxnum.numbering.geodata import city_prefixes
from faxnum.services.inventory_import import import_inventory
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade


def generate(path: Path, rows: int) -> list[str]:
    """Whole 10,000-number blocks of real NANP exchanges (NPA-NXX)."""
    exchanges = sorted(p for prefixes in city_prefixes(1).values() for p in prefixes if len(p) == 7)
    numbers = [
        f"+{exchange}{line:04d}"
        for exchange in exchanges[: rows // 10_000 + 1]
        for line in range(10_000)
    ]
    numbers = numbers[:rows]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number"])
        writer.writerows([n] for n in numbers)
    return numbers


def bare_insert(database_file: Path, numbers: list[str]) -> float:
    connection = sqlite3.connect(database_file, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "INSERT INTO did_groups (id, country_code, area_code, city_name, type, setup_price_micros,"
        " monthly_price_micros) VALUES (1, 'USA', '000', 'BENCH', 'GEOGRAPHIC', 0, 0)"
    )
    now = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO dids (did_group_id, number, state, state_changed_at)"
        " VALUES (1, ?, 'available', ?)",
        ((n, now) for n in numbers),
    )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def faxnum_import(url: str, csv_path: Path, workers: int) -> tuple[float, int, int]:
    database = Database(url)
    started = time.perf_counter()
    report = import_inventory(
        database.unit_of_work,
        read_rows(csv_path),
        Decimal("1"),
        Decimal("2"),
        datetime.now(UTC),
        workers=workers,
    )
    elapsed = time.perf_counter() - started
    database.dispose()
    return elapsed, report.added, len(report.rejected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="as `faxnum import dids`"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        numbers = generate(directory / "dids.csv", args.rows)
        for name in ("bare.db", "import.db"):
            upgrade(f"sqlite:///{directory / name}")
        bare_s = bare_insert(directory / "bare.db", numbers)
        import_s, added, rejected = faxnum_import(
            f"sqlite:///{directory / 'import.db'}", directory / "dids.csv", args.workers
        )
    rows = len(numbers)
    print(f"{'path':<28}{'seconds':>10}{'rows/s':>12}")
    print(f"{'bare sqlite3 executemany':<28}{bare_s:>10.2f}{rows / bare_s:>12,.0f}")
    label = f"faxnum import, {args.workers} proc."
    print(f"{label:<28}{import_s:>10.2f}{rows / import_s:>12,.0f}")
    print(f"rows: {rows:,} (imported {added:,}, rejected as invalid {rejected:,})")
    print(f"import / bare time: {import_s / bare_s:.1f}x (target <= 3.0x)")


if __name__ == "__main__":
    main()
