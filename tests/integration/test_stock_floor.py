"""A group's stock floor on PostgreSQL: a take starts its walk of the group's stock
there, and a raise of the floor never passes a DID whose entry into stock has not
committed yet (it waits for it), so no DID in stock is ever below the floor."""

import asyncio
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from faxnum.domain.did_states import DidEvent
from faxnum.services.stock_floors import raise_floors
from faxnum.store.db.database import Database
from tests.factories import add_group
from tests.integration.test_take_plan import _take_plan

NOW = datetime(2026, 12, 7, tzinfo=UTC)
ON_POSTGRES = pytest.mark.parametrize("backend", ["postgresql"])
PATIENCE_S = 30.0
FROM_THE_FLOOR = r"Index Cond: \(\(ROW\(did_group_id, \(number\)::text\) >= ROW\(\d+, \(\$\d+\)"


def _until(condition: Callable[[], bool]) -> None:
    """Wait for `condition`, polling: what it waits for happens in another session."""
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.01)


def _someone_waits_on_a_lock(database: Database) -> bool:
    with database.write_engine.connect() as watching:
        waiting = watching.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


def _raise(database: Database, group_id: int) -> bool:
    with database.unit_of_work() as uow:
        raised = uow.dids.raise_stock_floor(group_id)
        uow.commit()
    return raised


def _next_taken(database: Database, group_id: int) -> str:
    with database.unit_of_work() as uow:
        taken = uow.dids.take_available(group_id, NOW)
    assert taken is not None
    return taken[0].number


@ON_POSTGRES
def test_a_raise_waits_for_a_did_entering_stock_below_it_and_stops_there(
    database: Database,
) -> None:
    group_id = add_group(database, count=6)
    with database.unit_of_work() as uow:
        lowest, *_ = uow.dids.take_from_group(group_id, 3, DidEvent.ASSIGN, NOW)
        assert uow.dids.move([lowest.id], DidEvent.RELEASE, NOW) == [lowest.id]
        uow.commit()
    raised: list[bool] = []
    with database.unit_of_work() as entering:  # the lowest DID back in stock, not committed
        assert entering.dids.move([lowest.id], DidEvent.RECYCLE, NOW) == [lowest.id]
        raising = threading.Thread(target=lambda: raised.append(_raise(database, group_id)))
        raising.start()
        _until(lambda: not raising.is_alive() or _someone_waits_on_a_lock(database))
        entering.commit()
    raising.join()
    assert raised == [True]
    assert _next_taken(database, group_id) == lowest.number


@ON_POSTGRES
@pytest.mark.parametrize("skip_held", [True, False], ids=["skip", "wait"])
def test_a_take_starts_its_walk_of_the_group_s_stock_at_the_floor(
    database: Database, skip_held: bool
) -> None:
    group_id = add_group(database, count=6)
    plan = _take_plan(database, group_id, skip_held)
    # The index range starts at the value the floor's subquery gives, not at ''.
    assert re.search(
        r"Index Cond: \(\(ROW\(did_group_id, \(number\)::text\) >= ROW\(\d+, \(\$\d+\)", plan
    ), plan


@ON_POSTGRES
def test_serve_s_raise_of_the_floors_brings_every_group_level_with_its_stock(
    database: Database,
) -> None:
    groups = [
        add_group(database, description=city, count=4) for city in ("Winnipeg, MB", "Brandon, MB")
    ]
    with database.unit_of_work() as uow:
        for group_id in groups:
            uow.dids.take_from_group(group_id, 2, DidEvent.ASSIGN, NOW)
        uow.commit()
    with database.reader() as uow:
        assert uow.dids.groups_with_floor_behind() == sorted(groups)

    raised = asyncio.run(raise_floors(database.read, database.write))

    assert raised == 2
    with database.reader() as uow:
        assert uow.dids.groups_with_floor_behind() == []
