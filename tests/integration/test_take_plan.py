"""Taking a group's lowest-numbered DIDs, or reading its available ones in number
order, reads the group's own index, whatever the planner's statistics say: one group
holding every DID, its lowest numbers taken."""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, select, text, update

from faxnum.domain.catalogue import AvailableNumberFilter, DidGroupFilter
from faxnum.domain.did_states import DidEvent
from faxnum.domain.numbers import AvailableNumber, GroupSpec
from faxnum.domain.pagination import PageRequest
from faxnum.services.accounts import as_holder_of
from faxnum.services.inventory import load_groups
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids
from faxnum.store.db.uow import SqlUnitOfWork
from faxnum.store.inventory import _TAKE_AVAILABLE, DidQueries
from faxnum.store.numbers import _ADD_FROM_GROUP
from tests.factories import add_account, add_group, group_spec

GROUP_INDEX = "ix_dids_in_stock"
STATE_INDEX = "ix_dids_state_changed"


def _explain(connection: Connection, sql: str, parameters: Any) -> str:
    explain = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in connection.exec_driver_sql(explain + sql, parameters))


def _plan(connection: Connection, statement: Any, values: dict[str, Any]) -> str:
    """The store's plan for `statement` with these parameters."""
    compiled = statement.compile(dialect=connection.dialect)
    given = compiled.construct_params(values)
    if compiled.positional:
        return _explain(connection, compiled.string, tuple(given[n] for n in compiled.positiontup))
    return _explain(connection, compiled.string, given)


@contextmanager
def _sent(connection: Connection, wanted: Callable[[str], bool]) -> Iterator[list[str]]:
    """The plans of the statements matching `wanted` that the block sends through
    `connection` (explained once the block has ended)."""
    sent: list[tuple[str, Any]] = []

    def record(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if wanted(statement):
            sent.append((statement, parameters))

    plans: list[str] = []
    event.listen(connection, "before_cursor_execute", record)
    try:
        yield plans
    finally:
        event.remove(connection, "before_cursor_execute", record)
    plans.extend(_explain(connection, sql, values) for sql, values in sent)


def _load_in_number_order(
    database: Database, specs: list[GroupSpec], analysed: bool = True
) -> None:
    """Stored in number order, as a carrier's blocks usually are (the number index then
    follows the table, which is what makes PostgreSQL like it), then analysed."""
    with database.unit_of_work() as uow:
        load_groups(uow, [replace(s, numbers=sorted(s.numbers)) for s in specs], datetime.now(UTC))
    if analysed:
        with database.write_engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def _one_big_group_half_taken(database: Database, analysed: bool = True) -> int:
    spec = group_spec(count=4_000)
    _load_in_number_order(database, [spec], analysed)  # statistics: every DID available
    with database.unit_of_work() as uow:
        group_id = uow.catalogue.group_id(*spec.key)
        assert group_id is not None
        writing = uow._connection
        assert writing is not None
        lowest = (
            select(dids.c.id).where(dids.c.did_group_id == group_id).order_by(dids.c.number)
        ).limit(2_000)
        writing.execute(update(dids).where(dids.c.id.in_(lowest)).values(state="assigned"))
        uow.commit()
    return group_id


def _search_one_group(uow: SqlUnitOfWork, group_id: int) -> tuple[list[AvailableNumber], int]:
    group = uow.catalogue.group(group_id)
    assert group is not None
    wanted = AvailableNumberFilter(DidGroupFilter(group.country_code, area_code=group.area_code))
    return uow.catalogue.available(wanted, 1, PageRequest(limit=50))


def _a_search(statement: str) -> bool:
    return "ORDER BY" in statement and "dids" in statement


def _take_plan(database: Database, group_id: int, skip_held: bool) -> str:
    """The plan of provisioning's take: skipping the DIDs others hold, or waiting
    for them (the run again after a short take)."""
    with database.write_engine.connect() as connection:
        values = {"group_id": group_id, "now": "2026-11-28 12:00:00+00:00"}
        taking = _TAKE_AVAILABLE[False, False]
        if connection.dialect.name == "postgresql":  # the take and the number in one
            taking = _ADD_FROM_GROUP[skip_held]
            values.update(account_id=1, trunk_id=1, expires="2026-12-28")
        return _plan(connection, taking.statement, values)


SKIPPING_OR_WAITING = pytest.mark.parametrize("skip_held", [True, False], ids=["skip", "wait"])


@SKIPPING_OR_WAITING
def test_provisioning_takes_from_the_group_index_when_one_group_holds_every_did(
    database: Database, skip_held: bool
) -> None:
    plan = _take_plan(database, _one_big_group_half_taken(database), skip_held)
    assert GROUP_INDEX in plan, plan
    assert "uq_dids_number" not in plan, plan


@pytest.mark.parametrize("backend", ["postgresql"])
def test_provisioning_s_statements_are_planned_once_per_connection_not_once_per_call(
    database: Database,
) -> None:
    """PostgreSQL plans a prepared statement again for each call's values whenever its
    one plan is estimated costlier than such a plan. With the take's limit a parameter,
    it costed the walk for a tenth of the group, and planned every take again."""
    spec = group_spec(count=20_000)
    _load_in_number_order(database, [spec])  # analysed, as a store in use is
    with database.reader() as uow:
        group_id = uow.catalogue.group_id(*spec.key)
    assert group_id is not None
    owner = add_account(database, credit="1000.00")
    provisioning = as_holder_of(owner.api_key, provision, group_id=group_id, now=datetime.now(UTC))
    for _ in range(10):  # one after another: on the pool's one connection
        asyncio.run(database.write(provisioning))
    with database.write_engine.connect() as connection:
        plans = connection.execute(
            text(
                "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE generic_plans + custom_plans >= 10"
            )
        ).all()
    assert len(plans) >= 4, plans  # the key, the take with its number, the ledger, the spend
    # Five plans for the values at hand to compare with, then the one plan.
    assert [(name, custom) for name, _, custom in plans if custom > 5] == [], plans


@SKIPPING_OR_WAITING
def test_provisioning_takes_from_the_group_index_on_a_store_never_analysed(
    database: Database, skip_held: bool
) -> None:
    """As `make run` serves a new SQLite file: with no statistics, SQLite took the
    index of DIDs by state for the way to the stock, and sorted the whole group."""
    plan = _take_plan(database, _one_big_group_half_taken(database, analysed=False), skip_held)
    assert GROUP_INDEX in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_dids_due_back_in_stock_are_read_from_the_index_of_dids_out_of_stock(
    database: Database,
) -> None:
    _one_big_group_half_taken(database, analysed=False)
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        with _sent(connection, lambda sql: "state_changed_at <=" in sql) as plans:
            DidQueries(connection).recycle_aged(
                datetime.now(UTC), datetime.now(UTC), after=None, limit=10
            )
    assert plans and all(STATE_INDEX in p for p in plans), plans


def test_an_order_by_quantity_takes_from_the_group_index_when_one_group_holds_every_did(
    database: Database,
) -> None:
    group_id = _one_big_group_half_taken(database)
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        writes = ("UPDATE", "WITH")
        with _sent(connection, lambda sql: sql.lstrip().upper().startswith(writes)) as plans:
            taken = DidQueries(connection).take_from_group(
                group_id, 3, DidEvent.ASSIGN, datetime.now(UTC)
            )
    assert len(taken) == 3
    assert plans and all(GROUP_INDEX in p and "uq_dids_number" not in p for p in plans), plans


def test_a_search_in_one_group_reads_the_group_index_when_one_group_holds_every_did(
    database: Database,
) -> None:
    """Nor does a search of available numbers step over the group's taken DIDs."""
    group_id = _one_big_group_half_taken(database)
    add_group(database, region="GB", description="London", count=5)  # groups to join
    with database.reader() as uow:
        connection = uow._connection
        assert connection is not None
        with _sent(connection, _a_search) as plans:
            found, total = _search_one_group(uow, group_id)
    assert len(found) == 50 and total == 2_000
    assert found == sorted(found, key=lambda available: available.number)
    assert plans and all(GROUP_INDEX in p and "uq_dids_number" not in p for p in plans), plans
    assert not [p for p in plans if "Sort" in p or "TEMP B-TREE" in p], plans  # read in order


CITIES = (
    *("Winnipeg, MB", "Toronto, ON", "Vancouver, BC", "Montreal, QC", "Calgary, AB"),
    *("Ottawa, ON", "Edmonton, AB", "Regina, SK", "Halifax, NS", "Victoria, BC"),
)


def test_a_search_in_one_group_of_many_reads_its_page_in_index_order(
    database: Database,
) -> None:
    """Ten groups of 300 DIDs: the page comes from the group's index, never sorted
    (joined through `dids.did_group_id`, PostgreSQL ordered by the group's id instead,
    and sorted the whole group for every page)."""
    specs = [group_spec(description=city, count=300) for city in CITIES]
    _load_in_number_order(database, specs)
    with database.reader() as uow:
        group_id = uow.catalogue.group_id(*specs[3].key)
        assert group_id is not None
        connection = uow._connection
        assert connection is not None
        with _sent(connection, _a_search) as plans:
            found, _ = _search_one_group(uow, group_id)
    assert [a.number for a in found] == sorted(specs[3].numbers)[:50]
    assert plans and not [p for p in plans if "Sort" in p or "TEMP B-TREE" in p], plans


def test_finding_and_raising_the_floors_behind_reads_each_group_s_stock_index(
    database: Database,
) -> None:
    """On a store never analysed, as `make run` serves one: a raise every two seconds
    must not read every DID of the group."""
    group_id = _one_big_group_half_taken(database, analysed=False)
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        with _sent(connection, lambda sql: "stock_floor" in sql and "dids" in sql) as plans:
            dids_read = DidQueries(connection)
            assert dids_read.groups_with_floor_behind() == [group_id]
            assert dids_read.raise_stock_floor(group_id)
    assert len(plans) == 2
    assert all(GROUP_INDEX in p for p in plans), plans
    assert not [p for p in plans if "SCAN dids" in p or "Seq Scan on dids" in p], plans
