"""What the hot path takes from SQLAlchemy beyond its public API (`store/prepared.py`,
`store/uow.py`'s savepoint on the driver's cursor). An upgrade that changes any of it
fails here, naming what to check, before it can fail a request."""

from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, create_engine, select, update
from sqlalchemy.pool import QueuePool

from faxnum.store.db.tables import dids

UPGRADE = "an SQLAlchemy upgrade changed what faxnum.store.db.prepared relies on: "


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://faxnum@localhost/faxnum"])
def test_a_compiled_statement_still_exposes_its_binds_and_their_order(url: str) -> None:
    dialect = create_engine(url).dialect  # no connection is made
    statement = (
        update(dids)
        .where(dids.c.id == bindparam("did_id", type_=Integer), dids.c.state == "available")
        .values(state="assigned")
        .returning(dids.c.id, dids.c.number)
    )
    compiled: Any = statement.compile(dialect=dialect, column_keys=["did_id"])
    for attribute in ("binds", "positional", "string"):
        assert hasattr(compiled, attribute), UPGRADE + f"compiled.{attribute} is gone"
    if compiled.positional:  # SQLite's qmark style: one name per "?", in order
        assert set(compiled.positiontup) <= set(compiled.binds), (
            UPGRADE + "compiled.positiontup names parameters compiled.binds lacks"
        )
        assert len(compiled.positiontup) == compiled.string.count("?"), (
            UPGRADE + "compiled.positiontup no longer follows the statement's placeholders"
        )
    parameter = compiled.binds["did_id"]
    for attribute in ("required", "value", "effective_value", "type"):
        assert hasattr(parameter, attribute), UPGRADE + f"BindParameter.{attribute} is gone"
    assert compiled.binds["state"].effective_value == "assigned", (
        UPGRADE + "a value given in the statement is no longer the bind's effective_value"
    )


def test_a_pooled_connection_still_hands_out_its_driver_connection_and_info() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        pooled = connection.connection
        assert isinstance(pooled.info, dict), UPGRADE + "connection.connection.info is gone"
        cursor = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)], UPGRADE + "dbapi_connection no longer a driver's"
        cursor.close()
    engine.dispose()


def test_a_query_still_exports_its_columns_for_the_row_type() -> None:
    query = select(dids.c.id, dids.c.number)
    assert list(query.exported_columns.keys()) == ["id", "number"], (
        UPGRADE + "exported_columns no longer names the selected columns"
    )


def test_a_pool_still_retires_every_connection_made_before_a_disconnect() -> None:
    engine = create_engine("sqlite://", poolclass=QueuePool)
    broken, other = engine.connect(), engine.connect()
    made_before = other.connection.dbapi_connection
    other.close()  # idle in the pool
    engine.pool._invalidate(broken.connection, None)  # as `prepared.dropped_if_broken`
    broken.invalidate()
    broken.close()
    with engine.connect() as next_one:  # the idle one's turn
        assert next_one.connection.dbapi_connection is not made_before, (
            UPGRADE + "Pool._invalidate no longer retires the connections made before it"
        )
    engine.dispose()
