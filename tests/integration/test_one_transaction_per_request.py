"""Every authenticated v2 route takes its caller one way (`api.edge.auth.Holder`): the
key is authenticated inside the use case's own transaction, so a request is one
transaction, and a key refused a moment ago is refused at once, before anything is said
about the request's input."""

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from faxnum.api.app import create_app
from faxnum.api.edge.payers import FRESH_FOR_S, KnownPayers
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.dbstate import snapshot
from tests.factories import add_account, add_group

READS = [
    "/api/v2/balance",
    "/api/v2/ledger",
    "/api/v2/numbers",
    "/api/v2/trunks",
    "/api/v2/webhooks",
    "/api/v2/orders",
    "/api/v2/reservations",
    "/api/v2/subusers",
    "/api/v2/notification-settings",
    "/api/v2/incoming-faxes",
    "/api/v2/countries",
    "/api/v2/states/CAN",
    "/api/v2/available-numbers?country=CAN",
]


@pytest.fixture
def quiet_client(settings: Settings) -> Iterator[TestClient]:
    """No background work beginning transactions while they are counted."""
    quiet = settings.model_copy(
        update={"renew_interval_s": 0, "reservation_sweep_s": 0, "webhook_delivery": False}
    )
    with TestClient(create_app(quiet)) as client:
        yield client


def _transactions_of(client: TestClient, method: str, url: str, key: str) -> tuple[int, int]:
    """The status of one request, and how many transactions it began."""
    database: Database = client.app.state.faxnum.database  # type: ignore[attr-defined]
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    # A reader sharing the writer's pool (PostgreSQL) is the writer with other options:
    # it fires the writer's listeners as well as its own.
    engines = [database.write_engine]
    if database.read_engine.pool is not database.write_engine.pool:
        engines.append(database.read_engine)
    for engine in engines:
        event.listen(engine, "begin", count)
    try:
        answered = client.request(method, url, headers={"X-API-Key": key})
    finally:
        for engine in engines:
            event.remove(engine, "begin", count)
    return answered.status_code, len(begun)


@pytest.mark.parametrize("url", READS)
def test_an_authenticated_read_is_one_transaction(
    quiet_client: TestClient, database: Database, url: str
) -> None:
    add_group(database)
    key = add_account(database).api_key
    assert quiet_client.get("/api/v2/balance", headers={"X-API-Key": key}).status_code == 200

    assert _transactions_of(quiet_client, "GET", url, key) == (200, 1)


def test_an_authenticated_write_is_one_transaction(
    quiet_client: TestClient, database: Database
) -> None:
    group_id = add_group(database, count=3)
    key = add_account(database).api_key
    assert quiet_client.get("/api/v2/balance", headers={"X-API-Key": key}).status_code == 200
    provisioned = quiet_client.post(
        f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
    )
    number_id = provisioned.json()["data"]["id"]

    assert _transactions_of(quiet_client, "DELETE", f"/api/v2/numbers/{number_id}", key) == (200, 1)


def _seen_then_rotated(client: TestClient, database: Database) -> tuple[str, str]:
    """A key this process has seen authenticated, then replaced: (old, new). Two
    requests of its tree's budget spent."""
    key = add_account(database).api_key
    assert client.get("/api/v2/balance", headers={"X-API-Key": key}).status_code == 200
    rotated = client.post("/api/v2/keys/rotate", headers={"X-API-Key": key})
    assert rotated.status_code == 200
    return key, str(rotated.json()["api_key"])


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v2/numbers?limit=-1", None),
        ("GET", "/api/v2/numbers/not-a-number", None),
        ("GET", "/api/v2/webhooks/99999999999999999999", None),
        ("POST", "/api/v2/trunks", {"name": "", "uri": "sip:'; DROP TABLE trunks;--"}),
        ("PATCH", "/api/v2/notification-settings", {"low_balance_threshold": -1}),
        ("POST", "/api/v2/webhooks", {"url": "http://127.0.0.1/hook"}),
        ("GET", "/api/v2/available-numbers?country=ZZZ", None),
        ("GET", "/api/v2/trunks/999999", None),
    ],
)
def test_a_key_revoked_after_it_was_seen_is_refused_before_its_input_is_judged(
    client: TestClient, database: Database, method: str, url: str, body: object
) -> None:
    key, _ = _seen_then_rotated(client, database)
    before = snapshot(database.write_engine)

    refused = client.request(method, url, headers={"X-API-Key": key}, json=body)

    assert refused.status_code == 401
    assert refused.json() == {"status": "failed", "message": "Invalid API key."}
    assert "ratelimit-remaining" not in refused.headers
    assert snapshot(database.write_engine) == before


def test_a_live_key_with_bad_input_is_told_about_its_input(
    client: TestClient, database: Database
) -> None:
    key = add_account(database).api_key
    assert client.get("/api/v2/balance", headers={"X-API-Key": key}).status_code == 200

    refused = client.get("/api/v2/numbers?limit=-1", headers={"X-API-Key": key})
    missing = client.get("/api/v2/trunks/999999", headers={"X-API-Key": key})

    assert refused.status_code == 422 and "limit" in refused.json()["errors"]
    assert missing.status_code == 404


def _oversized_chunks() -> Iterator[bytes]:
    """A body with no declared length that passes the limit as it streams."""
    yield b'{"name": "'
    for _ in range(40):
        yield b"a" * 4096
    yield b'"}'


def test_a_revoked_key_sending_a_body_too_large_is_refused_and_spends_no_more_budget(
    limited_client: TestClient, database: Database
) -> None:
    key, new_key = _seen_then_rotated(limited_client, database)

    refused = [
        limited_client.post(
            "/api/v2/trunks",
            headers={"X-API-Key": key, "Content-Type": "application/json"},
            content=_oversized_chunks(),
        )
        for _ in range(6)
    ]
    balance = limited_client.get("/api/v2/balance", headers={"X-API-Key": new_key})

    assert [answer.status_code for answer in refused] == [401] * 6
    assert all("ratelimit-remaining" not in answer.headers for answer in refused)
    assert balance.status_code == 200
    assert balance.headers["RateLimit-Remaining"] == "1"  # 5 - (1 + 1 + 1 + 1)


def test_a_revoked_key_is_authenticated_first_once_its_last_authentication_is_past(
    limited_client: TestClient, database: Database
) -> None:
    """Even when its tree's budget is spent: 401, never the tree's 403 and its quota."""
    now = [0.0]
    state = limited_client.app.state.faxnum  # type: ignore[attr-defined]
    limited_client.app.state.faxnum = replace(  # type: ignore[attr-defined]
        state, payers=KnownPayers(clock=lambda: now[0])
    )
    parent = {"X-API-Key": add_account(database).api_key}
    made = limited_client.post("/api/v2/subuser", headers=parent, json={"email": "c@example.com"})
    child = {"X-API-Key": made.json()["api_key"]}
    assert limited_client.get("/api/v2/balance", headers=child).status_code == 200
    child_id = limited_client.get("/api/v2/subusers", headers=parent).json()["data"][0]["id"]
    disabled = limited_client.post(f"/api/v2/subusers/{child_id}/disable", headers=parent)
    assert disabled.status_code == 200
    spent = limited_client.get("/api/v2/balance", headers=parent)
    assert spent.status_code == 200 and spent.headers["RateLimit-Remaining"] == "0"
    now[0] += FRESH_FOR_S * 2

    refused = limited_client.get("/api/v2/balance", headers=child)

    assert refused.status_code == 401
    assert "ratelimit-remaining" not in refused.headers
