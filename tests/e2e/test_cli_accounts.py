"""Operator commands for accounts, keys and billing, run as an operator runs them."""

import httpx

from tests.e2e.conftest import RunningServer, faxnum


def test_operator_manages_an_account_through_the_cli(
    server_env: dict[str, str], start_server
) -> None:  # type: ignore[no-untyped-def]
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


def test_billing_renew_runs_as_of_a_date(server_env: dict[str, str]) -> None:
    out = faxnum(server_env, "billing", "renew", "--today", "2030-01-01")
    assert "Renewed 0 number-months" in out
