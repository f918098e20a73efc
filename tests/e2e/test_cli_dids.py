"""`faxnum dids` as an operator runs it: block, unblock, unage and list, all or nothing."""

import subprocess
from datetime import UTC, datetime

from faxnum.services.accounts import authenticate
from faxnum.services.numbers import release
from faxnum.services.provisioning import provision
from faxnum.store.database import Database
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
    assert len(available) == 2 and listed(server_env, "assigned") == [assigned.did.number]
    assert listed(server_env, "aging") == [aging.did.number]

    faxnum(server_env, "dids", "block", *available)
    assert (
        listed(server_env, "blocked") == sorted(available) and listed(server_env, "available") == []
    )

    # An assigned DID is refused, and so nothing else in the command changes.
    done = refused(server_env, "dids", "unblock", available[0], assigned.did.number)
    assert done.returncode == 1 and f"{assigned.did.number} is assigned" in done.stdout
    assert listed(server_env, "blocked") == sorted(available)
    done = refused(server_env, "dids", "block", assigned.did.number)
    assert f"{assigned.did.number} is assigned" in done.stdout

    faxnum(server_env, "dids", "unblock", *available)
    faxnum(server_env, "dids", "unage", aging.did.number)
    assert sorted(listed(server_env, "available")) == sorted([*available, aging.did.number])

    done = refused(server_env, "dids", "unage", "+19999999999")
    assert "+19999999999 is not in inventory" in done.stdout
    done = refused(server_env, "dids", "block", "12345")
    assert done.returncode == 2 and "not E.164" in done.stderr
    done = refused(server_env, "dids", "list", "--state", "sold")
    assert done.returncode == 2
