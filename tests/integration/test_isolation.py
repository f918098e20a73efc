"""No account reaches another account's numbers, ledger or keys, whatever it sends."""

import pytest
from fastapi.testclient import TestClient

from faxnum.services.accounts import NewAccount
from faxnum.store.db.database import Database
from tests.conftest import FAST_PATH_IDS, settings_on_both_paths
from tests.factories import add_account, add_group

# Every test here holds with the fast path on and off (FAXNUM_FAST_PATH).
settings = pytest.fixture(params=[True, False], ids=FAST_PATH_IDS)(settings_on_both_paths)

SMUGGLED = [
    {},
    {"account_id": "1"},
    {"user_id": "1"},
    {"parent_id": "1"},
    {"account": "alice@example.com"},
    {"api_key": "ALICE"},
    {"id": "1"},
    {"subuser": "1"},
]


@pytest.fixture
def two_accounts(client: TestClient, database: Database) -> dict[str, object]:
    group_id = add_group(database, count=4)
    alice = add_account(database, "alice@example.com", credit="50.00")
    bob = add_account(database, "bob@example.com", credit="50.00")
    alice_numbers = [
        client.post(
            f"/api/v2/countries/didgroups/{group_id}/provision",
            headers={"X-API-Key": alice.api_key},
        ).json()["data"]["id"]
        for _ in range(2)
    ]
    return {"group": group_id, "alice": alice, "bob": bob, "alice_numbers": alice_numbers}


@pytest.mark.parametrize("extra", SMUGGLED)
@pytest.mark.parametrize("path", ["/api/v2/numbers", "/api/v2/ledger", "/api/v2/balance"])
def test_bob_never_sees_alices_data(
    client: TestClient, two_accounts: dict[str, NewAccount], path: str, extra: dict[str, str]
) -> None:
    alice, bob = two_accounts["alice"], two_accounts["bob"]
    params = {k: (alice.api_key if v == "ALICE" else v) for k, v in extra.items()}
    response = client.get(path, params=params, headers={"X-API-Key": bob.api_key})
    assert response.status_code == 200
    body = response.json()
    if path == "/api/v2/numbers":
        assert body["numbers"] == [] and body["meta"]["pagination"]["total"] == 0
    elif path == "/api/v2/ledger":
        assert [e["kind"] for e in body["entries"]] == ["credit"]  # only Bob's own opening credit
    else:
        assert body["balance"] == 50.0


def test_provisioning_always_charges_and_assigns_the_caller(
    client: TestClient, database: Database, two_accounts: dict[str, NewAccount]
) -> None:
    alice, bob = two_accounts["alice"], two_accounts["bob"]
    response = client.post(
        f"/api/v2/countries/didgroups/{two_accounts['group']}/provision",
        params={"account_id": str(alice.account_id)},
        json={"account_id": alice.account_id, "user_id": alice.account_id},
        headers={"X-API-Key": bob.api_key},
    )
    assert response.status_code == 200
    bob_numbers = client.get("/api/v2/numbers", headers={"X-API-Key": bob.api_key}).json()[
        "numbers"
    ]
    assert [n["id"] for n in bob_numbers] == [response.json()["data"]["id"]]
    assert (
        client.get("/api/v2/balance", headers={"X-API-Key": alice.api_key}).json()["balance"]
        == 44.0
    )
    assert (
        client.get("/api/v2/balance", headers={"X-API-Key": bob.api_key}).json()["balance"] == 47.0
    )


def test_rotating_affects_only_the_callers_key(
    client: TestClient, two_accounts: dict[str, NewAccount]
) -> None:
    alice, bob = two_accounts["alice"], two_accounts["bob"]
    client.post(
        "/api/v2/keys/rotate",
        json={"account_id": alice.account_id},
        headers={"X-API-Key": bob.api_key},
    )
    assert client.get("/api/v2/balance", headers={"X-API-Key": alice.api_key}).status_code == 200
    assert client.get("/api/v2/balance", headers={"X-API-Key": bob.api_key}).status_code == 401


def test_a_sub_account_cannot_reach_its_parent_or_siblings(
    client: TestClient, two_accounts: dict[str, NewAccount]
) -> None:
    alice = two_accounts["alice"]
    sub = client.post(
        "/api/v2/subuser", json={"email": "kid@example.com"}, headers={"X-API-Key": alice.api_key}
    )
    sibling = client.post(
        "/api/v2/subuser", json={"email": "kid2@example.com"}, headers={"X-API-Key": alice.api_key}
    )
    sub_key, sibling_key = sub.json()["api_key"], sibling.json()["api_key"]
    client.post(
        f"/api/v2/countries/didgroups/{two_accounts['group']}/provision",
        headers={"X-API-Key": sibling_key},
    )
    for extra in SMUGGLED:
        numbers = client.get(
            "/api/v2/numbers", params=extra, headers={"X-API-Key": sub_key}
        ).json()["numbers"]
        assert numbers == []
        ledger = client.get("/api/v2/ledger", params=extra, headers={"X-API-Key": sub_key}).json()[
            "entries"
        ]
        assert ledger == []
