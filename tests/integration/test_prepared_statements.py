"""A `Prepared` statement, run on the driver's cursor, reads and writes exactly what
SQLAlchemy's own execution of the same statement would, on both stores."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from faxnum.store.db.database import Database
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.tables import accounts, did_groups, dids
from tests.factories import add_account, add_group

_GROUP = select(did_groups).where(did_groups.c.id == bindparam("group_id"))
_STAMP = (
    update(dids)
    .where(dids.c.id == bindparam("did_id"), dids.c.state == "available")
    .values(state_changed_at=bindparam("now"))
    .returning(dids.c.id, dids.c.state_changed_at)
)


def test_rows_read_equal_sqlalchemy_rows_column_by_column(database: Database) -> None:
    group_id = add_group(database)
    with database.reader() as uow:
        connection = uow._connection
        assert connection is not None
        expected = connection.execute(_GROUP, {"group_id": group_id}).one()
        found = Prepared(_GROUP).first(connection, {"group_id": group_id})

    assert found is not None
    assert tuple(found) == tuple(expected)
    assert found._mapping == dict(expected._mapping)
    assert found.city_name == expected.city_name


def test_values_written_read_back_as_sqlalchemy_wrote_them(database: Database) -> None:
    group_id = add_group(database, count=2)
    moment = datetime(2026, 11, 28, 6, 30, 15, 123456, tzinfo=UTC)
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        first, second = connection.execute(
            select(dids.c.id).where(dids.c.did_group_id == group_id).order_by(dids.c.id)
        ).scalars()
        prepared = Prepared(_STAMP).first(connection, {"did_id": first, "now": moment})
        plain = connection.execute(_STAMP, {"did_id": second, "now": moment}).one()
        stored = dict(
            connection.execute(
                select(dids.c.id, dids.c.state_changed_at).where(dids.c.id.in_([first, second]))
            ).all()
        )

    assert prepared is not None
    assert prepared.state_changed_at == plain.state_changed_at
    assert stored[first] == stored[second]


def test_a_statement_matching_nothing_returns_no_row(database: Database) -> None:
    with database.reader() as uow:
        assert uow._connection is not None
        assert Prepared(_GROUP).first(uow._connection, {"group_id": 999_999}) is None


def test_driver_errors_come_out_as_sqlalchemy_errors(database: Database) -> None:
    group_id = add_group(database, count=1)
    add_new = Prepared(insert(dids))
    with database.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        taken = connection.execute(select(dids.c.number)).scalar_one()
        with pytest.raises(IntegrityError):
            add_new.run(
                connection,
                {
                    "did_group_id": group_id,
                    "number": taken,
                    "state": "available",
                    "state_changed_at": datetime.now(UTC),
                },
            )


def test_statements_returning_nothing_return_no_rows(database: Database) -> None:
    owner = add_account(database)
    touch = Prepared(
        update(accounts)
        .where(accounts.c.id == bindparam("account_id"))
        .values(live_numbers=accounts.c.live_numbers + bindparam("delta"))
    )
    with database.unit_of_work() as uow:
        assert uow._connection is not None
        assert touch.rows(uow._connection, {"account_id": owner.account_id, "delta": 1}) == []
