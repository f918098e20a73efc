"""Importing operator inventory files: validation, idempotency, batches, round trip."""

import io
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from faxnum.cli.inventory_files import read_rows, write_inventory
from faxnum.services import inventory_import
from faxnum.services.accounts import authenticate
from faxnum.services.inventory_import import ImportReport, import_inventory
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.store.db.tables import did_groups, dids
from faxnum.store.inventory import DidQueries
from tests.dbstate import snapshot
from tests.factories import add_account, add_group, real_numbers

WINNIPEG = real_numbers("CA", "Winnipeg, MB", 6)
LEEDS = real_numbers("GB", "Leeds", 2)


def run_import(database: Database, path: Path, **options: object) -> ImportReport:
    return import_inventory(
        database.unit_of_work,
        read_rows(path),
        Decimal("1.00"),
        Decimal("2.00"),
        datetime.now(UTC),
        **options,  # type: ignore[arg-type]
    )


def copied_state(database: Database, number: str | None) -> str:
    with database.write_engine.connect() as connection:
        return str(
            connection.execute(select(dids.c.state).where(dids.c.number == number)).scalar_one()
        )


def count(database: Database, table: object) -> int:
    with database.write_engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


@pytest.fixture
def messy_file(tmp_path: Path) -> Path:
    """BOM, CRLF, blank lines, every kind of bad row, and a truncated last line."""
    lines = [
        "number,country,city,type,setup_price,monthly_price,trunk",  # line 1
        f"{WINNIPEG[0]},CAN,,,0.50,1.25,carrier-a",  # 2 valid
        "",  # 3 blank
        f"{WINNIPEG[1]},can",  # 4 valid, lower-case country
        f"{WINNIPEG[0]},CAN",  # 5 duplicate of line 2
        f"{LEEDS[0]},CAN",  # 6 wrong country
        "not-a-number",  # 7
        "+1204",  # 8 too short to be valid
        f"{LEEDS[1]},GBR",  # 9 valid, another country
        f"{WINNIPEG[2]},XX",  # 10 unknown country
        f"{WINNIPEG[3]},CAN,,,abc",  # 11 bad price
        f"{WINNIPEG[4]},CAN,,FAXLINE",  # 12 bad type
        "   ",  # 13 blank-ish
        WINNIPEG[5][:-3],  # 14 truncated last line, no line end
    ]
    path = tmp_path / "inventory.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    return path


def test_messy_file_imports_the_valid_rows_and_reports_each_bad_one(
    database: Database, messy_file: Path
) -> None:
    report = run_import(database, messy_file)

    assert (report.rows, report.added, report.existing) == (11, 3, 0)
    assert {(r.line, r.reason) for r in report.rejected} == {
        (5, "duplicate of line 2"),
        (6, "number belongs to GBR, not CAN"),
        (7, "not a phone number"),
        (8, "not a valid number"),
        (10, "unknown country 'XX'"),
        (11, "invalid setup price 'abc'"),
        (12, "unknown type 'FAXLINE'"),
        (14, "not a valid number"),
    }
    assert report.groups_created == 2
    with database.reader() as uow:
        lines = {line.number: line for line in uow.dids.inventory()}
    assert set(lines) == {WINNIPEG[0], WINNIPEG[1], LEEDS[1]}
    winnipeg = lines[WINNIPEG[0]]
    assert (winnipeg.country_code, winnipeg.area_code, winnipeg.city_name, winnipeg.type) == (
        "CAN",
        WINNIPEG[0][2:5],
        "WINNIPEG",
        "GEOGRAPHIC",
    )
    assert (winnipeg.setup_price, winnipeg.monthly_price, winnipeg.carrier_trunk) == (
        Decimal("0.5"),
        Decimal("1.25"),
        "carrier-a",
    )
    assert lines[LEEDS[1]].city_name == "LEEDS"


def test_importing_the_same_file_again_adds_nothing(database: Database, messy_file: Path) -> None:
    run_import(database, messy_file)
    before = snapshot(database.write_engine)

    again = run_import(database, messy_file)

    assert (again.added, again.existing, again.groups_created) == (0, 3, 0)
    assert snapshot(database.write_engine) == before


def test_numbers_join_an_existing_group_with_the_same_country_area_city_and_type(
    database: Database, tmp_path: Path
) -> None:
    group_id = add_group(database, region="CA", description="Winnipeg, MB", count=2, seed=7)
    fresh = [
        n for n in real_numbers("CA", "Winnipeg, MB", 12, seed=99) if n[2:5] == WINNIPEG[0][2:5]
    ][:3]
    path = tmp_path / "more.csv"
    path.write_text("\n".join(fresh) + "\n")

    report = run_import(database, path)

    assert (report.added, report.groups_created) == (len(fresh), 0)
    with database.write_engine.connect() as connection:
        assert connection.execute(
            select(func.count()).where(dids.c.did_group_id == group_id)
        ).scalar_one() == 2 + len(fresh)


def test_an_interrupted_import_resumes_where_it_stopped(database: Database, tmp_path: Path) -> None:
    numbers = real_numbers("CA", "Winnipeg, MB", 30, seed=3)
    path = tmp_path / "big.csv"
    path.write_text("number\n" + "\n".join(numbers))

    def stop_after_two_batches(report: ImportReport) -> None:
        if report.rows >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(database, path, batch_size=10, on_batch=stop_after_two_batches)
    assert count(database, dids) == 20

    resumed = run_import(database, path, batch_size=10)

    assert (resumed.added, resumed.existing) == (10, 20)
    assert count(database, dids) == 30


def test_a_batch_that_fails_leaves_none_of_its_rows(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = real_numbers("CA", "Winnipeg, MB", 20, seed=4)
    path = tmp_path / "twenty.csv"
    path.write_text("\n".join(numbers))
    original = DidQueries.add_missing
    calls = []

    def failing_second_batch(self: DidQueries, new: list, now: datetime) -> int:  # type: ignore[type-arg]
        added = original(self, new, now)
        calls.append(added)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return added

    monkeypatch.setattr(DidQueries, "add_missing", failing_second_batch)
    with pytest.raises(RuntimeError):
        run_import(database, path, batch_size=10)
    assert count(database, dids) == 10


def test_export_then_import_into_an_empty_database_gives_the_same_inventory(
    database: Database, messy_file: Path, tmp_path: Path, empty_database_url: str
) -> None:
    run_import(database, messy_file)
    new_york = add_group(
        database, region="US", description="New York, NY", count=3, setup="0.99", monthly="4.10"
    )
    owner = add_account(database)
    with database.reader() as uow:
        caller = authenticate(uow, owner.api_key)
    with database.unit_of_work() as uow:
        taken = provision(uow, caller, new_york, datetime.now(UTC)).did.number
    with database.write_engine.begin() as connection:  # one taken out of stock by hand
        blocked = (
            connection.execute(
                update(dids)
                .where(dids.c.state == "available")
                .values(state="blocked")
                .returning(dids.c.number)
            )
            .scalars()
            .first()
        )
    exported = io.StringIO()
    with database.reader() as uow:
        write_inventory(uow.dids.inventory(), exported)
    export_path = tmp_path / "export.csv"
    export_path.write_text(exported.getvalue())
    empty = Database(empty_database_url)

    report = run_import(empty, export_path)

    assert report.rejected == []
    with database.reader() as original, empty.reader() as copy:
        copied = {line.number: line for line in copy.dids.inventory()}
        for line in original.dids.inventory():
            # A DID held by an account there comes in out of stock: never handed out twice.
            expected = "blocked" if line.number == taken else line.state
            assert copied.pop(line.number) == replace(line, state=expected)
        assert copied == {}
    assert (copied_state(empty, taken), copied_state(empty, blocked)) == ("blocked", "blocked")
    assert count(empty, did_groups) == count(database, did_groups)
    empty.dispose()


def test_validating_in_worker_processes_gives_the_same_import_as_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows of 7 rows, so this small file is mostly validated by two worker processes:
    the reports, rejections included, and the stored inventories are the same. (The
    store is not the subject: SQLite only.)"""
    rng = random.Random(7)
    numbers = [
        *real_numbers("CA", "Winnipeg, MB", 12),
        *real_numbers("GB", "Leeds", 6),
        *real_numbers("US", "New York, NY", 6),
        "+1204",
        "not-a-number",
        "+99912345678",
        "",
        "+44 113 496 0000 ext. 5",
        "٠١٢٣",
    ]
    rows = [f"{n}," for n in numbers] + [f"{numbers[0]},CAN", f"{numbers[13]},CAN"]
    rng.shuffle(rows)
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(["number,country", *rows]) + "\n", encoding="utf-8")
    monkeypatch.setattr(inventory_import, "WINDOW", 7)
    monkeypatch.setattr(inventory_import, "CHUNK", 2)
    pools: list[int] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, workers: int, **options: Any) -> None:
            pools.append(workers)
            super().__init__(workers, **options)

    monkeypatch.setattr(inventory_import, "ProcessPoolExecutor", CountedPool)
    outcomes = []
    for workers in (1, 2):
        url = f"sqlite:///{tmp_path / f'workers-{workers}.db'}"
        upgrade(url)
        database = Database(url)
        report = run_import(database, path, workers=workers)
        with database.write_engine.connect() as connection:
            stored = connection.execute(
                select(dids.c.number, did_groups.c.country_code, did_groups.c.city_name)
                .join(did_groups, did_groups.c.id == dids.c.did_group_id)
                .order_by(dids.c.number)
            ).all()
        database.dispose()
        outcomes.append((report, stored))

    (serial, serial_rows), (parallel, parallel_rows) = outcomes
    assert parallel == serial
    assert parallel_rows == serial_rows
    assert len(serial.rejected) == 6 and serial.added == 25  # both kinds of row present
    assert pools == [2]  # the second run did validate in worker processes
