"""The Redis-backed limiter: one budget for every limiter (worker) that shares Redis."""

import asyncio
import uuid

import pytest
import redis
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.api.edge.ratelimit import QuotaExceeded, RateLimiter
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.conftest import sqlite_only
from tests.factories import add_account

backend = pytest.fixture(sqlite_only)  # the limiter, not the store, is the subject


def test_limiters_sharing_redis_share_one_budget(redis_server: str) -> None:
    identity = f"key:{uuid.uuid4()}"
    workers = [RateLimiter("5/minute", redis_server) for _ in range(3)]

    async def spend() -> list[bool]:
        outcomes = []
        for i in range(9):
            try:
                await workers[i % 3].hit(identity)
                outcomes.append(True)
            except QuotaExceeded as refused:
                assert refused.retry_after >= 1  # noqa: PT017 (each refusal, not only one)
                outcomes.append(False)
        return outcomes

    assert asyncio.run(spend()) == [True] * 5 + [False] * 4


def test_remaining_is_reported_from_the_shared_window(redis_server: str) -> None:
    identity = f"key:{uuid.uuid4()}"
    first, second = RateLimiter("4/minute", redis_server), RateLimiter("4/minute", redis_server)

    async def spend() -> list[int]:
        return [(await limiter.hit(identity)).remaining for limiter in (first, second, first)]

    assert asyncio.run(spend()) == [3, 2, 1]


def test_an_unreachable_redis_refuses_with_503_not_a_free_pass(
    settings: Settings, database: Database
) -> None:
    key = add_account(database).api_key
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broken)) as client:
        response = client.get("/api/v2/balance", headers={"X-API-Key": key})
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["message"] == "Rate limiting (Redis) unreachable."
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json() == {
        "status": "failed",
        "message": "Rate limiting is unavailable; retry shortly.",
    }


def test_the_app_limits_through_redis(
    settings: Settings, database: Database, redis_server: str
) -> None:
    key = add_account(database).api_key
    redis.Redis.from_url(redis_server).flushdb()  # account ids repeat across tests
    shared = settings.model_copy(update={"redis_url": redis_server, "rate_limit": "2/minute"})
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        statuses = [
            c.get("/api/v2/balance", headers={"X-API-Key": key}).status_code
            for c in (first, second, first)
        ]
        ready = first.get("/readyz")
    assert statuses == [200, 200, 403]
    assert ready.status_code == 200  # Redis answers
