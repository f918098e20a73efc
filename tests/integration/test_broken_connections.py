"""PostgreSQL's connections are not pinged before each use (a round trip before every
transaction): a connection the server closed is found at its first statement, dropped,
and the use case runs once more on a fresh one, unless its COMMIT had been sent."""

from collections.abc import Callable
from types import TracebackType
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from faxnum.store.db.database import Database, run_fresh_if_broken
from faxnum.store.db.tables import ledger_entries, numbers
from faxnum.store.db.uow import SqlUnitOfWork
from tests.dbstate import balances_match_ledger
from tests.factories import add_account, add_group


@pytest.fixture
def backend() -> str:
    return "postgresql"  # SQLite has no connection a server could close


def _close_every_other_connection(url: str) -> int:
    """What a restart or an idle timeout does to the app's pooled connections."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        closed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    return int(closed)


def _a_group_and_a_key_in_use(client: TestClient, database: Database) -> tuple[int, dict[str, str]]:
    """A group of 5 DIDs and an account's key, used once: the app's pool holds a
    connection now."""
    group_id = add_group(database, count=5)
    headers = {"X-API-Key": add_account(database).api_key}
    assert client.get("/api/v2/balance", headers=headers).status_code == 200
    return group_id, headers


def test_a_provisioning_on_a_connection_the_server_closed_is_done_once_on_a_fresh_one(
    client: TestClient, database: Database
) -> None:
    group_id, headers = _a_group_and_a_key_in_use(client, database)
    database.dispose()
    assert _close_every_other_connection(database.url) >= 1

    provisioned = client.post(f"/api/v2/countries/didgroups/{group_id}/provision", headers=headers)
    listed = client.get("/api/v2/balance", headers=headers)

    assert provisioned.status_code == 200, provisioned.text
    assert listed.status_code == 200
    with database.write_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(numbers)).scalar_one() == 1
        charges = select(func.count()).select_from(ledger_entries)
        assert connection.execute(charges).scalar_one() >= 1
    assert balances_match_ledger(database.write_engine)


def test_after_the_server_closed_every_pooled_connection_the_next_provisioning_is_done(
    client: TestClient, database: Database
) -> None:
    group_id, headers = _a_group_and_a_key_in_use(client, database)
    served: Database = client.app.state.faxnum.database  # type: ignore[attr-defined]
    held = [served.write_engine.connect() for _ in range(3)]  # as a busy server's pool
    for connection in held:
        connection.exec_driver_sql("SELECT 1")
    for connection in held:
        connection.close()
    database.dispose()
    assert _close_every_other_connection(database.url) >= 3  # a restart, a failover

    provisioned = client.post(f"/api/v2/countries/didgroups/{group_id}/provision", headers=headers)

    # Not a 503: the use case ran again on a fresh connection, not the pool's next dead one.
    assert provisioned.status_code == 200, provisioned.text
    assert balances_match_ledger(database.write_engine)


def test_reads_on_connections_the_server_closed_are_answered(
    client: TestClient, database: Database
) -> None:
    add_group(database)
    key = add_account(database).api_key
    headers = {"X-API-Key": key}
    for _ in range(3):
        assert client.get("/api/v2/countries", headers=headers).status_code == 200
        database.dispose()
        _close_every_other_connection(database.url)


class _Broken:
    """A unit of work whose connection is found closed inside it."""

    def __init__(self, commit_sent: bool, log: list[str]) -> None:
        self.commit_sent = commit_sent
        self._log = log

    def __enter__(self) -> "_Broken":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def _broken_then_fine(commit_sent: bool) -> tuple[Callable[[], SqlUnitOfWork], list[str]]:
    log: list[str] = []
    made = iter([_Broken(commit_sent, log), _Broken(False, log)])
    return lambda: cast(SqlUnitOfWork, next(made)), log


def _use_case(log: list[str]) -> Callable[[Any], str]:
    def run(uow: Any) -> str:
        log.append("ran")
        if len(log) == 1:
            raise OperationalError("COMMIT", {}, Exception("closed"), connection_invalidated=True)
        return "done"

    return run


def test_a_use_case_whose_connection_broke_before_its_commit_runs_once_more() -> None:
    unit_of_work, log = _broken_then_fine(commit_sent=False)
    assert run_fresh_if_broken(_use_case(log), unit_of_work) == "done"
    assert log == ["ran", "ran"]


def test_a_use_case_whose_connection_broke_during_its_commit_is_not_run_again() -> None:
    """Its COMMIT may have been kept: running it again could provision twice."""
    unit_of_work, log = _broken_then_fine(commit_sent=True)
    with pytest.raises(OperationalError):
        run_fresh_if_broken(_use_case(log), unit_of_work)
    assert log == ["ran"]
