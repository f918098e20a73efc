"""Taking a group's lowest-numbered DIDs, or reading its available ones in number
order, reads the group's own index, whatever the planner's statistics say: one group
holding every DID, its lowest numbers taken."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, select, text, update

from faxnum.domain.catalogue import AvailableNumberFilter, DidGroupFilter
from faxnum.domain.did_states import DidEvent
from faxnum.domain.pagination import PageRequest
from faxnum.services.inventory import load_groups
from faxnum.store.database import Database
from faxnum.store.inventory import _TAKE_AVAILABLE, DidQueries
from faxnum.store.tables import dids
from tests.factories import add_group, group_spec

GROUP_INDEX = "ix_dids_group_state_number"


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


def _one_big_group_half_taken(database: Database) -> int:
    # Stored in number order, as a carrier's blocks usually are: the number index then
    # follows the table, which is what makes PostgreSQL like it.
    spec = group_spec(count=4_000)
    spec = replace(spec, numbers=sorted(spec.numbers))
    with database.unit_of_work() as uow:
        load_groups(uow, [spec], datetime.now(UTC))
    with database.reader() as uow:
        group_id = uow.catalogue.group_id(*spec.key)
    assert group_id is not None
    with database.write_engine.connect() as connection:  # statistics: every DID available
        connection.execute(text("ANALYZE"))
        connection.commit()
    with database.unit_of_work() as uow:
        writing = uow._connection
        assert writing is not None
        lowest = (
            select(dids.c.id).where(dids.c.did_group_id == group_id).order_by(dids.c.number)
        ).limit(2_000)
        writing.execute(update(dids).where(dids.c.id.in_(lowest)).values(state="assigned"))
        uow.commit()
    return group_id


def test_provisioning_takes_from_the_group_index_when_one_group_holds_every_did(
    database: Database,
) -> None:
    group_id = _one_big_group_half_taken(database)
    with database.write_engine.connect() as connection:
        values = {"group_id": group_id, "now": "2026-11-28 12:00:00+00:00"}
        plan = _plan(connection, _TAKE_AVAILABLE.statement, values)
    assert GROUP_INDEX in plan, plan
    assert "uq_dids_number" not in plan, plan


def test_an_order_by_quantity_takes_from_the_group_index_when_one_group_holds_every_did(
    database: Database,
) -> None:
    group_id = _one_big_group_half_taken(database)
    sent: list[tuple[str, Any]] = []
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None

        @event.listens_for(connection, "before_cursor_execute")
        def record(*args: Any) -> None:
            _conn, _cursor, statement, parameters = args[:4]
            if statement.lstrip().upper().startswith(("UPDATE", "WITH")):
                sent.append((statement, parameters))

        taken = DidQueries(connection).take_from_group(
            group_id, 3, DidEvent.ASSIGN, datetime.now(UTC)
        )
        plans = [_explain(connection, sql, values) for sql, values in sent]
    assert len(taken) == 3
    assert plans and all(GROUP_INDEX in p and "uq_dids_number" not in p for p in plans), plans


def test_a_search_in_one_group_reads_the_group_index_when_one_group_holds_every_did(
    database: Database,
) -> None:
    """Nor does a search of available numbers step over the group's taken DIDs."""
    group_id = _one_big_group_half_taken(database)
    add_group(database, region="GB", description="London", count=5)  # groups to join
    sent: list[tuple[str, Any]] = []
    with database.reader() as uow:
        connection = uow._connection
        assert connection is not None

        @event.listens_for(connection, "before_cursor_execute")
        def record(*args: Any) -> None:
            _conn, _cursor, statement, parameters = args[:4]
            if "ORDER BY" in statement and "dids" in statement:
                sent.append((statement, parameters))

        group = uow.catalogue.group(group_id)
        assert group is not None
        wanted = AvailableNumberFilter(
            DidGroupFilter(group.country_code, area_code=group.area_code)
        )
        found, total = uow.catalogue.available(wanted, 1, PageRequest(limit=50))
        event.remove(connection, "before_cursor_execute", record)
        plans = [_explain(connection, sql, values) for sql, values in sent]
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
    with database.unit_of_work() as uow:
        load_groups(uow, [replace(s, numbers=sorted(s.numbers)) for s in specs], datetime.now(UTC))
    with database.write_engine.connect() as analyzing:
        analyzing.execute(text("ANALYZE"))
        analyzing.commit()
    sent: list[tuple[str, Any]] = []
    with database.reader() as uow:
        connection = uow._connection
        assert connection is not None

        @event.listens_for(connection, "before_cursor_execute")
        def record(*args: Any) -> None:
            _conn, _cursor, statement, parameters = args[:4]
            if "ORDER BY" in statement and "dids" in statement:
                sent.append((statement, parameters))

        group_id = uow.catalogue.group_id(*specs[3].key)
        group = uow.catalogue.group(group_id) if group_id is not None else None
        assert group is not None
        wanted = AvailableNumberFilter(
            DidGroupFilter(group.country_code, area_code=group.area_code)
        )
        found, _ = uow.catalogue.available(wanted, 1, PageRequest(limit=50))
        event.remove(connection, "before_cursor_execute", record)
        plans = [_explain(connection, sql, values) for sql, values in sent]
    assert [a.number for a in found] == sorted(specs[3].numbers)[:50]
    assert plans and not [p for p in plans if "Sort" in p or "TEMP B-TREE" in p], plans
