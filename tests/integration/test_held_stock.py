"""On PostgreSQL a take skips the DIDs other transactions hold, but never answers
"none left" for it: a holder bound to roll back (an order that finds it cannot pay)
would leave them in stock. A take that came back short while DIDs of its group were
held runs again, waiting for their holders."""

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, select, update

from faxnum.domain.errors import Exhausted
from faxnum.domain.numbers import ProvisionedNumber
from faxnum.domain.orders import Order, QuantityWanted
from faxnum.domain.reservations import Reservation
from faxnum.services.accounts import as_holder_of
from faxnum.services.orders import place_order
from faxnum.services.provisioning import provision
from faxnum.services.reservations import reserve
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids
from faxnum.store.db.uow import ConnectionUnitOfWork
from tests.factories import add_account, add_group
from tests.integration.test_stock_floor import _someone_waits_on_a_lock, _until

NOW = datetime(2026, 12, 8, tzinfo=UTC)
ON_POSTGRES = pytest.mark.parametrize("backend", ["postgresql"])


def _numbers_taken(outcome: Any) -> list[str]:
    """The DID numbers a provisioning, an order or a reservation got."""
    result = outcome[0] if isinstance(outcome, tuple) else outcome
    if isinstance(result, ProvisionedNumber):
        return [result.did.number]
    if isinstance(result, Reservation):
        return sorted(result.numbers)
    assert isinstance(result, Order), result
    return sorted(number.did.number for number in result.numbers)


def _taking(api_key: str, group_id: int, how: str) -> Callable[[ConnectionUnitOfWork], Any]:
    if how == "provision":
        return as_holder_of(api_key, provision, group_id=group_id, now=NOW)
    wanted = QuantityWanted(group_id, 1)
    if how == "order":
        return as_holder_of(api_key, place_order, wanted=wanted, now=NOW)
    return as_holder_of(api_key, reserve, wanted=wanted, ttl_seconds=60, max_reserved=10, now=NOW)


@contextmanager
def _held(database: Database, group_id: int) -> Iterator[Connection]:
    """Every DID of the group taken in a transaction left open, as a concurrent
    order's take holds them before it finds whether it can pay."""
    with database.write_engine.connect() as holder:
        holder.begin()
        holder.execute(update(dids).where(dids.c.did_group_id == group_id).values(state="assigned"))
        yield holder


def _in_background(
    database: Database, use_case: Callable[[ConnectionUnitOfWork], Any]
) -> tuple[threading.Thread, list[Any]]:
    """The use case run as the server runs it, in a thread; its result or error."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(database.write(use_case)))
        except Exception as error:  # noqa: BLE001 -- handed to the test to assert on
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _taken_beside_a_holder(
    database: Database, group_id: int, how: str, end: Callable[[Connection], None]
) -> Any:
    """What a new account's take (`how`) answers while another transaction holds every
    DID of the group: started, then `end` (commit or rollback) applied to the holder
    once the take waits on it (or has answered already)."""
    owner = add_account(database)
    with _held(database, group_id) as holder:
        taking, outcome = _in_background(database, _taking(owner.api_key, group_id, how))
        _until(lambda: not taking.is_alive() or _someone_waits_on_a_lock(database))
        end(holder)
    taking.join()
    [result] = outcome
    return result


def _lowest(database: Database, group_id: int) -> str:
    with database.write_engine.connect() as reading:
        query = select(dids.c.number).where(dids.c.did_group_id == group_id)
        return str(reading.execute(query.order_by(dids.c.number).limit(1)).scalar_one())


@ON_POSTGRES
@pytest.mark.parametrize("how", ["provision", "order", "reservation"])
def test_a_take_waits_for_a_holder_that_rolls_back_rather_than_answer_none_left(
    database: Database, how: str
) -> None:
    group_id = add_group(database, count=2)
    # The holder could not pay: its DIDs are in stock again.
    result = _taken_beside_a_holder(database, group_id, how, Connection.rollback)
    assert not isinstance(result, Exception), result
    assert _numbers_taken(result) == [_lowest(database, group_id)]


@ON_POSTGRES
@pytest.mark.parametrize("how", ["provision", "order", "reservation"])
def test_a_take_that_waited_for_a_holder_that_kept_the_dids_answers_none_left(
    database: Database, how: str
) -> None:
    group_id = add_group(database, count=2)
    result = _taken_beside_a_holder(database, group_id, how, Connection.commit)
    assert isinstance(result, Exhausted), result


@ON_POSTGRES
def test_a_take_from_a_group_with_nothing_held_answers_none_left_at_once(
    database: Database,
) -> None:
    """No second run when nothing was skipped: an empty group costs one run."""
    group_id = add_group(database, count=1)
    owner = add_account(database)
    with _held(database, group_id) as holder:
        holder.commit()
    runs: list[bool] = []
    use_case = _taking(owner.api_key, group_id, "provision")

    def counted(uow: ConnectionUnitOfWork) -> Any:
        runs.append(uow._skips_held)
        return use_case(uow)

    with pytest.raises(Exhausted):
        asyncio.run(database.write(counted))
    assert runs == [True]
