"""Operator commands for accounts, keys and billing, run as an operator runs them."""

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from faxnum.services.accounts import authenticate
from faxnum.services.provisioning import provision
from faxnum.store.database import Database
from faxnum.testing.servers import RunningServer
from tests.e2e.conftest import faxnum
from tests.factories import add_account, add_group


def test_operator_manages_an_account_through_the_cli(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    key = faxnum(
        server_env, "accounts", "create", "Op@Example.com", "--credit", "1.25"
    ).splitlines()[-1]
    assert "Credited 2.50" in faxnum(server_env, "accounts", "credit", "op@example.com", "2.50")
    listing = faxnum(server_env, "accounts", "list")
    assert "op@example.com" in listing and "3.75" in listing
    server: RunningServer = start_server()
    balance = httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": key})
    assert balance.text == '{"status":"success","balance":3.75}'
    ledger = httpx.get(f"{server.base_url}/api/v2/ledger", headers={"X-API-Key": key}).json()[
        "entries"
    ]
    assert [(e["kind"], e["amount"]) for e in ledger] == [("credit", 2.5), ("credit", 1.25)]

    new_key = faxnum(server_env, "keys", "rotate", "op@example.com").splitlines()[-1]
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": key}).status_code
        == 401
    )
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        == 200
    )

    faxnum(server_env, "accounts", "disable", "op@example.com")
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        == 401
    )
    faxnum(server_env, "accounts", "enable", "op@example.com")
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        == 200
    )


def test_billing_renew_charges_every_month_that_has_come_as_of_the_given_date(
    server_env: dict[str, str],
    served_database: Database,
) -> None:
    group_id = add_group(served_database, setup="1.00", monthly="2.00")
    owner = add_account(served_database, email="billed@example.com", credit="10.00")
    with served_database.reader() as uow:
        caller = authenticate(uow, owner.api_key)
    with served_database.unit_of_work() as uow:
        provision(uow, caller, group_id, datetime(2030, 1, 15, tzinfo=UTC))

    out = faxnum(server_env, "billing", "renew", "--today", "2030-03-15")

    assert "Renewed 2 number-months" in out  # February 15 and March 15
    listing = faxnum(server_env, "accounts", "list")
    assert "billed@example.com" in listing and "3.00" in listing  # 10 - 3 - 2 x 2
    again = faxnum(server_env, "billing", "renew", "--today", "2030-03-15")
    assert "Renewed 0 number-months" in again
