"""A parent manages its sub-accounts through the API; a disabled parent shuts out every
sub-account under it, keys and logins alike."""

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.services.accounts import NewAccount
from faxnum.store.db.database import Database
from tests.dbstate import set_disabled, snapshot
from tests.factories import add_account, add_group

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Family:
    parent: NewAccount
    keys: list[str]  # the sub-accounts' keys, oldest first
    ids: list[int]


@pytest.fixture
def family(client: TestClient, database: Database) -> Family:
    """A parent with credit and three sub-accounts (the second with a password)."""
    parent = add_account(database, "parent@example.com", credit="30.00")
    keys = []
    for n in range(3):
        body = {"email": f"sub{n}@example.com"} | ({"password": PASSWORD} if n == 1 else {})
        created = client.post("/api/v2/subuser", json=body, headers={"X-API-Key": parent.api_key})
        assert created.status_code == 200, created.text
        keys.append(created.json()["api_key"])
    listed = client.get("/api/v2/subusers", headers={"X-API-Key": parent.api_key})
    ids = [item["id"] for item in listed.json()["data"]]
    return Family(parent, keys, ids)


def call(client: TestClient, key: str, method: str, path: str) -> tuple[int, dict[str, Any]]:
    response = client.request(method, f"/api/v2{path}", headers={"X-API-Key": key})
    return response.status_code, response.json()


def test_a_parent_lists_its_sub_accounts_oldest_first_page_by_page(
    client: TestClient, family: Family
) -> None:
    key = family.parent.api_key
    response = client.get("/api/v2/subusers", params={"limit": 2}, headers={"X-API-Key": key})
    body = response.json()
    assert response.status_code == 200
    assert [item["email"] for item in body["data"]] == ["sub0@example.com", "sub1@example.com"]
    assert set(body["data"][0]) == {"id", "email", "disabled", "created_at"}
    assert body["data"][0]["disabled"] is False
    assert body["data"][0]["created_at"].endswith("Z")  # as every time faxnum writes
    pagination = body["meta"]["pagination"]
    assert (pagination["total"], pagination["total_pages"]) == (3, 2)
    assert pagination["links"] == {"next": "/api/v2/subusers?limit=2&page=2"}


def test_a_disabled_sub_account_is_shut_out_until_enabled(
    client: TestClient, family: Family
) -> None:
    parent = family.parent.api_key
    sub_id, sub_key = family.ids[1], family.keys[1]

    status, body = call(client, parent, "POST", f"/subusers/{sub_id}/disable")
    assert status == 200 and body["data"]["disabled"] is True
    assert call(client, sub_key, "GET", "/balance")[0] == 401
    login = client.post(
        "/api/v2/user/login", json={"email": "sub1@example.com", "password": PASSWORD}
    )
    assert login.status_code == 401

    status, body = call(client, parent, "POST", f"/subusers/{sub_id}/enable")
    assert status == 200 and body["data"]["disabled"] is False
    assert call(client, sub_key, "GET", "/balance")[0] == 200


def test_a_parent_rotates_a_sub_accounts_key(client: TestClient, family: Family) -> None:
    parent = family.parent.api_key
    sub_id, old_key = family.ids[0], family.keys[0]
    status, body = call(client, parent, "POST", f"/subusers/{sub_id}/keys/rotate")
    assert status == 200
    new_key = body["data"]["api_key"]
    assert call(client, old_key, "GET", "/balance")[0] == 401
    assert call(client, new_key, "GET", "/balance")[0] == 200


@pytest.mark.parametrize(
    "path", ["/subusers/{}/disable", "/subusers/{}/enable", "/subusers/{}/keys/rotate"]
)
def test_no_one_else_reaches_a_sub_account(
    client: TestClient, database: Database, family: Family, path: str
) -> None:
    stranger = add_account(database, "stranger@example.com").api_key
    sibling = family.keys[2]
    sub_id = family.ids[0]
    before = snapshot(database.write_engine)
    for key in (stranger, sibling):
        status, body = call(client, key, "POST", path.format(sub_id))
        assert status == 404
        assert body == {"status": "failed", "message": f"Sub-account {sub_id} not found."}
    parent = family.parent.api_key
    assert call(client, parent, "POST", path.format(family.parent.account_id))[0] == 404
    assert call(client, parent, "POST", path.format(2_000_000_000))[0] == 404
    assert snapshot(database.write_engine) == before
    assert call(client, stranger, "GET", "/subusers")[1]["data"] == []


def test_a_disabled_parent_shuts_out_every_sub_account_keys_and_logins(
    client: TestClient, database: Database, family: Family
) -> None:
    group_id = add_group(database)
    set_disabled(database.write_engine, family.parent.account_id)
    before = snapshot(database.write_engine)
    for key in family.keys:
        assert call(client, key, "GET", "/balance") == (
            401,
            {"status": "failed", "message": "This account is disabled."},
        )
        assert call(client, key, "POST", f"/countries/didgroups/{group_id}/provision")[0] == 401
    login = client.post(
        "/api/v2/user/login", json={"email": "sub1@example.com", "password": PASSWORD}
    )
    assert login.status_code == 401
    assert snapshot(database.write_engine) == before


def test_an_account_may_have_only_so_many_sub_accounts(
    settings: Settings, database: Database, family: Family
) -> None:
    capped = settings.model_copy(update={"max_subaccounts": 3})
    before = snapshot(database.write_engine)
    with TestClient(create_app(capped)) as client:
        response = client.post(
            "/api/v2/subuser",
            json={"email": "one-too-many@example.com"},
            headers={"X-API-Key": family.parent.api_key},
        )
    assert response.status_code == 409
    assert response.json() == {
        "status": "failed",
        "message": "An account may have at most 3 sub-accounts.",
    }
    assert snapshot(database.write_engine) == before


def test_a_sub_account_never_takes_an_email_from_its_owner_on_either_store(
    client: TestClient, database: Database, family: Family
) -> None:
    parent = family.parent.api_key
    squat = client.post(
        "/api/v2/subuser",
        json={"email": "Stranger@Example.com", "password": "squatter password"},
        headers={"X-API-Key": parent},
    )
    again = client.post(
        "/api/v2/subuser", json={"email": "stranger@example.com"}, headers={"X-API-Key": parent}
    )
    owner = client.post(
        "/api/v2/user", json={"email": "stranger@example.com", "password": PASSWORD}
    )
    assert (squat.status_code, again.status_code, owner.status_code) == (200, 409, 200)

    def login(password: str) -> str:
        answer = client.post(
            "/api/v2/user/login", json={"email": "stranger@example.com", "password": password}
        )
        return str(answer.json().get("api_key"))

    assert login(PASSWORD) == owner.json()["api_key"]
    assert login("squatter password") == squat.json()["api_key"]
    assert (
        client.post(
            "/api/v2/user", json={"email": "stranger@example.com", "password": PASSWORD}
        ).status_code
        == 409
    )  # main accounts stay unique among themselves
