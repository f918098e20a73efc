"""`faxnum dids` as an operator runs it: block, unblock, unage and list, all or nothing."""

import subprocess
from datetime import UTC, datetime

from sqlalchemy import select

from faxnum.services.accounts import authenticate
from faxnum.services.numbers import release
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids
from faxnum.testing.servers import faxnum_command
from tests.e2e.conftest import faxnum
from tests.factories import add_account, add_group


def refused(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        faxnum_command(*args), env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    return done


def listed(env: dict[str, str], state: str) -> list[str]:
    return [
        line.split("\t")[0] for line in faxnum(env, "dids", "list", "--state", state).splitlines()
    ]


def states(database: Database) -> dict[str, str]:
    with database.write_engine.connect() as connection:
        return {str(n): str(s) for n, s in connection.execute(select(dids.c.number, dids.c.state))}


def test_an_operator_blocks_unblocks_and_unages_dids(
    server_env: dict[str, str], served_database: Database
) -> None:
    group = add_group(served_database, count=4)
    key = add_account(served_database).api_key
    now = datetime.now(UTC)
    with served_database.reader() as uow:
        caller = authenticate(uow, key)
    with served_database.unit_of_work() as uow:
        assigned = provision(uow, caller, group, now)
    with served_database.unit_of_work() as uow:
        aging = provision(uow, caller, group, now)
    with served_database.unit_of_work() as uow:
        release(uow, caller, aging.id, now)
    available = listed(server_env, "available")
    assert len(available) == 2

    faxnum(server_env, "dids", "block", *available)
    assert listed(server_env, "blocked") == sorted(available)

    # Refused (an assigned DID, an unknown number): nothing else in the command changes.
    done = refused(server_env, "dids", "unblock", available[0], assigned.did.number, "+19999999999")
    assert done.returncode == 1
    assert f"{assigned.did.number} is assigned" in done.stdout
    assert "+19999999999 is not in inventory" in done.stdout
    assert states(served_database)[available[0]] == "blocked"

    faxnum(server_env, "dids", "unblock", *available)
    faxnum(server_env, "dids", "unage", aging.did.number)
    assert sorted(listed(server_env, "available")) == sorted([*available, aging.did.number])

    done = refused(server_env, "dids", "block", "12345")
    assert done.returncode == 2 and "not E.164" in done.stderr
