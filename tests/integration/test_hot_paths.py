"""Provisioning, the DID-group listing and liveness are answered before FastAPI's
routing (`HotRoutes`), and provisioning and the listing authenticate their key inside
their own transaction: every guarantee of the layers around them still holds, and a
key refused a moment ago is refused at once."""

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import event

from faxnum.api.app import create_app
from faxnum.api.edge import hot_routes
from faxnum.api.edge import layer as edge
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.dbstate import set_disabled, snapshot
from tests.factories import add_account, add_group

PROVISION = "/api/v2/countries/didgroups/{}/provision"
LISTING = "/api/v2/countries/{}/didgroups"
SAFETY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def test_hot_answers_carry_the_request_id_safety_and_quota_headers(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key

    health = client.get("/healthz", headers={"X-Request-Id": "probe-1"})
    provisioned = client.post(
        PROVISION.format(group_id), headers={"X-API-Key": key, "X-Request-Id": "order-7"}
    )
    listed = client.get(LISTING.format("CAN"), headers={"X-API-Key": key, "X-Request-Id": "l-1"})

    assert health.status_code == provisioned.status_code == listed.status_code == 200
    assert health.headers["x-request-id"] == "probe-1"
    assert provisioned.headers["x-request-id"] == "order-7"
    assert listed.headers["x-request-id"] == "l-1"
    for response in (health, provisioned, listed):
        for name, value in SAFETY_HEADERS.items():
            assert response.headers[name] == value
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert provisioned.headers["ratelimit-remaining"].isdigit()
    assert int(listed.headers["ratelimit-remaining"]) < int(
        provisioned.headers["ratelimit-remaining"]
    )


@pytest.mark.parametrize("endpoint", ["provision", "listing"])
def test_hot_answers_are_logged_with_the_key_redacted_and_counted_by_route(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture, endpoint: str
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    url, template = {
        "provision": (PROVISION.format(group_id), PROVISION.format("{did_group_id}")),
        "listing": (LISTING.format("CAN"), LISTING.format("{country_code}")),
    }[endpoint]
    labels = {"method": "GET", "route": template, "status": "200"}
    counted_before = REGISTRY.get_sample_value("faxnum_http_requests_total", labels) or 0

    with caplog.at_level(logging.INFO, logger="faxnum.access"):
        assert client.get(url, params={"api_key": key}).status_code == 200

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "faxnum.access"]
    assert [line["status"] for line in lines] == [200]
    assert key not in lines[0]["path"]
    assert REGISTRY.get_sample_value("faxnum_http_requests_total", labels) == counted_before + 1


def test_hot_paths_keep_the_body_limit_and_other_methods_go_to_the_app(
    settings: Settings, database: Database
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    small = settings.model_copy(update={"max_body_bytes": 64})
    with TestClient(create_app(small)) as small_client:
        too_large = [
            small_client.post(url, headers={"X-API-Key": key}, content=b"x" * 65)
            for url in (PROVISION.format(group_id), LISTING.format("CAN"))
        ]
        deleted = small_client.delete(PROVISION.format(group_id), headers={"X-API-Key": key})
        put = small_client.put(LISTING.format("CAN"), headers={"X-API-Key": key})
        unknown_health = small_client.post("/healthz")

    assert [response.status_code for response in too_large] == [413, 413]
    assert all(response.json()["status"] == "failed" for response in too_large)
    assert deleted.status_code == put.status_code == unknown_health.status_code == 405
    assert deleted.json() == {"status": "failed", "message": "Method not allowed."}


@pytest.mark.parametrize("path", [PROVISION.format(1), "/api/v2/provision-numbers?did_group_id=1"])
def test_a_head_request_provisions_nothing(
    client: TestClient, database: Database, path: str
) -> None:
    group_id = add_group(database)
    assert group_id == 1
    key = add_account(database).api_key
    before = snapshot(database.write_engine)

    response = client.head(path, headers={"X-API-Key": key})

    assert response.status_code == 405
    assert snapshot(database.write_engine) == before


def test_a_key_revoked_after_it_was_seen_provisions_nothing(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=5)
    key = add_account(database).api_key
    assert client.post(PROVISION.format(group_id), headers={"X-API-Key": key}).status_code == 200
    rotated = client.post("/api/v2/keys/rotate", headers={"X-API-Key": key})
    assert rotated.status_code == 200
    before = snapshot(database.write_engine)

    refused = client.post(PROVISION.format(group_id), headers={"X-API-Key": key})

    assert refused.status_code == 401
    assert refused.json() == {"status": "failed", "message": "Invalid API key."}
    assert "ratelimit-remaining" not in refused.headers  # shaped like any unknown key's
    assert snapshot(database.write_engine) == before


def test_a_key_revoked_after_it_was_seen_lists_nothing(
    client: TestClient, database: Database
) -> None:
    add_group(database)
    key = add_account(database).api_key
    assert client.get(LISTING.format("CAN"), headers={"X-API-Key": key}).status_code == 200
    assert client.post("/api/v2/keys/rotate", headers={"X-API-Key": key}).status_code == 200

    refused = client.get(LISTING.format("CAN"), headers={"X-API-Key": key})

    assert refused.status_code == 401
    assert refused.json() == {"status": "failed", "message": "Invalid API key."}
    assert "ratelimit-remaining" not in refused.headers


def test_a_listing_is_one_read_transaction(settings: Settings, database: Database) -> None:
    """Its key is authenticated inside the listing's own read, not in a read before it."""
    add_group(database)
    key = add_account(database).api_key
    url = LISTING.format("CAN")
    quiet = settings.model_copy(  # no background work beginning transactions meanwhile
        update={"renew_interval_s": 0, "reservation_sweep_s": 0, "webhook_delivery": False}
    )
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    with TestClient(create_app(quiet)) as client:
        assert client.get(url, headers={"X-API-Key": key}).status_code == 200  # key known
        engine = client.app.state.faxnum.database.read_engine  # type: ignore[attr-defined]
        event.listen(engine, "begin", count)
        try:
            listed = client.get(url, headers={"X-API-Key": key})
        finally:
            event.remove(engine, "begin", count)

    assert listed.status_code == 200 and len(listed.json()["data"]) == 1
    assert len(begun) == 1


def test_an_account_disabled_after_its_key_was_seen_provisions_nothing(
    client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=5)
    owner = add_account(database)
    headers = {"X-API-Key": owner.api_key}
    assert client.post(PROVISION.format(group_id), headers=headers).status_code == 200
    set_disabled(database.write_engine, owner.account_id)
    before = snapshot(database.write_engine)

    refused = client.post(PROVISION.format(group_id), headers=headers)

    assert refused.status_code == 401
    assert refused.json() == {"status": "failed", "message": "This account is disabled."}
    assert snapshot(database.write_engine) == before


def test_a_refused_key_stops_spending_its_former_trees_budget(
    limited_client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=5)
    key = add_account(database).api_key
    url = PROVISION.format(group_id)
    assert limited_client.post(url, headers={"X-API-Key": key}).status_code == 200  # 1 spent
    rotated = limited_client.post("/api/v2/keys/rotate", headers={"X-API-Key": key})  # 2
    new_key = rotated.json()["api_key"]

    # Known as the tree's key, the old one spends once more before it is found revoked;
    # after that it is authenticated first and refused without spending anything.
    statuses = [limited_client.post(url, headers={"X-API-Key": key}).status_code for _ in range(4)]
    balance = limited_client.get("/api/v2/balance", headers={"X-API-Key": new_key})

    assert statuses == [401, 401, 401, 401]
    assert balance.status_code == 200
    assert balance.headers["RateLimit-Remaining"] == "1"  # 5 - (1 + 1 + 1 + 1)


def test_unknown_and_malformed_keys_spend_no_budget(
    limited_client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=5)
    key = add_account(database).api_key
    url = PROVISION.format(group_id)
    for stranger in ("", "not-a-key", "fxn_" + "0" * 32, key.upper()):
        assert limited_client.post(url, headers={"X-API-Key": stranger}).status_code == 401

    first = limited_client.post(url, headers={"X-API-Key": key})

    assert first.status_code == 200
    assert first.headers["RateLimit-Remaining"] == "4"


@pytest.mark.parametrize("fast_path", [True, False])
def test_the_fast_path_can_be_switched_off_and_the_same_answers_come_from_fastapi(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch, fast_path: bool
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    answered_early = []
    early = hot_routes.answer

    async def counted(*args: Any) -> None:
        answered_early.append(True)
        await early(*args)

    monkeypatch.setattr(edge, "answer", counted)
    switched = settings.model_copy(update={"fast_path": fast_path})
    with TestClient(create_app(switched), raise_server_exceptions=False) as client:
        healthy = client.get("/healthz")
        listed = client.get("/api/v2/countries/CAN/didgroups", headers={"X-API-Key": key})
        provisioned = client.post(PROVISION.format(group_id), headers={"X-API-Key": key})
    assert [r.status_code for r in (healthy, listed, provisioned)] == [200, 200, 200]
    assert provisioned.json()["data"]["did_group_id"] == group_id
    assert len(answered_early) == (3 if fast_path else 0)
