"""The edge: body limits, response headers, the access log (the store is not the subject:
SQLite only)."""

import json
import logging

import pytest
from fastapi.testclient import TestClient

from faxnum.store.database import Database
from tests.conftest import sqlite_only
from tests.factories import add_account, add_group

backend = pytest.fixture(sqlite_only)


def test_oversized_bodies_are_413_with_the_envelope(client: TestClient, database: Database) -> None:
    key = add_account(database).api_key
    response = client.post(
        "/api/v2/provision-numbers",
        content=b"x" * (70 * 1024),
        headers={"X-API-Key": key, "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json() == {"status": "failed", "message": "Request body too large."}


def test_every_response_carries_a_request_id_and_safety_headers(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/api/v2/nope")):
        assert len(response.headers["X-Request-ID"]) == 32
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("sent", "echoed"), [("abc-123", True), ("bad id with spaces", False), ("x" * 65, False)]
)
def test_a_sane_client_request_id_is_kept(client: TestClient, sent: str, echoed: bool) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert (response.headers["X-Request-ID"] == sent) is echoed


def test_the_access_log_is_json_and_never_shows_a_key(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    group_id = add_group(database)
    key = add_account(database).api_key
    with caplog.at_level(logging.INFO, logger="faxnum.access"):
        response = client.post(
            f"/api/v2/countries/didgroups/{group_id}/provision?api_key={key}&x=1"
        )
        client.get("/api/v2/balance", headers={"X-API-Key": key, "X-Request-ID": "trace-7"})
    lines = [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "faxnum.access"
    ]
    assert [line["status"] for line in lines] == [200, 200]
    assert (
        lines[0]["path"]
        == f"/api/v2/countries/didgroups/{group_id}/provision?api_key=[REDACTED]&x=1"
    )
    assert lines[0]["request_id"] == response.headers["X-Request-ID"]
    assert lines[1]["request_id"] == "trace-7"
    assert key not in caplog.text and key[4:] not in caplog.text
