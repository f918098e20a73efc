"""Random sequences of everything that moves a DID or money — provision, reserve,
order, cancel, release, expire, age, renew, block — across several accounts, on a
real store: after every step each invariant still holds."""

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from faxnum.domain.accounts import Caller
from faxnum.domain.catalogue import AvailableNumberFilter, DidGroupFilter
from faxnum.domain.did_states import DidEvent
from faxnum.domain.errors import DomainError
from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.domain.numbers import DidState
from faxnum.domain.orders import NumbersWanted, QuantityWanted, ReservationWanted
from faxnum.domain.pagination import PageRequest
from faxnum.services.accounts import authenticate
from faxnum.services.catalogue import find_available_numbers, find_did_groups
from faxnum.services.did_admin import change_dids
from faxnum.services.lifecycle import renew_due
from faxnum.services.numbers import release
from faxnum.services.orders import place_order
from faxnum.services.provisioning import provision
from faxnum.services.reservations import cancel, expire_due, reserve
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids, numbers
from tests.conftest import PostgresDatabases
from tests.dbstate import (
    assignment_is_consistent,
    balances_match_ledger,
    group_stock_matches,
    holds_are_consistent,
    number_counts_match,
)
from tests.factories import add_account, add_group

ACCOUNTS = 3
POLICY = LifecyclePolicy(grace_days=2, aging_days=3)
EXAMPLES = {"sqlite": 12, "postgresql": 5}


def lifecycle_machine(fresh_url: Any) -> type[RuleBasedStateMachine]:
    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.database = Database(fresh_url())
            self.groups = [
                add_group(self.database, count=3, setup="1.00", monthly="2.00"),
                add_group(
                    self.database, description="London, ON", count=3, setup="0.00", monthly="4.00"
                ),
            ]
            keys = [
                add_account(self.database, f"a{i}@example.com", "20.00").api_key
                for i in range(ACCOUNTS)
            ]
            with self.database.reader() as uow:
                self.callers: list[Caller] = [authenticate(uow, key) for key in keys]
            with self.database.write_engine.connect() as connection:
                self.numbers = sorted(connection.execute(select(dids.c.number)).scalars())
            self.now = datetime(2026, 1, 15, 12, tzinfo=UTC)
            self.reservation_ids: list[int] = []
            self.number_ids: list[int] = []

        def teardown(self) -> None:
            self.database.dispose()

        def attempt(self, use_case: Any) -> Any:
            """A refusal is a legal outcome; a refused step must change nothing."""
            try:
                with self.database.unit_of_work() as uow:
                    return use_case(uow)
            except DomainError:
                return None

        def picked(self, picks: list[int]) -> tuple[str, ...]:
            return tuple(self.numbers[i % len(self.numbers)] for i in picks)

        @rule(who=st.integers(0, ACCOUNTS - 1), group=st.integers(0, 1))
        def provision(self, who: int, group: int) -> None:
            made = self.attempt(
                lambda uow: provision(uow, self.callers[who], self.groups[group], self.now)
            )
            if made is not None:
                self.number_ids.append(made.id)

        @rule(
            who=st.integers(0, ACCOUNTS - 1),
            picks=st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True),
        )
        def reserve_numbers(self, who: int, picks: list[int]) -> None:
            wanted = NumbersWanted(self.picked(picks))
            held = self.attempt(
                lambda uow: reserve(uow, self.callers[who], wanted, 60, 4, self.now)[0]
            )
            if held is not None:
                self.reservation_ids.append(held.id)

        @rule(who=st.integers(0, ACCOUNTS - 1), group=st.integers(0, 1), quantity=st.integers(1, 3))
        def reserve_from_group(self, who: int, group: int, quantity: int) -> None:
            wanted = QuantityWanted(self.groups[group], quantity)
            held = self.attempt(
                lambda uow: reserve(uow, self.callers[who], wanted, 60, 4, self.now)[0]
            )
            if held is not None:
                self.reservation_ids.append(held.id)

        def _order(self, who: int, wanted: Any) -> None:
            placed = self.attempt(lambda uow: place_order(uow, self.callers[who], wanted, self.now))
            if placed is not None:
                self.number_ids.extend(n.id for n in placed[0].numbers)

        @rule(
            who=st.integers(0, ACCOUNTS - 1),
            picks=st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True),
        )
        def order_numbers(self, who: int, picks: list[int]) -> None:
            self._order(who, NumbersWanted(self.picked(picks)))

        @rule(who=st.integers(0, ACCOUNTS - 1), group=st.integers(0, 1), quantity=st.integers(1, 3))
        def order_from_group(self, who: int, group: int, quantity: int) -> None:
            self._order(who, QuantityWanted(self.groups[group], quantity))

        @rule(who=st.integers(0, ACCOUNTS - 1), index=st.integers(0, 20))
        def order_reservation(self, who: int, index: int) -> None:
            if self.reservation_ids:
                self._order(
                    who, ReservationWanted(self.reservation_ids[index % len(self.reservation_ids)])
                )

        @rule(who=st.integers(0, ACCOUNTS - 1), index=st.integers(0, 20))
        def cancel_reservation(self, who: int, index: int) -> None:
            if self.reservation_ids:
                rid = self.reservation_ids[index % len(self.reservation_ids)]
                self.attempt(lambda uow: cancel(uow, self.callers[who], rid, self.now))

        @rule(who=st.integers(0, ACCOUNTS - 1), index=st.integers(0, 20))
        def release_number(self, who: int, index: int) -> None:
            if self.number_ids:
                number_id = self.number_ids[index % len(self.number_ids)]
                self.attempt(lambda uow: release(uow, self.callers[who], number_id, self.now))

        @rule(seconds=st.sampled_from([10, 59, 61, 600]))
        def time_passes_and_holds_expire(self, seconds: int) -> None:
            self.now += timedelta(seconds=seconds)
            self.attempt(lambda uow: expire_due(uow, self.now))

        @rule(days=st.integers(1, 40))
        def days_pass_and_renewal_runs(self, days: int) -> None:
            """Renew, expire and release numbers; DIDs out of aging return to stock."""
            self.now += timedelta(days=days)
            renew_due(self.database.unit_of_work, self.now.date(), self.now, POLICY)
            self.attempt(lambda uow: expire_due(uow, self.now))

        @rule(
            pick=st.integers(0, 5),
            event=st.sampled_from([DidEvent.BLOCK, DidEvent.UNBLOCK, DidEvent.UNAGE]),
        )
        def operator_moves_a_did(self, pick: int, event: DidEvent) -> None:
            self.attempt(lambda uow: change_dids(uow, self.picked([pick]), event, self.now))

        @invariant()
        def every_did_is_in_one_known_state(self) -> None:
            with self.database.write_engine.connect() as connection:
                found: dict[str, int] = dict(
                    connection.execute(
                        select(dids.c.state, func.count()).group_by(dids.c.state)
                    ).all()
                )
            assert set(found) <= {state.value for state in DidState}
            assert sum(found.values()) == len(self.numbers)

        @invariant()
        def live_numbers_are_exactly_the_assigned_dids_each_charged(self) -> None:
            assert assignment_is_consistent(self.database.write_engine)
            assert number_counts_match(self.database.write_engine)
            with self.database.write_engine.connect() as connection:
                holders = connection.execute(
                    select(numbers.c.did_id, func.count(func.distinct(numbers.c.account_id)))
                    .where(numbers.c.released_at.is_(None))
                    .group_by(numbers.c.did_id)
                ).all()
            assert all(count == 1 for _, count in holders)

        @invariant()
        def every_group_lists_its_available_dids_as_stock(self) -> None:
            assert group_stock_matches(self.database.write_engine)
            with self.database.reader() as uow:
                listed = find_did_groups(uow, DidGroupFilter(country_code="CAN"))
            with self.database.write_engine.connect() as connection:
                available: dict[int, int] = dict(
                    connection.execute(
                        select(dids.c.did_group_id, func.count())
                        .where(dids.c.state == "available")
                        .group_by(dids.c.did_group_id)
                    ).all()
                )
            assert {g.id: g.stock for g in listed} == {g: available.get(g, 0) for g in self.groups}

        @invariant()
        def holds_are_exactly_the_reserved_dids(self) -> None:
            assert holds_are_consistent(self.database.write_engine)

        @invariant()
        def balances_equal_ledgers_and_never_go_negative(self) -> None:
            assert balances_match_ledger(self.database.write_engine)
            with self.database.reader() as uow:
                assert all(uow.accounts.balance(c.account_id) >= Decimal(0) for c in self.callers)

        @invariant()
        def nobody_sees_a_held_did_as_available(self) -> None:
            with self.database.write_engine.connect() as connection:
                unavailable = set(
                    connection.execute(
                        select(dids.c.number).where(dids.c.state != "available")
                    ).scalars()
                )
            wanted = AvailableNumberFilter(DidGroupFilter(country_code="CAN"))
            with self.database.reader() as uow:
                shown = find_available_numbers(uow, wanted, PageRequest(100, 1))
            assert not unavailable & {item.number for item in shown.items}
            assert shown.total == len(self.numbers) - len(unavailable)

    return Lifecycle


def test_random_lifecycles_keep_every_invariant(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    counter = iter(range(10_000))

    def fresh_url() -> str:
        if backend == "sqlite":
            path = tmp_path / f"run{next(counter)}.db"
            shutil.copyfile(request.getfixturevalue("migrated_template"), path)
            return f"sqlite:///{path}"
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.fresh("stateful")

    run_state_machine_as_test(
        lifecycle_machine(fresh_url),
        settings=settings(
            max_examples=EXAMPLES[backend],
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
