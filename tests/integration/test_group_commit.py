"""Group commit: many use cases in one transaction, each all-or-nothing on its own."""

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import event, func, select

from faxnum.domain.errors import NotFound, Unavailable
from faxnum.domain.money import from_micros
from faxnum.services.unit_of_work import UnitOfWork
from faxnum.store.db.database import Database
from faxnum.store.db.group_commit import GroupCommitWriter
from faxnum.store.db.tables import ledger_entries
from tests.dbstate import balances_match_ledger
from tests.factories import add_account
from tests.waiting import A_MOMENT_S, STUCK_AFTER_S


def pay_in(account_id: int, micros: int, fail: bool = False) -> Callable[[UnitOfWork], int]:
    """Credit an account; optionally fail after both writes, before committing."""

    def use_case(uow: UnitOfWork) -> int:
        uow.accounts.change_balance(account_id, from_micros(micros))
        uow.ledger.add_entry(account_id, from_micros(micros), "credit", "test", datetime.now(UTC))
        if fail:
            raise NotFound("deliberate failure after the writes")
        uow.commit()
        return micros

    return use_case


def ledger_amounts(database: Database, account_id: int) -> list[int]:
    with database.write_engine.connect() as connection:
        query = select(ledger_entries.c.amount_micros).where(
            ledger_entries.c.account_id == account_id
        )
        return sorted(connection.execute(query.order_by(ledger_entries.c.id)).scalars())


def test_a_failing_use_case_leaves_the_others_of_its_batch_committed(database: Database) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)

    async def run_together() -> list[object]:
        return await asyncio.gather(  # type: ignore[no-any-return]  # gather of Any futures
            writer.run(pay_in(account, 1)),
            writer.run(pay_in(account, 20, fail=True)),
            writer.run(pay_in(account, 300)),
            return_exceptions=True,
        )

    results = asyncio.run(run_together())

    assert results[0] == 1 and results[2] == 300
    assert isinstance(results[1], NotFound)
    assert ledger_amounts(database, account) == [1, 300]
    assert balances_match_ledger(database.write_engine)


def test_many_use_cases_share_one_batch_and_all_land(database: Database) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine, max_batch=7)

    async def run_many() -> list[int]:
        return list(await asyncio.gather(*(writer.run(pay_in(account, n)) for n in range(1, 51))))

    assert asyncio.run(run_many()) == list(range(1, 51))
    assert ledger_amounts(database, account) == list(range(1, 51))
    assert balances_match_ledger(database.write_engine)


def test_a_use_case_that_never_commits_changes_nothing(database: Database) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)

    def forgetful(uow: UnitOfWork) -> None:
        uow.ledger.add_entry(account, Decimal(5), "credit", "never committed", datetime.now(UTC))

    asyncio.run(writer.run(forgetful))
    with database.write_engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(ledger_entries)).scalar_one() == 0
        )


def count_commits(database: Database) -> list[int]:
    """A list that grows by one with every transaction the write engine commits."""
    commits: list[int] = []
    event.listen(database.write_engine, "commit", lambda _connection: commits.append(1))
    return commits


def test_use_cases_queued_in_one_turn_share_one_commit_per_batch(database: Database) -> None:
    account = add_account(database, credit="0").account_id
    commits = count_commits(database)
    writer = GroupCommitWriter(database.write_engine, max_batch=7)

    async def run_many() -> list[int]:
        return list(await asyncio.gather(*(writer.run(pay_in(account, n)) for n in range(1, 51))))

    assert asyncio.run(run_many()) == list(range(1, 51))
    assert len(commits) == 8  # 50 use cases in batches of at most 7: 7 x 7 + 1


def test_a_batch_whose_commit_fails_runs_each_use_case_on_its_own(database: Database) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)
    failed: list[int] = []

    def fail_the_first_commit(_connection: object) -> None:
        if not failed:
            failed.append(1)
            raise RuntimeError("the disk is full, once")

    event.listen(database.write_engine, "commit", fail_the_first_commit)

    async def run_together() -> list[int]:
        return list(await asyncio.gather(*(writer.run(pay_in(account, n)) for n in (1, 2, 3))))

    assert asyncio.run(run_together()) == [1, 2, 3]
    assert failed == [1]
    assert ledger_amounts(database, account) == [1, 2, 3]  # each once: the batch left nothing
    assert balances_match_ledger(database.write_engine)


def test_a_caller_gone_before_the_commit_neither_stops_nor_breaks_the_batch(
    database: Database,
) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)

    async def one_caller_leaves() -> int:
        gone = asyncio.create_task(writer.run(pay_in(account, 1)))
        stays = asyncio.create_task(writer.run(pay_in(account, 2)))
        await asyncio.sleep(0)  # both are queued; the batch runs on the next turn
        gone.cancel()  # as when a client disconnects
        return int(await stays)

    assert asyncio.run(one_caller_leaves()) == 2
    assert ledger_amounts(database, account) == [1, 2]  # what was queued is committed


def test_the_loop_goes_on_while_a_batch_commits_and_answers_only_after(
    database: Database,
) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)
    release, timeline = threading.Event(), []

    def hold_the_commit(_connection: object) -> None:
        timeline.append("commit starts")
        timeline.append("commit goes on" if release.wait(STUCK_AFTER_S) else "the loop was stuck")

    event.listen(database.write_engine, "commit", hold_the_commit)

    async def one_while_the_other_commits() -> list[int]:
        first = asyncio.create_task(writer.run(pay_in(account, 1)))
        while not timeline:
            await asyncio.sleep(0.001)
        second = asyncio.create_task(writer.run(pay_in(account, 2)))  # the next batch
        await asyncio.sleep(A_MOMENT_S)
        timeline.append(f"answered before the commit: {first.done() or second.done()}")
        release.set()
        return [await first, await second]

    assert asyncio.run(one_while_the_other_commits()) == [1, 2]
    assert timeline == [
        "commit starts",
        "answered before the commit: False",
        "commit goes on",
        "commit starts",
        "commit goes on",
    ]
    assert ledger_amounts(database, account) == [1, 2]


def test_a_closed_writer_finishes_its_commit_and_refuses_what_comes_after(
    database: Database,
) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)
    release, held = threading.Event(), threading.Event()

    def hold_the_commit(_connection: object) -> None:
        held.set()
        release.wait(STUCK_AFTER_S)

    event.listen(database.write_engine, "commit", hold_the_commit)

    async def closed_during_a_commit() -> list[object]:
        committing = asyncio.create_task(writer.run(pay_in(account, 1)))
        await asyncio.to_thread(held.wait, STUCK_AFTER_S)  # its batch is committing
        queued = asyncio.create_task(writer.run(pay_in(account, 2)))
        await asyncio.sleep(0)
        closing = asyncio.get_running_loop().run_in_executor(None, writer.close)
        while not writer._closed:  # closing now waits for the commit
            await asyncio.sleep(0.001)
        release.set()
        await closing
        answered = asyncio.gather(committing, queued, return_exceptions=True)
        return list(await asyncio.wait_for(answered, STUCK_AFTER_S))  # never left unanswered

    first, second = asyncio.run(closed_during_a_commit())
    assert first == 1
    assert isinstance(second, Unavailable)
    assert ledger_amounts(database, account) == [1]


def test_a_turn_comes_at_once_when_no_write_is_under_way(database: Database) -> None:
    writer = GroupCommitWriter(database.write_engine)

    async def idle_turn() -> bool:
        turn = asyncio.create_task(writer.turn())
        await asyncio.sleep(0)
        return turn.done()

    assert asyncio.run(idle_turn()) is True


def test_a_turn_ends_when_the_batch_under_way_has_committed(database: Database) -> None:
    account = add_account(database, credit="0").account_id
    writer = GroupCommitWriter(database.write_engine)
    release, committing = threading.Event(), threading.Event()

    def hold_the_commit(_connection: object) -> None:
        committing.set()
        release.wait(STUCK_AFTER_S)

    event.listen(database.write_engine, "commit", hold_the_commit)

    async def a_turn_during_a_commit() -> list[str]:
        seen = []
        write = asyncio.create_task(writer.run(pay_in(account, 1)))
        await asyncio.to_thread(committing.wait, STUCK_AFTER_S)
        turn = asyncio.create_task(writer.turn())
        await asyncio.sleep(A_MOMENT_S)
        seen.append(f"turn before the commit: {turn.done()}")
        release.set()
        await turn
        seen.append(f"write answered at the turn: {write.done()}")
        await write
        return seen

    assert asyncio.run(a_turn_during_a_commit()) == [
        "turn before the commit: False",
        "write answered at the turn: True",
    ]
    writer.close()

    async def after_closing() -> None:
        await asyncio.wait_for(writer.turn(), STUCK_AFTER_S)

    asyncio.run(after_closing())  # a closed writer keeps no read waiting
