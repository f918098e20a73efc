"""Races between real OS processes on each store: holds, orders, the seed endpoint,
expiry and release colliding on the same DIDs. Each process runs its use case on
its own connection, as a serving worker runs it."""

import asyncio
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import DomainError
from faxnum.domain.orders import NumbersWanted, QuantityWanted, ReservationWanted
from faxnum.services.accounts import authenticate
from faxnum.services.numbers import release
from faxnum.services.orders import place_order
from faxnum.services.provisioning import provision
from faxnum.services.reservations import expire_due, reserve
from faxnum.services.unit_of_work import UnitOfWork
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids, numbers
from tests.dbstate import (
    assignment_is_consistent,
    balances_match_ledger,
    group_stock_matches,
    holds_are_consistent,
)
from tests.factories import add_account, add_group, balance_of

ROUNDS = 4
CITIES = ["Winnipeg, MB", "London, ON", "Oshawa, ON", "Burlington, ON", "Altona, MB", "Winkler, MB"]
WORKERS = 3
Outcome = tuple[str, Any]  # ("ok", result) or (error class name, message)


@pytest.fixture(scope="module")
def workers() -> Iterator[tuple[Any, Any]]:
    """Worker processes (spawned: nothing shared with the test) and a barrier maker."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(WORKERS) as pool:
        yield pool, manager


def _caller(database: Database, api_key: str) -> Caller:
    with database.reader() as uow:
        return authenticate(uow, api_key)


def _act(
    url: str, api_key: str, action: str, argument: Any, now: datetime, barrier: Any
) -> Outcome:
    """One process: wait for the others, then run one use case on its own connection."""
    database = Database(url)
    try:
        caller = _caller(database, api_key)
        use_cases: dict[str, Callable[[UnitOfWork], Any]] = {
            "reserve": partial(
                reserve, caller=caller, wanted=argument, ttl_seconds=60, max_reserved=100, now=now
            ),
            "order": partial(place_order, caller=caller, wanted=argument, now=now),
            "provision": partial(provision, caller=caller, group_id=argument, now=now),
            "expire": partial(expire_due, now=now),
            "release": partial(release, caller=caller, number_id=argument, now=now),
        }
        barrier.wait()
        # As the server runs it: on PostgreSQL a take skips the DIDs others hold first.
        return "ok", _summary(asyncio.run(database.write(use_cases[action])))
    except DomainError as error:
        return type(error).__name__, error.message
    finally:
        database.dispose()


def _summary(result: Any) -> Any:
    """What a use case answered, as plain data that crosses a process boundary."""
    if isinstance(result, tuple):  # (order, replayed)
        result = result[0]
    if hasattr(result, "numbers") and hasattr(result, "total_charged"):
        return sorted(n.did.number for n in result.numbers)
    if hasattr(result, "numbers"):
        return sorted(result.numbers)
    if hasattr(result, "did"):
        return [result.did.number]
    return result


def race(
    workers: tuple[Any, Any], url: str, *jobs: tuple[str, str, Any, datetime]
) -> list[Outcome]:
    pool, manager = workers
    barrier = manager.Barrier(len(jobs))
    outcomes: list[Outcome] = pool.starmap(
        _act, [(url, key, action, arg, now, barrier) for key, action, arg, now in jobs]
    )
    return outcomes


def states(database: Database, group_id: int) -> dict[str, str]:
    with database.write_engine.connect() as connection:
        rows = connection.execute(
            select(dids.c.number, dids.c.state).where(dids.c.did_group_id == group_id)
        )
        return {str(number): str(state) for number, state in rows}


def test_two_accounts_reserving_the_same_numbers_one_wins_all_or_nothing(
    database: Database, database_url: str, workers: tuple[Any, Any]
) -> None:
    group = add_group(database, count=4 * ROUNDS)
    a, b = (add_account(database, f"{n}@example.com").api_key for n in "ab")
    every = sorted(states(database, group))
    now = datetime.now(UTC)
    for round_ in range(ROUNDS):
        mine = every[4 * round_ : 4 * round_ + 4]
        first, second = NumbersWanted(tuple(mine[:3])), NumbersWanted(tuple(mine[1:]))
        outcomes = race(
            workers, database_url, (a, "reserve", first, now), (b, "reserve", second, now)
        )
        assert sorted(kind for kind, _ in outcomes) == ["NumbersUnavailable", "ok"], outcomes
        won = next(result for kind, result in outcomes if kind == "ok")
        after = states(database, group)
        assert {n for n in mine if after[n] == "reserved"} == set(won)
    assert holds_are_consistent(database.write_engine)


def test_an_order_racing_the_seed_endpoint_for_the_last_dids_never_sells_one_twice(
    database: Database, database_url: str, workers: tuple[Any, Any]
) -> None:
    keys = [add_account(database, f"c{i}@example.com").api_key for i in range(3)]
    for city in CITIES[:ROUNDS]:
        group = add_group(database, description=city, count=3)
        now = datetime.now(UTC)
        outcomes = race(
            workers,
            database_url,
            (keys[0], "order", QuantityWanted(group, 3), now),
            (keys[1], "provision", group, now),
            (keys[2], "provision", group, now),
        )
        sold = [number for kind, result in outcomes if kind == "ok" for number in result]
        assert len(sold) == len(set(sold)) <= 3, outcomes
        order_kind, order_result = outcomes[0]
        assert order_kind in ("ok", "Exhausted")
        if order_kind == "ok":
            assert len(order_result) == 3 and [k for k, _ in outcomes[1:]] == ["Exhausted"] * 2
        assert sorted(n for n, s in states(database, group).items() if s == "assigned") == sorted(
            sold
        )
    assert assignment_is_consistent(database.write_engine)
    assert group_stock_matches(database.write_engine)
    assert balances_match_ledger(database.write_engine)


def test_a_reservation_expiring_while_it_is_ordered_is_ordered_whole_or_charges_nothing(
    database: Database, database_url: str, workers: tuple[Any, Any]
) -> None:
    api_key = add_account(database, "buyer@example.com").api_key
    account = _caller(database, api_key)
    group = add_group(database, count=2 * ROUNDS)
    kinds: Counter[str] = Counter()
    for _ in range(ROUNDS):
        created = datetime.now(UTC)
        with database.unit_of_work() as uow:
            held, _ = reserve(uow, account, QuantityWanted(group, 2), 60, 100, created)
        deadline = held.expires_at
        before = balance_of(database, account.account_id)
        outcomes = race(
            workers,
            database_url,
            (api_key, "order", ReservationWanted(held.id), deadline - timedelta(microseconds=1)),
            (api_key, "expire", None, deadline),
        )
        order_kind, _ = outcomes[0]
        kinds[order_kind] += 1
        after = states(database, group)
        if order_kind == "ok":
            assert [after[n] for n in held.numbers] == ["assigned"] * 2
            assert balance_of(database, account.account_id) == before - Decimal("6.00")
        else:
            assert order_kind == "Conflict", outcomes
            assert [after[n] for n in held.numbers] == ["available"] * 2
            assert balance_of(database, account.account_id) == before
    assert sum(kinds.values()) == ROUNDS
    assert holds_are_consistent(database.write_engine)
    assert assignment_is_consistent(database.write_engine)
    assert group_stock_matches(database.write_engine)
    assert balances_match_ledger(database.write_engine)


def test_releasing_a_number_twice_at_once_releases_it_once(
    database: Database, database_url: str, workers: tuple[Any, Any]
) -> None:
    api_key = add_account(database, "holder@example.com").api_key
    caller = _caller(database, api_key)
    group = add_group(database, count=ROUNDS)
    now = datetime.now(UTC)
    for _ in range(ROUNDS):
        with database.unit_of_work() as uow:
            number = provision(uow, caller, group, now)
        outcomes = race(
            workers,
            database_url,
            (api_key, "release", number.id, now),
            (api_key, "release", number.id, now),
        )
        assert sorted(kind for kind, _ in outcomes) == ["NotFound", "ok"], outcomes
        assert states(database, group)[number.did.number] == "aging"
    with database.write_engine.connect() as connection:
        released = (
            connection.execute(
                select(numbers.c.released_at).where(numbers.c.account_id == caller.account_id)
            )
            .scalars()
            .all()
        )
    assert len(released) == ROUNDS and all(released)
    assert assignment_is_consistent(database.write_engine)
    assert group_stock_matches(database.write_engine)


def test_ordering_a_did_still_aging_fails_and_charges_nothing(
    database: Database, database_url: str, workers: tuple[Any, Any]
) -> None:
    holder, buyer = (add_account(database, f"{n}@example.com").api_key for n in ("holder", "buyer"))
    group = add_group(database, count=2)
    now = datetime.now(UTC)
    with database.unit_of_work() as uow:
        number = provision(uow, _caller(database, holder), group, now)
    with database.unit_of_work() as uow:
        release(uow, _caller(database, holder), number.id, now)
    buyer_id = _caller(database, buyer).account_id
    outcomes = race(
        workers,
        database_url,
        (buyer, "order", NumbersWanted((number.did.number,)), now),
        (buyer, "reserve", NumbersWanted((number.did.number,)), now),
    )
    assert [kind for kind, _ in outcomes] == ["NumbersUnavailable"] * 2, outcomes
    assert states(database, group)[number.did.number] == "aging"
    assert balance_of(database, buyer_id) == Decimal("100.00")
