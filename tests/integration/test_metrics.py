"""/metrics for the operator: requests by route and status, provisions, rate-limit
refusals, stock per country; nothing without the metrics token."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.conftest import sqlite_only
from tests.factories import add_account, add_group

backend = pytest.fixture(sqlite_only)  # the counting, not the store, is the subject
TOKEN = "metrics-token-for-tests-0123456789abcdef"


@pytest.fixture
def watched(settings: Settings) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={"metrics_token": SecretStr(TOKEN), "rate_limit": "5/minute"}
    )
    with TestClient(create_app(configured)) as client:
        yield client


def sample(client: TestClient, name: str, **labels: str) -> float:
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_metrics_need_the_operators_token(watched: TestClient, client: TestClient) -> None:
    assert watched.get("/metrics").status_code == 401
    wrong = watched.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
    assert wrong.status_code == 401 and wrong.json()["status"] == "failed"
    assert client.get("/metrics").status_code == 404  # no token configured: no endpoint


def test_requests_provisions_refusals_and_stock_are_counted(
    watched: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=3)
    key = add_account(database).api_key
    route = "/api/v2/countries/didgroups/{did_group_id}/provision"
    before = {
        "ok": sample(
            watched, "faxnum_http_requests_total", method="POST", route=route, status="200"
        ),
        "provisions": sample(watched, "faxnum_provisions_total"),
        "refused": sample(watched, "faxnum_rate_limited_total", limit="account"),
    }
    assert sample(watched, "faxnum_dids_available", country="CAN") == 3

    statuses = [
        watched.post(
            f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
        ).status_code
        for _ in range(7)
    ]

    assert statuses == [200, 200, 200, 409, 409, 403, 403]
    after_ok = sample(
        watched, "faxnum_http_requests_total", method="POST", route=route, status="200"
    )
    assert after_ok - before["ok"] == 3
    assert sample(watched, "faxnum_provisions_total") - before["provisions"] == 3
    assert sample(watched, "faxnum_rate_limited_total", limit="account") - before["refused"] == 2
    assert sample(watched, "faxnum_dids_available", country="CAN") == 0
    assert (
        "/api/v2/countries/didgroups/1/provision"
        not in watched.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    )  # routes by template, never by raw path
