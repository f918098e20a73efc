"""The limit per account tree: 403 with Retry-After once spent, nothing changed; a new
key or a sub-account brings no fresh budget; account changes have a smaller one."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.conftest import sqlite_only
from tests.dbstate import snapshot
from tests.factories import add_account, add_group

backend = pytest.fixture(sqlite_only)  # the limiter, not the store, is the subject


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"rate_limit": "3/minute"})
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def test_spent_budget_answers_403_with_retry_after(
    limited_client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=5)
    key = add_account(database).api_key
    url = f"/api/v2/countries/didgroups/{group_id}/provision"
    remaining = [
        limited_client.post(url, params={"api_key": key}).headers["RateLimit-Remaining"]
        for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    before = snapshot(database.write_engine)

    refused = limited_client.post(url, params={"api_key": key})

    assert refused.status_code == 403
    assert refused.json() == {"status": "failed", "message": "Rate limit exceeded. Retry later."}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert snapshot(database.write_engine) == before


def test_limits_are_per_account(limited_client: TestClient, database: Database) -> None:
    first = add_account(database, "first@example.com").api_key
    second = add_account(database, "second@example.com").api_key
    url = "/api/v2/countries/CAN/didgroups"
    statuses = [limited_client.get(url, params={"api_key": first}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 403]
    assert limited_client.get(url, params={"api_key": second}).status_code == 200


def test_a_rotated_key_brings_no_fresh_budget(
    limited_client: TestClient, database: Database
) -> None:
    key = add_account(database).api_key
    assert limited_client.get("/api/v2/balance", headers={"X-API-Key": key}).status_code == 200
    rotated = limited_client.post("/api/v2/keys/rotate", headers={"X-API-Key": key})
    assert rotated.status_code == 200
    new_key = rotated.json()["api_key"]
    statuses = [
        limited_client.get("/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        for _ in range(2)
    ]
    assert statuses == [200, 403]


def test_sub_accounts_spend_their_parents_budget(
    limited_client: TestClient, database: Database
) -> None:
    parent = add_account(database).api_key
    created = limited_client.post(
        "/api/v2/subuser", json={"email": "sub@example.com"}, headers={"X-API-Key": parent}
    )
    assert created.status_code == 200
    sub = created.json()["api_key"]
    statuses = [
        limited_client.get("/api/v2/balance", headers={"X-API-Key": who}).status_code
        for who in (sub, sub, parent)
    ]
    assert statuses == [200, 200, 403]  # 3 a minute: the creation spent one of the tree's


def test_creating_sub_accounts_and_rotating_keys_have_a_smaller_budget(
    settings: Settings, database: Database
) -> None:
    key = add_account(database).api_key
    strict = settings.model_copy(update={"account_change_rate_limit": "2/minute"})
    with TestClient(create_app(strict)) as client:
        statuses = [
            client.post(
                "/api/v2/subuser", json={"email": f"s{n}@example.com"}, headers={"X-API-Key": key}
            ).status_code
            for n in range(3)
        ]
        rotate = client.post("/api/v2/keys/rotate", headers={"X-API-Key": key})
        balance = client.get("/api/v2/balance", headers={"X-API-Key": key})
    assert statuses == [200, 200, 403]
    assert rotate.status_code == 403 and "Retry-After" in rotate.headers
    assert balance.status_code == 200
