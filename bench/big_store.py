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
import multiprocessing
import queue
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.geodata import nanp_area_code_states
from faxnum.services.inventory import load_groups
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.store.db.tables import did_groups, dids
from faxnum.store.group_stock import recount
from faxnum.store.number_search import FTS_TABLE

CACHE = Path(__file__).parent / ".cache"
LAYOUT = "g1000"  # in cached names: a store built to another layout is not reused
GROUPS = 1000
LINE_STEP = 7919  # prime to 10,000: a group's lines never repeat
UNIQUE_AREA_CODE = "212"
_LINE_INVERSE = pow(LINE_STEP, -1, 10_000)  # line -> its place in the sequence


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
    built once: in a scratch place first, moved to `url` when complete, so that a build
    cut short is never taken for a store."""
    groups, group_size = GROUPS, max(1, total // GROUPS)
    plan = _group_plan(groups)
    rare_group = groups // 2
    rare_number = list(_numbers(*plan[rare_group], rare_group, group_size))[group_size // 3]
    store = BigStore(url, groups * group_size, rare_number)
    if _exists(url):
        upgrade(url)  # a store cached by an older revision gets the newer migrations
        engine = create_engine(url)
        with engine.connect() as connection:
            have = connection.execute(select(func.count()).select_from(dids)).scalar_one()
        engine.dispose()
        if have != store.dids:
            raise SystemExit(f"{url} holds {have} DIDs, not {store.dids}: remove it")
        return store
    with _scratch(url) as scratch:
        upgrade(scratch)
        _fill(scratch, plan, group_size)
    return store


def _fill(url: str, plan: list[tuple[str, int]], group_size: int) -> None:
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
    # In number order: the loaders generate each group's lines in turn, so the rows
    # arrive sorted (ids in number order, the number index filled left to right).
    starts.sort(key=lambda start: start[1])
    if database.sqlite:
        database.dispose()  # the loader changes the journal mode: no other connection
        _load_sqlite(str(make_url(url).database), starts, group_size, now)
    else:
        _load_postgres(database.write_engine, starts, group_size, now)
    database.dispose()


def _exists(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(str(parsed.database)).exists()
    with server_admin(url) as admin:
        found = admin.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        ).first()
    return found is not None


@contextmanager
def server_admin(url: str) -> Iterator[Connection]:
    """An autocommit connection to the `postgres` database of `url`'s server: what
    creates, copies, renames and drops whole databases."""
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@contextmanager
def _scratch(url: str) -> Iterator[str]:
    """A new, empty store beside `url`'s place, moved there when the block ends well."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        final = Path(str(parsed.database))
        scratch = final.with_name(f"{final.stem}-building{final.suffix}")
        for leftover in scratch.parent.glob(f"{scratch.name}*"):
            leftover.unlink()
        yield f"sqlite:///{scratch}"
        scratch.replace(final)  # WAL checkpointed and gone: the loader closed it last
        return
    name = f"{parsed.database}_building"
    with server_admin(url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    yield parsed.set(database=name).render_as_string(hide_password=False)
    with server_admin(url) as admin:
        admin.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{parsed.database}"'))


def _load_sqlite(path: str, starts: list[tuple[int, str, int]], size: int, now: datetime) -> None:
    """Bulk load, the rows made by SQLite itself in number order, on both cores: the
    per-row triggers on `dids` (search index, group stock) are set aside; the rows go
    in while another process builds the same search index in a file of its own, from
    the same rows (same ids, same numbers); its contents are copied in, the stock
    written and the triggers put back. The file is new and rebuilt if the load fails,
    so the load writes it without the WAL and without waiting for the disk.
    (Setting the secondary indexes aside too and building them after was measured
    slower at 10^7 rows: 86 s against 73 s.) Measured at 10^7 on a slower machine:
    the rows 35 s with the lines made by a recursive query (sorted again for each
    group), 31.5 s read from a table in order; the search index 37 s flushed every
    megabyte (FTS5's default) and merged, 28 s held in memory and written once; the
    whole load 83 s, 74 s with both, 52 s with the index built beside the rows."""
    moment = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    beside = Path(path).with_name(f"{Path(path).stem}-search.db")
    beside.unlink(missing_ok=True)
    connection = _bulk_connection(path)
    try:
        cursor = connection.cursor()
        (search_table,) = cursor.execute(
            "SELECT sql FROM sqlite_master WHERE name = ?", (FTS_TABLE,)
        ).fetchone()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            searched = pool.submit(_search_index, str(beside), search_table, starts, size, moment)
            set_aside = cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'dids' AND type = 'trigger'"
            ).fetchall()
            cursor.execute("BEGIN")
            for name, _ in set_aside:
                cursor.execute(f"DROP TRIGGER {name}")
            loaded = _insert_rows(cursor, starts, size, moment)
            cursor.execute("COMMIT")
            indexed = searched.result()
        if indexed != loaded:  # (count, first id, last id): the index is of other rows
            raise RuntimeError(f"search index built for {indexed}, rows loaded {loaded}")
        cursor.execute("ATTACH DATABASE ? AS beside", (str(beside),))
        cursor.execute("BEGIN")
        for shadow in ("data", "idx", "docsize"):
            table = f"{FTS_TABLE}_{shadow}"
            cursor.execute(f"DELETE FROM main.{table}")
            cursor.execute(f"INSERT INTO main.{table} SELECT * FROM beside.{table}")
        # The stock the triggers would have kept: every DID loaded is available.
        cursor.executemany(
            "INSERT INTO did_group_stock (did_group_id, shard, available) VALUES (?, 0, ?)",
            [(group, size) for group, _, _ in starts],
        )
        for _, sql in set_aside:
            cursor.execute(sql)
        cursor.execute("COMMIT")
        cursor.execute("DETACH DATABASE beside")
        cursor.execute("PRAGMA journal_mode = WAL")  # as the project's engines open it
    finally:
        connection.close()
        beside.unlink(missing_ok=True)


def _bulk_connection(path: str) -> sqlite3.Connection:
    """A connection for one writer of a new file: no waiting for the disk, the indexes
    in memory (2 GB of cache), transactions begun and ended by the caller."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -2000000")
    return connection


def _insert_rows(
    cursor: sqlite3.Cursor, starts: list[tuple[int, str, int]], size: int, moment: str
) -> tuple[int, int, int]:
    """The DIDs into `dids`, ids in number order; how many, the first and last id."""
    cursor.execute("CREATE TEMP TABLE bench_groups (id INTEGER, prefix TEXT, first INTEGER)")
    cursor.executemany("INSERT INTO bench_groups VALUES (?, ?, ?)", starts)
    # Lines in a table keyed by line, so that both scans come in order, unsorted.
    cursor.execute("CREATE TEMP TABLE bench_lines (n INTEGER PRIMARY KEY)")
    cursor.executemany("INSERT INTO bench_lines VALUES (?)", ((n,) for n in range(10_000)))
    # Each group's lines 0000-9999 in order, kept when the line is one of the first
    # `size` of the group's sequence (first + i * LINE_STEP): i < size.
    cursor.execute(
        "INSERT INTO dids (did_group_id, number, state, state_changed_at) "
        "SELECT g.id, g.prefix || printf('%04d', line.n), 'available', ? "
        "FROM bench_groups AS g CROSS JOIN bench_lines AS line "
        "WHERE ((line.n - g.first + 10000) * ?) % 10000 < ? ORDER BY g.rowid, line.n",
        (moment, _LINE_INVERSE, size),
    )
    cursor.execute("DROP TABLE bench_groups")
    cursor.execute("DROP TABLE bench_lines")
    count, first, last = cursor.execute("SELECT count(*), min(id), max(id) FROM dids").fetchone()
    return count, first, last


def _search_index(
    path: str, search_table: str, starts: list[tuple[int, str, int]], size: int, moment: str
) -> tuple[int, int, int]:
    """In a file of its own: the rows `_insert_rows` makes, in a bare `dids`, and the
    search index over them as the schema declares it (`search_table`), built in memory
    and written once, rather than flushed every megabyte and merged again and again."""
    connection = _bulk_connection(path)
    try:
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        cursor.execute(
            "CREATE TABLE dids (id INTEGER PRIMARY KEY, did_group_id INTEGER, number TEXT, "
            "state TEXT, state_changed_at TEXT)"
        )
        cursor.execute(search_table)
        loaded = _insert_rows(cursor, starts, size, moment)
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('hashsize', ?)", (2**30,)
        )
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        cursor.execute("COMMIT")  # the index is written here
        return loaded
    finally:
        connection.close()


def _load_postgres(
    engine: Engine, starts: list[tuple[int, str, int]], size: int, now: datetime
) -> None:
    """Bulk load, the rows made by PostgreSQL itself, a tenth of the groups at a time,
    in two connections at once (one per core), ids given in number order; the stock
    triggers disabled and the secondary indexes and constraints of `dids` set aside,
    put back after as the schema defines them, again two builds at a time, with the
    memory to sort in one pass. Measured at 10^7: 251 s with the row-by-row
    foreign-key check, index upkeep and one sorted insert; 63 s in one connection
    without them. On a slower machine: 90 s with the index builds in two fixed lists
    (the trigram index, then all the others: 58 s for those), 75 s with each build
    taken by whichever connection is free, longest first."""
    with engine.connect() as connection:
        drops, trigram, others = _set_aside(connection)
        for drop in [*drops, "ALTER TABLE dids DISABLE TRIGGER USER"]:
            connection.exec_driver_sql(drop)
        connection.commit()
    rows = [
        {"id": g, "prefix": p, "first": f, "offset": place * size}
        | {"now": now, "inverse": _LINE_INVERSE, "size": size}
        for place, (g, p, f) in enumerate(starts)
    ]
    tenth = len(rows) // 10 or 1
    parts = [rows[i : i + tenth] for i in range(0, len(rows), tenth)]
    _shared_out(engine, [_sql(_INSERT_GROUP, part) for part in parts])
    # Index builds and the stock the triggers would have kept, longest first, each
    # taken by whichever connection is free; then the constraints and ANALYZE, which
    # wait for every index build.
    constraints = [step for step in others if step.startswith("ALTER TABLE")]
    builds = [_sql(step) for step in [*trigram, *others] if step not in constraints]
    _shared_out(engine, [*builds, recount])
    _shared_out(engine, [*map(_sql, constraints), _sql("ANALYZE")], connections=1)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE dids ENABLE TRIGGER USER")
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('dids', 'id'), (SELECT max(id) FROM dids))"
        )


# Each group's lines 0000-9999 in order, kept when the line is one of the first `size`
# of the group's sequence (first + i * LINE_STEP): i < size.
_INSERT_GROUP = (
    "INSERT INTO dids (id, did_group_id, number, state, state_changed_at) "
    "SELECT %(offset)s + row_number() OVER (ORDER BY n), %(id)s, "
    "%(prefix)s || lpad(n::text, 4, '0'), 'available', %(now)s "
    "FROM generate_series(0, 9999) AS n "
    "WHERE ((n - %(first)s + 10000) * %(inverse)s) %% 10000 < %(size)s ORDER BY n"
)
Step = Callable[[Connection], Any]


def _sql(statement: str, parameters: list[dict[str, Any]] | None = None) -> Step:
    return lambda connection: connection.exec_driver_sql(statement, parameters)


def _shared_out(engine: Engine, steps: list[Step], connections: int = 2) -> None:
    """The steps in turn, each committed, in as many connections at once: a connection
    that is done takes the next."""
    waiting = queue.SimpleQueue[Step]()
    for step in steps:
        waiting.put(step)

    def take_turns() -> None:
        with engine.connect() as connection:
            _set_up(connection)
            while True:
                try:
                    step = waiting.get_nowait()
                except queue.Empty:
                    return
                step(connection)
                connection.commit()

    with ThreadPoolExecutor(connections) as pool:
        for done in [pool.submit(take_turns) for _ in range(connections)]:
            done.result()


def _set_up(connection: Connection) -> None:
    """Memory to sort an index in one pass; no parallel workers (each connection has
    its core)."""
    connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
    connection.exec_driver_sql("SET max_parallel_maintenance_workers = 0")


def _set_aside(connection: Connection) -> tuple[list[str], list[str], list[str]]:
    """What sets the secondary indexes and the constraints of `dids` aside, and what
    puts them back as the schema has them: the trigram index (the longest build), then
    the rest, index builds first, longest first (a unique constraint's index built as
    a plain one, so that its lock lets others build at once; then the indexes on more
    columns first), then the constraints (`ALTER TABLE`, after every index build)."""
    constraints = connection.exec_driver_sql(
        "SELECT quote_ident(conname), contype, pg_get_constraintdef(oid), "
        "pg_get_indexdef(conindid) FROM pg_constraint "
        "WHERE conrelid = 'dids'::regclass AND contype IN ('f', 'u')"
    ).all()
    indexes = connection.exec_driver_sql(
        "SELECT quote_ident(indexname), indexdef FROM pg_indexes WHERE tablename = 'dids' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'dids'::regclass)"
    ).all()
    drops = [f"ALTER TABLE dids DROP CONSTRAINT {name}" for name, *_ in constraints]
    drops += [f"DROP INDEX {name}" for name, _ in indexes]
    trigram = [made for _, made in indexes if "gin_trgm_ops" in made]
    others = [index for _, kind, _, index in constraints if kind == "u"]
    plain = [made for _, made in indexes if "gin_trgm_ops" not in made]
    others += sorted(plain, key=lambda made: -_key_columns(made))
    others += [
        f"ALTER TABLE dids ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"
        for name, kind, *_ in constraints
        if kind == "u"
    ]
    others += [
        f"ALTER TABLE dids ADD CONSTRAINT {name} {made}"
        for name, kind, made, _ in constraints
        if kind == "f"
    ]
    return drops, trigram, others


def _key_columns(index_definition: str) -> int:
    """How many columns an index's key has ("... USING btree (a, b) WHERE ..." has 2)."""
    return index_definition.split(" (", 1)[1].split(")", 1)[0].count(",") + 1


def store_url(size: int, postgres_server: str | None) -> str:
    """Where the store of `size` DIDs lives: a cached SQLite file, or a database of that
    name on the given PostgreSQL server."""
    if postgres_server is None:
        CACHE.mkdir(exist_ok=True)
        return f"sqlite:///{CACHE / f'inventory-{LAYOUT}-{size}.db'}"
    name = f"faxnum_bench_{LAYOUT}_{size}"
    return make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
