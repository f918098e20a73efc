"""Register, log in, sub-accounts, balance, key rotation and the ledger over HTTP."""

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.dbstate import balances_match_ledger, set_disabled, snapshot
from tests.factories import add_account, add_group

PASSWORD = "correct horse battery"


def register(
    client: TestClient, email: str = "Ada@Example.com", password: str = PASSWORD, form: bool = False
) -> httpx.Response:
    body = {"email": email, "password": password}
    response: httpx.Response = (
        client.post("/api/v2/user", data=body) if form else client.post("/api/v2/user", json=body)
    )
    return response


def provision(client: TestClient, key: str, group_id: int):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
    )


def test_registration_returns_a_working_key(client: TestClient) -> None:
    response = register(client)
    assert response.status_code == 200
    assert set(response.json()) == {"status", "api_key"}
    key = response.json()["api_key"]
    assert client.get("/api/v2/balance", headers={"X-API-Key": key}).status_code == 200


def test_registration_accepts_a_form(client: TestClient) -> None:
    assert register(client, form=True).status_code == 200


def test_new_accounts_start_at_zero(client: TestClient) -> None:
    key = register(client).json()["api_key"]
    response = client.get("/api/v2/balance", headers={"X-API-Key": key})
    assert response.text == '{"status":"success","balance":0.00}'


def test_welcome_credit_is_configurable(settings: Settings) -> None:
    generous = settings.model_copy(update={"welcome_credit": Decimal("5.5")})
    with TestClient(create_app(generous)) as client:
        key = register(client).json()["api_key"]
        assert (
            client.get("/api/v2/balance", headers={"X-API-Key": key}).text
            == '{"status":"success","balance":5.50}'
        )


def test_emails_are_normalised_and_unique(client: TestClient, database: Database) -> None:
    assert register(client, "  Ada@Example.COM ").status_code == 200
    before = snapshot(database.write_engine)
    duplicate = register(client, "ada@example.com")
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "status": "failed",
        "message": "An account with this email already exists.",
    }
    assert snapshot(database.write_engine) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@b.co", "password": "short"}, "password"),
        ({"email": "a@b.co"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "x" * 300 + "@example.com", "password": PASSWORD}, "email"),
        ({"email": "a@b.co", "password": "p" * 2000}, "password"),
        ({"email": ["a@b.co"], "password": PASSWORD}, "email"),
    ],
)
def test_invalid_registrations_are_422_naming_the_field(
    client: TestClient, database: Database, body: dict[str, object], field: str
) -> None:
    before = snapshot(database.write_engine)
    response = client.post("/api/v2/user", json=body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert snapshot(database.write_engine) == before


@pytest.mark.parametrize("path", ["/api/v2/user", "/api/v2/user/login"])
def test_a_bare_json_string_body_names_the_missing_email(client: TestClient, path: str) -> None:
    # What the published SDKs send: the password alone as the whole JSON body.
    response = client.post(
        path, content=b'"correct horse battery"', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"]["email"] == ["is required"]


def test_subuser_with_a_bare_json_string_names_the_missing_email(
    client: TestClient, database: Database
) -> None:
    key = add_account(database).api_key
    response = client.post(
        "/api/v2/subuser",
        content=b'"secret"',
        headers={"content-type": "application/json", "X-API-Key": key},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["email"] == ["is required"]


def test_login_returns_the_accounts_key(client: TestClient) -> None:
    key = register(client).json()["api_key"]
    response = client.post(
        "/api/v2/user/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "success", "api_key": key}


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "ada@example.com", "password": "wrong password!"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "not an email", "password": PASSWORD},
        {"email": "ada@example.com", "password": ""},
    ],
)
def test_wrong_credentials_all_get_the_same_401(
    client: TestClient, credentials: dict[str, str]
) -> None:
    register(client)
    response = client.post("/api/v2/user/login", json=credentials)
    assert response.status_code == 401
    assert response.json() == {"status": "failed", "message": "Wrong email or password."}


def test_a_disabled_account_cannot_log_in(client: TestClient, database: Database) -> None:
    register(client)
    with database.reader() as uow:
        account_id = uow.accounts.id_by_email("ada@example.com")
    assert account_id is not None
    set_disabled(database.write_engine, account_id)
    response = client.post(
        "/api/v2/user/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401


def test_passwords_are_never_taken_from_the_query_string(client: TestClient) -> None:
    assert (
        client.get(
            "/api/v2/user/login", params={"email": "a@b.co", "password": PASSWORD}
        ).status_code
        == 405
    )


def test_login_attempts_are_limited_per_client(settings: Settings) -> None:
    strict = settings.model_copy(update={"auth_rate_limit": "3/minute"})
    with TestClient(create_app(strict)) as client:
        statuses = [
            client.post(
                "/api/v2/user/login", json={"email": "a@b.co", "password": "x" * 10}
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 403]


@pytest.fixture
def family(client: TestClient, database: Database) -> dict[str, str]:
    """A parent with 3.00 of credit and two sub-accounts."""
    parent = add_account(database, "parent@example.com", credit="3.00").api_key
    first = client.post(
        "/api/v2/subuser", json={"email": "first@example.com"}, headers={"X-API-Key": parent}
    )
    second = client.post(
        "/api/v2/subuser",
        data={"email": "second@example.com", "password": PASSWORD},
        headers={"X-API-Key": parent},
    )
    assert first.status_code == 200 and second.status_code == 200
    return {"parent": parent, "first": first.json()["api_key"], "second": second.json()["api_key"]}


def test_sub_accounts_spend_their_parents_balance(
    client: TestClient, database: Database, family: dict[str, str]
) -> None:
    group_id = add_group(database, setup="1.00", monthly="2.00")
    assert provision(client, family["first"], group_id).status_code == 200
    for who in ("parent", "first", "second"):
        assert (
            client.get("/api/v2/balance", headers={"X-API-Key": family[who]}).json()["balance"] == 0
        )
    assert provision(client, family["second"], group_id).status_code == 402
    assert balances_match_ledger(database.write_engine)


def test_parents_see_their_sub_accounts_numbers_but_not_the_reverse(
    client: TestClient, database: Database, family: dict[str, str]
) -> None:
    group_id = add_group(database, setup="0.50", monthly="0.50")
    mine = {
        who: provision(client, family[who], group_id).json()["data"]["id"]
        for who in ("parent", "first", "second")
    }

    def visible(who: str) -> set[int]:
        return {
            n["id"]
            for n in client.get("/api/v2/numbers", headers={"X-API-Key": family[who]}).json()[
                "numbers"
            ]
        }

    assert visible("parent") == set(mine.values())
    assert visible("first") == {mine["first"]}
    assert visible("second") == {mine["second"]}


def test_sub_accounts_cannot_have_sub_accounts(
    client: TestClient, database: Database, family: dict[str, str]
) -> None:
    before = snapshot(database.write_engine)
    response = client.post(
        "/api/v2/subuser",
        json={"email": "grandchild@example.com"},
        headers={"X-API-Key": family["first"]},
    )
    assert response.status_code == 409
    assert response.json() == {
        "status": "failed",
        "message": "A sub-account cannot create sub-accounts.",
    }
    assert snapshot(database.write_engine) == before


def test_a_sub_account_can_log_in_with_its_own_password(
    client: TestClient, family: dict[str, str]
) -> None:
    response = client.post(
        "/api/v2/user/login", json={"email": "second@example.com", "password": PASSWORD}
    )
    assert response.json() == {"status": "success", "api_key": family["second"]}


def test_balance_is_a_number_with_two_decimals(client: TestClient, database: Database) -> None:
    key = add_account(database, credit="100.1").api_key
    response = client.get("/api/v2/balance", headers={"X-API-Key": key})
    assert response.text == '{"status":"success","balance":100.10}'
    assert response.json()["balance"] == 100.1


def test_rotating_a_key_stops_the_old_one_at_once(client: TestClient, database: Database) -> None:
    old = add_account(database).api_key
    response = client.post("/api/v2/keys/rotate", headers={"X-API-Key": old})
    assert response.status_code == 200
    new = response.json()["api_key"]
    assert new != old
    assert client.get("/api/v2/balance", headers={"X-API-Key": old}).status_code == 401
    assert client.get("/api/v2/balance", headers={"X-API-Key": new}).status_code == 200


def test_login_after_rotation_returns_the_new_key(client: TestClient) -> None:
    old = register(client).json()["api_key"]
    new = client.post("/api/v2/keys/rotate", headers={"X-API-Key": old}).json()["api_key"]
    login = client.post(
        "/api/v2/user/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert login.json()["api_key"] == new


def test_ledger_lists_credits_and_charges_newest_first(
    client: TestClient, database: Database, family: dict[str, str]
) -> None:
    group_id = add_group(database, setup="1.00", monthly="2.00")
    number_id = provision(client, family["first"], group_id).json()["data"]["id"]
    parent = client.get("/api/v2/ledger", headers={"X-API-Key": family["parent"]}).json()
    assert [(e["kind"], e["amount"], e["number_id"]) for e in parent["entries"]] == [
        ("charge", -3.0, number_id),
        ("credit", 3.0, None),
    ]
    assert parent["meta"]["pagination"]["total"] == 2
    first = client.get("/api/v2/ledger", headers={"X-API-Key": family["first"]}).json()
    assert [e["number_id"] for e in first["entries"]] == [number_id]
    assert (
        client.get("/api/v2/ledger", headers={"X-API-Key": family["second"]}).json()["entries"]
        == []
    )
    paged = client.get(
        "/api/v2/ledger", params={"limit": 1, "page": 2}, headers={"X-API-Key": family["parent"]}
    ).json()
    assert [e["kind"] for e in paged["entries"]] == ["credit"]
    assert set(paged["meta"]["pagination"]["links"]) == {"previous"}


@pytest.fixture
def fresh_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
