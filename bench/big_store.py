"""Stores of any size for benchmarks, built through the project's own migrations and
cached between runs (SQLite files under bench/.cache/, PostgreSQL databases by name).

Inventory: USA DID groups of 1,000 DIDs each. Group 0 alone has area code 212 (an
area-code search matches one group at every size); the others spread over the other
US area codes, one exchange each, with lines spread over the 10,000 of the exchange,
so that an 8-digit piece of a number is found a handful of times country-wide.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.geodata import nanp_area_code_states
from faxnum.services.inventory import load_groups
from faxnum.store.database import Database
from faxnum.store.migrate import upgrade
from faxnum.store.number_search import FTS_TABLE, TRIGRAM_INDEX
from faxnum.store.tables import did_groups, dids

CACHE = Path(__file__).parent / ".cache"
GROUP_SIZE = 1000
UNIQUE_AREA_CODE = "212"
BATCH = 200_000


@dataclass(frozen=True)
class BigStore:
    url: str
    dids: int
    rare_number: str  # a number whose last 8 digits occur a few times country-wide


def _us_area_codes() -> list[str]:
    states = nanp_area_code_states()
    us_states = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID",
                 "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS",
                 "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
                 "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
                 "WI", "WY", "DC"}  # fmt: skip
    return sorted(a for a, s in states.items() if s in us_states and a != UNIQUE_AREA_CODE)


def _group_plan(groups: int) -> list[tuple[str, int]]:
    """(area code, exchange) of each group."""
    others = _us_area_codes()
    plan = [(UNIQUE_AREA_CODE, 555)]
    for g in range(1, groups):
        plan.append((others[g % len(others)], 200 + (g // len(others)) % 800))
    return plan


def _lines(group: int) -> Iterator[int]:
    """GROUP_SIZE distinct lines of 0..9999, spread differently in every group."""
    step, offset = 7919, int(hashlib.sha256(str(group).encode()).hexdigest()[:8], 16) % 10_000
    for i in range(GROUP_SIZE):
        yield (offset + i * step) % 10_000


def _numbers(area: str, exchange: int, group: int) -> Iterator[str]:
    for line in _lines(group):
        yield f"+1{area}{exchange:03d}{line:04d}"


def build(url: str, total: int) -> BigStore:
    """The store at `url` holding `total` DIDs (a multiple of GROUP_SIZE), built once."""
    groups = max(1, total // GROUP_SIZE)
    plan = _group_plan(groups)
    rare_group = groups // 2
    rare_number = list(_numbers(*plan[rare_group], rare_group))[GROUP_SIZE // 3]
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        have = connection.execute(select(func.count()).select_from(dids)).scalar_one()
    engine.dispose()
    if have == groups * GROUP_SIZE:
        return BigStore(url, have, rare_number)
    if have:
        raise SystemExit(f"{url} holds {have} DIDs, not {groups * GROUP_SIZE}: remove it")
    database = Database(url)
    now = datetime.now(UTC)
    specs = [
        GroupSpec(
            "USA", None, area, f"CITY {g}", NumberType.GEOGRAPHIC, Decimal("0.01"), Decimal("0.01")
        )
        for g, (area, _) in enumerate(plan)
    ]
    with database.unit_of_work() as uow:
        load_groups(uow, specs, now)
    with database.write_engine.connect() as connection:
        ids = dict(
            connection.execute(
                select(did_groups.c.city_name, did_groups.c.id).where(
                    did_groups.c.country_code == "USA"
                )
            ).all()
        )
    ordered = sorted(range(len(plan)), key=lambda g: plan[g])  # DIDs go in in number order
    rows = (
        (ids[f"CITY {g}"], number, "available", now)
        for g in ordered
        for number in sorted(_numbers(*plan[g], g))
    )
    raw = database.write_engine.raw_connection()
    try:
        (_load_sqlite if database.sqlite else _load_postgres)(raw, rows)
    finally:
        raw.close()
    database.dispose()
    return BigStore(url, groups * GROUP_SIZE, rare_number)


def _load_sqlite(raw: Any, rows: Iterator[tuple[int, str, str, datetime]]) -> None:
    """Bulk load: the search index's per-row trigger is set aside and the index rebuilt
    in one pass at the end (the same index, built much faster)."""
    cursor = raw.cursor()
    trigger = cursor.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'dids_search_insert'"
    ).fetchone()[0]
    cursor.execute("BEGIN")  # the engine leaves the driver in autocommit mode
    cursor.execute("DROP TRIGGER dids_search_insert")
    while batch := list(islice(rows, BATCH)):
        cursor.executemany(
            "INSERT INTO dids (did_group_id, number, state, state_changed_at) VALUES (?, ?, ?, ?)",
            batch,
        )
    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    cursor.execute(trigger)
    cursor.execute("COMMIT")


def _load_postgres(raw: Any, rows: Iterator[tuple[int, str, str, datetime]]) -> None:
    """Bulk load with COPY; the trigram index is built once, after the rows."""
    cursor = raw.cursor()
    cursor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    copy = "COPY dids (did_group_id, number, state, state_changed_at) FROM STDIN"
    with cursor.copy(copy) as loading:
        for row in rows:
            loading.write_row(row)
    cursor.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON dids USING gin (number gin_trgm_ops)")
    raw.commit()
    cursor.execute("ANALYZE")
    raw.commit()


def store_url(size: int, postgres_server: str | None) -> str:
    """Where the store of `size` DIDs lives: a cached SQLite file, or a database of that
    name on the given PostgreSQL server (created when missing)."""
    if postgres_server is None:
        CACHE.mkdir(exist_ok=True)
        return f"sqlite:///{CACHE / f'inventory-{size}.db'}"
    server = make_url(postgres_server)
    name = f"faxnum_bench_{size}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)
