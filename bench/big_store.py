"""Stores of any size for benchmarks, built through the project's own migrations and
cached between runs (SQLite files under bench/.cache/, PostgreSQL databases by name).

Inventory: 1,000 USA DID groups at every size (a store of N DIDs holds N / 1,000 in
each), so that a request's answer is the same at every size and only the inventory
grows. Group 0 alone has area code 212 (an area-code search matches one group); the
others spread over the other US area codes, one exchange each, with lines spread over
the 10,000 of the exchange, so that an 8-digit piece of a number is found a few dozen
times country-wide at most.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.geodata import nanp_area_code_states
from faxnum.services.inventory import load_groups
from faxnum.store.database import Database
from faxnum.store.group_stock import recount
from faxnum.store.migrate import upgrade
from faxnum.store.number_search import FTS_TABLE, TRIGRAM_INDEX
from faxnum.store.tables import did_groups, dids

CACHE = Path(__file__).parent / ".cache"
LAYOUT = "g1000"  # in cached names: a store built to another layout is not reused
GROUPS = 1000
LINE_STEP = 7919  # prime to 10,000: a group's lines never repeat
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


def _first_line(group: int) -> int:
    return int(hashlib.sha256(str(group).encode()).hexdigest()[:8], 16) % 10_000


def _numbers(area: str, exchange: int, group: int, count: int) -> Iterator[str]:
    """The group's `count` (at most 10,000) numbers: lines spread over the exchange
    differently in every group. The loaders compute the same in SQL."""
    for i in range(count):
        yield f"+1{area}{exchange:03d}{(_first_line(group) + i * LINE_STEP) % 10_000:04d}"


def build(url: str, total: int) -> BigStore:
    """The store at `url` holding `total` DIDs (a multiple of GROUPS, at most 10^7),
    built once."""
    groups, group_size = GROUPS, max(1, total // GROUPS)
    plan = _group_plan(groups)
    rare_group = groups // 2
    rare_number = list(_numbers(*plan[rare_group], rare_group, group_size))[group_size // 3]
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        have = connection.execute(select(func.count()).select_from(dids)).scalar_one()
    engine.dispose()
    if have == groups * group_size:
        return BigStore(url, have, rare_number)
    if have:
        raise SystemExit(f"{url} holds {have} DIDs, not {groups * group_size}: remove it")
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
    starts = [
        (ids[f"CITY {g}"], f"+1{area}{exchange:03d}", _first_line(g))
        for g, (area, exchange) in enumerate(plan)
    ]
    raw = database.write_engine.raw_connection()
    try:
        if database.sqlite:
            _load_sqlite(raw, starts, group_size, now.strftime("%Y-%m-%d %H:%M:%S.%f"))
        else:
            _load_postgres(raw, starts, group_size, now)
    finally:
        raw.close()
    with database.write_engine.begin() as connection:
        recount(connection)  # the stock the triggers would have kept
    if not database.sqlite:  # the planner's statistics (SQLite's queries need none)
        with database.write_engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    database.dispose()
    return BigStore(url, groups * group_size, rare_number)


def _load_sqlite(raw: Any, starts: list[tuple[int, str, int]], size: int, stamp: str) -> None:
    """Bulk load, the rows made by SQLite itself in number order: the per-row triggers
    on `dids` (search index, group stock) are set aside, then the search index is
    rebuilt in one pass (the same contents, built much faster) and the triggers put
    back; the stock is counted after. (Setting the secondary indexes aside too and
    building them after was measured slower at 10^7 rows: 86 s against 73 s.)"""
    cursor = raw.cursor()
    cursor.execute("PRAGMA cache_size = -2000000")  # 2 GB: the indexes stay in memory
    set_aside = cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'dids' AND type = 'trigger'"
    ).fetchall()
    cursor.execute("BEGIN")  # the engine leaves the driver in autocommit mode
    for kind, name, _ in set_aside:
        cursor.execute(f"DROP {kind.upper()} {name}")
    cursor.execute("CREATE TEMP TABLE bench_groups (id INTEGER, prefix TEXT, first INTEGER)")
    cursor.executemany("INSERT INTO bench_groups VALUES (?, ?, ?)", starts)
    cursor.execute(
        "WITH RECURSIVE line(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM line WHERE i < ?) "
        "INSERT INTO dids (did_group_id, number, state, state_changed_at) "
        f"SELECT g.id, g.prefix || printf('%04d', (g.first + line.i * {LINE_STEP}) % 10000), "
        "'available', ? FROM bench_groups AS g, line ORDER BY 2",
        (size - 1, stamp),
    )
    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    for _, _, sql in set_aside:
        cursor.execute(sql)
    cursor.execute("DROP TABLE bench_groups")
    cursor.execute("COMMIT")


def _load_postgres(
    raw: Any, starts: list[tuple[int, str, int]], size: int, stamp: datetime
) -> None:
    """Bulk load, the rows made by PostgreSQL itself in number order, the stock
    triggers disabled; the trigram index is built once, after the rows."""
    cursor = raw.cursor()
    cursor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    cursor.execute("ALTER TABLE dids DISABLE TRIGGER USER")
    cursor.execute("CREATE TEMP TABLE bench_groups (id integer, prefix text, first integer)")
    cursor.executemany("INSERT INTO bench_groups VALUES (%s, %s, %s)", starts)
    cursor.execute(
        "INSERT INTO dids (did_group_id, number, state, state_changed_at) "
        f"SELECT g.id, g.prefix || lpad(((g.first + i * {LINE_STEP}) %% 10000)::text, 4, '0'), "
        "'available', %s FROM bench_groups AS g CROSS JOIN generate_series(0, %s) AS i "
        "ORDER BY 2",
        (stamp, size - 1),
    )
    cursor.execute("ALTER TABLE dids ENABLE TRIGGER USER")
    cursor.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON dids USING gin (number gin_trgm_ops)")
    raw.commit()


def store_url(size: int, postgres_server: str | None) -> str:
    """Where the store of `size` DIDs lives: a cached SQLite file, or a database of that
    name on the given PostgreSQL server (created when missing)."""
    if postgres_server is None:
        CACHE.mkdir(exist_ok=True)
        return f"sqlite:///{CACHE / f'inventory-{LAYOUT}-{size}.db'}"
    server = make_url(postgres_server)
    name = f"faxnum_bench_{LAYOUT}_{size}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)
