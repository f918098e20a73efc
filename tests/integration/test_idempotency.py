"""Idempotent provisioning: a repeated key answers the first result and changes nothing."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.services.billing import credit_account
from faxnum.store.db.database import Database
from tests.dbstate import assignment_is_consistent, balances_match_ledger, snapshot
from tests.factories import add_account, add_group


def provision(
    client: TestClient, key: str, group_id: int, idempotency_key: str, how: str = "header"
) -> httpx.Response:
    url = f"/api/v2/countries/didgroups/{group_id}/provision"
    response: httpx.Response
    if how == "header":
        response = client.post(url, headers={"X-API-Key": key, "Idempotency-Key": idempotency_key})
    elif how == "query":
        response = client.post(
            url, params={"idempotency_key": idempotency_key}, headers={"X-API-Key": key}
        )
    else:
        response = client.post(
            url, json={"idempotency_key": idempotency_key}, headers={"X-API-Key": key}
        )
    return response


@pytest.mark.parametrize("how", ["header", "query", "body"])
def test_a_repeat_returns_the_identical_body_and_changes_nothing(
    client: TestClient, database: Database, how: str
) -> None:
    group_id = add_group(database, count=3)
    key = add_account(database).api_key
    first = provision(client, key, group_id, "order-42", how)
    after_first = snapshot(database.write_engine)

    again = provision(client, key, group_id, "order-42", how)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert snapshot(database.write_engine) == after_first


def test_different_keys_provision_different_numbers(client: TestClient, database: Database) -> None:
    group_id = add_group(database, count=3)
    key = add_account(database).api_key
    numbers = {provision(client, key, group_id, f"k{i}").json()["data"]["number"] for i in range(3)}
    assert len(numbers) == 3


def test_the_same_key_with_other_parameters_is_422(client: TestClient, database: Database) -> None:
    first_group = add_group(database, count=2)
    other_group = add_group(database, region="CA", description="Brandon, MB", count=2)
    key = add_account(database).api_key
    provision(client, key, first_group, "reused")
    before = snapshot(database.write_engine)

    response = provision(client, key, other_group, "reused")

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "Idempotency-Key": ["was already used with different parameters"]
    }
    assert snapshot(database.write_engine) == before


def test_keys_belong_to_one_account(client: TestClient, database: Database) -> None:
    group_id = add_group(database, count=3)
    alice = add_account(database, "alice@example.com").api_key
    bob = add_account(database, "bob@example.com").api_key
    first = provision(client, alice, group_id, "shared-name").json()["data"]
    second = provision(client, bob, group_id, "shared-name").json()["data"]
    assert first["id"] != second["id"]


def test_a_failed_attempt_leaves_the_key_free(client: TestClient, database: Database) -> None:
    group_id = add_group(database, count=2, setup="5.00", monthly="5.00")
    owner = add_account(database, credit="1.00")
    assert provision(client, owner.api_key, group_id, "retry-me").status_code == 402
    with database.unit_of_work() as uow:
        credit_account(uow, owner.account_id, Decimal("20.00"), "top-up", datetime.now(UTC))
    assert provision(client, owner.api_key, group_id, "retry-me").status_code == 200


@pytest.mark.parametrize("bad", ["", " ", "x" * 256, "naïve", "a\tb"])
def test_malformed_keys_are_422(client: TestClient, database: Database, bad: str) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    response = client.post(
        f"/api/v2/countries/didgroups/{group_id}/provision",
        params={"idempotency_key": bad} if bad else {"idempotency_key": ""},
        headers={"X-API-Key": key},
    )
    if bad:
        assert response.status_code == 422
        assert "Idempotency-Key" in response.json()["errors"]
    else:  # an empty parameter is no key at all
        assert response.status_code == 200


def test_concurrent_repeats_provision_once(client: TestClient, database: Database) -> None:
    group_id = add_group(database, count=10)
    key = add_account(database).api_key
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: provision(client, key, group_id, "burst"), range(16)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert assignment_is_consistent(database.write_engine)
    assert balances_match_ledger(database.write_engine)


@pytest.fixture
def clock_client(settings: Settings) -> Iterator[tuple[TestClient, list[datetime]]]:
    now = [datetime(2026, 11, 1, 12, tzinfo=UTC)]
    with TestClient(create_app(settings, clock=lambda: now[0])) as test_client:
        yield test_client, now


def test_keys_expire_after_the_retention(
    clock_client: tuple[TestClient, list[datetime]], database: Database
) -> None:
    client, now = clock_client
    group_id = add_group(database, count=3)
    key = add_account(database).api_key
    first = provision(client, key, group_id, "daily").json()["data"]["id"]
    now[0] += timedelta(hours=23)
    assert provision(client, key, group_id, "daily").json()["data"]["id"] == first
    now[0] += timedelta(hours=2)
    assert provision(client, key, group_id, "daily").json()["data"]["id"] != first
