"""The edge: body limits, response headers, the access log (the store is not the subject:
SQLite only)."""

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.db.database import Database
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


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
@pytest.mark.parametrize("path", ["/api/v2/provision-numbers", "/api/v2/user", "/api/v2/webhooks"])
def test_a_streamed_body_over_the_limit_is_413_not_a_malformed_form(
    client: TestClient, database: Database, content_type: str, path: str
) -> None:
    key = add_account(database).api_key

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        for _ in range(70):
            yield b"x" * 1024

    response = client.post(
        path,
        content=chunks(),
        headers={"X-API-Key": key, "content-type": content_type},
    )
    assert response.status_code == 413
    assert response.json() == {"status": "failed", "message": "Request body too large."}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head_as_load_balancers_send_it(client: TestClient, path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200 and response.content == b""


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


def test_a_bug_answers_500_with_the_request_id_and_safety_headers_and_logs_one_traceback(
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = add_account(database).api_key

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("faxnum.api.routes.money.balance", broken)
    with (
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR),
    ):
        response = client.get(
            "/api/v2/balance", headers={"X-API-Key": key, "X-Request-ID": "trace-me"}
        )
    assert response.status_code == 500
    assert response.json() == {"status": "failed", "message": "Internal server error."}
    assert response.headers["x-request-id"] == "trace-me"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["ratelimit-remaining"].isdigit()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None and "trace-me" in errors[0].getMessage()


def test_secret_query_values_are_redacted_however_they_are_encoded(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    key = add_account(database).api_key
    encoded_key = "".join(f"%{ord(c):02X}" for c in key)
    with caplog.at_level(logging.INFO, logger="faxnum.access"):
        accepted = client.get(f"/api/v2/balance?api%5Fkey={encoded_key}")
        client.post("/api/v2/user?password=hunter2hunter2&email=a%40example.com")
        client.get("/api/v2/balance?PASSWORD=swordfish-swordfish", headers={"X-API-Key": key})
    assert accepted.status_code == 200
    paths = [json.loads(r.getMessage())["path"] for r in caplog.records]
    assert paths[0] == "/api/v2/balance?api_key=[REDACTED]"
    assert paths[1].startswith("/api/v2/user?password=[REDACTED]&email=")
    assert paths[2] == "/api/v2/balance?PASSWORD=[REDACTED]"
    for secret in (key, key[4:], encoded_key, "hunter2", "swordfish"):
        assert secret not in caplog.text


def test_a_trailing_slash_is_not_found_and_never_redirected_to_the_callers_host(
    client: TestClient, database: Database
) -> None:
    key = add_account(database).api_key
    response = client.get(
        f"/api/v2/numbers/?api_key={key}", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 404
    assert "location" not in response.headers
    assert key not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {f"x-filler-{n}": "1" for n in range(150)},
        {"x-filler": "a" * 20_000},
    ],
    ids=["too many", "too large"],
)
def test_too_many_or_too_large_headers_are_431(
    client: TestClient, database: Database, headers: dict[str, str]
) -> None:
    key = add_account(database).api_key
    response = client.get("/api/v2/balance", headers={"X-API-Key": key, **headers})
    assert response.status_code == 431
    assert response.json() == {"status": "failed", "message": "Request headers too large."}
    assert response.headers["x-request-id"]


def test_a_client_gone_mid_body_is_logged_as_499_without_a_traceback(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    sent: list[dict[str, object]] = []
    messages: list[dict[str, object]] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]
    incoming = iter(messages)

    async def receive() -> dict[str, object]:
        return next(incoming)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v2/numbers",
        "raw_path": b"/api/v2/numbers",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert json.loads(caplog.records[-1].getMessage())["status"] == 499


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_metrics_take_the_bearer_scheme_in_any_case_and_only_it(
    settings: Settings, scheme: str
) -> None:
    token = "metrics-token-for-tests-0123456789abcdef"
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(token)}))
    with TestClient(app) as client:
        assert (
            client.get("/metrics", headers={"Authorization": f"{scheme} {token}"}).status_code
            == 200
        )
        assert client.get("/metrics", headers={"Authorization": token}).status_code == 401
