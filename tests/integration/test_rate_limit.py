"""The per-key limit: 403 with Retry-After once spent, per key, nothing changed."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.database import Database
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


def test_limits_are_per_key(limited_client: TestClient, database: Database) -> None:
    first = add_account(database, "first@example.com").api_key
    second = add_account(database, "second@example.com").api_key
    url = "/api/v2/countries/CAN/didgroups"
    statuses = [limited_client.get(url, params={"api_key": first}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 403]
    assert limited_client.get(url, params={"api_key": second}).status_code == 200
