"""Provisioning through the HTTP app on a real SQLite database."""

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from faxnum.store.db.database import Database
from faxnum.store.db.tables import ledger_entries
from tests.conftest import FAST_PATH_IDS, settings_on_both_paths
from tests.dbstate import assignment_is_consistent, balances_match_ledger, set_disabled, snapshot
from tests.factories import add_account, add_group, balance_of
from tests.wire_fields import PROVISIONED_NUMBER_FIELDS

# Every test here holds with the fast path on and off (FAXNUM_FAST_PATH).
settings = pytest.fixture(params=[True, False], ids=FAST_PATH_IDS)(settings_on_both_paths)

PROVISION = "/api/v2/countries/didgroups/{}/provision"
DATA_TYPES = PROVISIONED_NUMBER_FIELDS


def test_provisioning_returns_the_documented_body_field_by_field(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key

    response = client.post(PROVISION.format(group_id), params={"api_key": key})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["status", "message", "data"]
    assert body["status"] == "success"
    assert body["message"] == "Number has been provisioned."
    data = body["data"]
    assert set(data) == set(DATA_TYPES)
    for field, kind in DATA_TYPES.items():
        assert type(data[field]) is kind, field
    assert data["did_id"] == data["didid"]
    assert data["did_group_id"] == group_id
    assert data["country_code"] == "CAN"
    assert data["city_name"] == "WINNIPEG"
    assert re.fullmatch(r"[0-9]+", data["area_code"])
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", data["number"])
    assert data["number"].startswith("+1" + data["area_code"])
    assert data["type"] == "GEOGRAPHIC"


def test_provisioning_charges_setup_and_first_month_with_a_ledger_entry(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database, setup="1.25", monthly="2.50")
    owner = add_account(database, credit="10.00")

    response = client.get(PROVISION.format(group_id), params={"api_key": owner.api_key})

    assert response.status_code == 200
    assert balance_of(database, owner.account_id) == Decimal("6.25")
    with database.write_engine.connect() as connection:
        charges = connection.execute(
            select(ledger_entries.c.amount_micros, ledger_entries.c.number_id).where(
                ledger_entries.c.account_id == owner.account_id, ledger_entries.c.kind == "charge"
            )
        ).all()
    assert charges == [(-3_750_000, response.json()["data"]["id"])]
    assert balances_match_ledger(database.write_engine)


def test_each_request_provisions_a_different_did_of_the_group(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=3)
    key = add_account(database).api_key

    numbers = {
        client.post(PROVISION.format(group_id), params={"api_key": key}).json()["data"]["number"]
        for _ in range(3)
    }

    assert len(numbers) == 3
    assert assignment_is_consistent(database.write_engine)


def test_exhausted_group_answers_409_and_changes_nothing(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=1)
    key = add_account(database).api_key
    assert client.post(PROVISION.format(group_id), params={"api_key": key}).status_code == 200
    before = snapshot(database.write_engine)

    response = client.post(PROVISION.format(group_id), params={"api_key": key})

    assert response.status_code == 409
    assert response.json() == {
        "status": "failed",
        "message": f"DID group {group_id} has no number left to provision.",
    }
    assert snapshot(database.write_engine) == before


def test_insufficient_balance_answers_402_and_changes_nothing(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database, setup="5.00", monthly="5.00")
    key = add_account(database, credit="9.99").api_key
    before = snapshot(database.write_engine)

    response = client.post(PROVISION.format(group_id), params={"api_key": key})

    assert response.status_code == 402
    assert response.json()["status"] == "failed"
    assert "balance" in response.json()["message"].lower()
    assert snapshot(database.write_engine) == before


def test_exact_balance_is_enough(client: TestClient, database: Database) -> None:
    group_id = add_group(database, setup="5.00", monthly="5.00")
    owner = add_account(database, credit="10.00")

    assert (
        client.post(PROVISION.format(group_id), params={"api_key": owner.api_key}).status_code
        == 200
    )
    assert balance_of(database, owner.account_id) == 0


def test_unknown_group_answers_404(client: TestClient, database: Database) -> None:
    key = add_account(database).api_key
    response = client.post(PROVISION.format(424242), params={"api_key": key})
    assert response.status_code == 404
    assert response.json() == {"status": "failed", "message": "DID group 424242 not found."}


@pytest.mark.parametrize("how", ["query", "form", "json", "x-api-key", "bearer", "sdk-header"])
def test_key_is_accepted_wherever_v2_clients_put_it(
    client: TestClient, database: Database, how: str
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    url = PROVISION.format(group_id)
    sent = {
        "query": lambda: client.post(url, params={"api_key": key}),
        "form": lambda: client.post(url, data={"api_key": key}),
        "json": lambda: client.post(url, json={"api_key": key}),
        "x-api-key": lambda: client.post(url, headers={"X-API-Key": key}),
        "bearer": lambda: client.post(url, headers={"Authorization": f"Bearer {key}"}),
        "sdk-header": lambda: client.get(url, headers={"api_key": key}),
    }[how]()
    assert sent.status_code == 200, sent.text


@pytest.mark.parametrize(
    "key", ["", "nope", "fxn_" + "0" * 32, "FXN_" + "a" * 32, "fxn_" + "a" * 31, "x" * 10_000]
)
def test_bad_keys_answer_401_with_the_envelope(
    client: TestClient, database: Database, key: str
) -> None:
    group_id = add_group(database)
    add_account(database)
    response = client.post(PROVISION.format(group_id), params={"api_key": key})
    assert response.status_code == 401
    assert response.json()["status"] == "failed"
    assert key not in response.text or key == ""


def test_wrong_case_of_a_real_key_is_refused(client: TestClient, database: Database) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    response = client.post(PROVISION.format(group_id), params={"api_key": key.upper()})
    assert response.status_code == 401
    assert response.json() == {"status": "failed", "message": "Invalid API key."}


def test_disabled_account_gets_401(client: TestClient, database: Database) -> None:
    group_id = add_group(database)
    owner = add_account(database)
    set_disabled(database.write_engine, owner.account_id)
    response = client.post(PROVISION.format(group_id), params={"api_key": owner.api_key})
    assert response.status_code == 401
    assert response.json() == {"status": "failed", "message": "This account is disabled."}


def test_sdk_request_with_unfilled_path_placeholder_takes_the_id_from_the_query(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    # Exactly what the published SDKs send: the placeholder URL-encoded, the key as header.
    response = client.get(
        f"/api/v2/countries/didgroups/%7Bdid_group_id%7D/provision?did_group_id={group_id}",
        headers={"api_key": key},
    )
    assert response.status_code == 200
    assert response.json()["data"]["did_group_id"] == group_id
    assert response.json()["data"]["did_id"] == response.json()["data"]["didid"]


def test_placeholder_without_an_id_is_a_422(client: TestClient, database: Database) -> None:
    key = add_account(database).api_key
    response = client.get(
        "/api/v2/countries/didgroups/%7Bdid_group_id%7D/provision", headers={"api_key": key}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"did_group_id": ["is required"]}


@pytest.mark.parametrize("where", ["query", "form", "json"])
def test_provision_numbers_alias_takes_the_group_as_a_parameter(
    client: TestClient, database: Database, where: str
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    url = "/api/v2/provision-numbers"
    response = {
        "query": lambda: client.post(url, params={"api_key": key, "did_group_id": group_id}),
        "form": lambda: client.post(url, data={"api_key": key, "did_group_id": str(group_id)}),
        "json": lambda: client.post(url, json={"api_key": key, "did_group_id": group_id}),
    }[where]()
    assert response.status_code == 200, response.text
    assert response.json()["data"]["did_group_id"] == group_id


def test_authenticated_responses_carry_rate_limit_headers(
    client: TestClient, database: Database
) -> None:
    key = add_account(database).api_key
    for path in (PROVISION.format(999), "/api/v2/countries/CAN/didgroups"):
        response = client.get(path, params={"api_key": key})
        assert int(response.headers["RateLimit-Limit"]) == 1000
        assert 0 <= int(response.headers["RateLimit-Remaining"]) < 1000
        assert int(response.headers["RateLimit-Reset"]) >= 1


def test_money_columns_stay_exact(client: TestClient, database: Database) -> None:
    group_id = add_group(database, setup="0.10", monthly="0.20")
    owner = add_account(database, credit="0.30")
    assert (
        client.post(PROVISION.format(group_id), params={"api_key": owner.api_key}).status_code
        == 200
    )
    assert balance_of(database, owner.account_id) == 0
