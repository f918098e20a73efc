"""Concurrent changes of one account's trunks, through the path the app takes: one
after another, never a 500."""

import asyncio
from functools import partial

import pytest

from faxnum.domain.errors import Conflict
from faxnum.domain.pagination import PageRequest
from faxnum.domain.trunks import Trunk, TrunkChanges
from faxnum.services import trunks as trunk_service
from faxnum.services.accounts import authenticate
from faxnum.store.db.database import Database
from tests.factories import add_account

RACERS = 8


def test_concurrent_changes_of_the_default_trunk_leave_exactly_one_default(
    database: Database,
) -> None:
    api_key = add_account(database).api_key
    with database.unit_of_work() as uow:
        caller = authenticate(uow, api_key)
    ids = []
    for n in range(RACERS):
        with database.unit_of_work() as uow:
            added = trunk_service.add_trunk(
                uow, caller, f"t{n}", f"sip:fax{n}@pbx.example.com", False, False
            )
            ids.append(added.id)

    async def race() -> list[Trunk]:
        changes = TrunkChanges(is_default=True)
        return await asyncio.gather(
            *(
                database.write(
                    partial(trunk_service.change_trunk, caller=caller, trunk_id=i, changes=changes)
                )
                for i in ids
            )
        )  # any exception (an IntegrityError before the fix) fails the test

    made = asyncio.run(race())

    assert [t.id for t in made] == ids
    with database.reader() as uow:
        found, _ = uow.trunks.page_for(caller.account_id, PageRequest(100))
    assert sum(t.is_default for t in found) == 1


def test_concurrent_additions_never_pass_the_trunk_limit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trunk_service, "MAX_TRUNKS", 4)
    api_key = add_account(database).api_key
    with database.unit_of_work() as uow:
        caller = authenticate(uow, api_key)  # holds 1 trunk already

    async def race() -> list[Trunk | BaseException]:
        return await asyncio.gather(
            *(
                database.write(
                    partial(
                        trunk_service.add_trunk,
                        caller=caller,
                        name=f"t{n}",
                        uri=f"sip:fax{n}@pbx.example.com",
                        t38=False,
                        is_default=n % 2 == 0,
                    )
                )
                for n in range(RACERS)
            ),
            return_exceptions=True,
        )

    outcomes = asyncio.run(race())

    assert sum(isinstance(o, Trunk) for o in outcomes) == 3
    assert all(isinstance(o, (Trunk, Conflict)) for o in outcomes), outcomes
    with database.reader() as uow:
        found, total = uow.trunks.page_for(caller.account_id, PageRequest(100))
    assert total == 4 and sum(t.is_default for t in found) == 1
