"""OpenAPI, docs, liveness, readiness and the schema the migrations build."""

import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text

import faxnum.api.server
from faxnum.api.app import create_app
from faxnum.api.server import SETTINGS_VARIABLE
from faxnum.config import Settings, settings_with_secrets_json
from faxnum.domain.errors import Unavailable
from faxnum.domain.orders import QuantityWanted
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import authenticate, create_account
from faxnum.services.provisioning import provision
from faxnum.services.reservations import reserve
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import HEAD_REVISION, MIGRATIONS, alembic_config, upgrade
from faxnum.store.db.schema import DEFERRED_ON_POSTGRESQL, metadata
from faxnum.store.number_search import SEARCH_INDEX_OBJECTS
from tests.dbstate import group_stock_matches, snapshot
from tests.factories import TEST_SECRET, add_account, add_group
from tests.wire_fields import PROVISIONED_NUMBER_FIELDS


def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_describes_the_real_shapes_and_key_locations(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    provision = spec["paths"]["/api/v2/countries/didgroups/{did_group_id}/provision"]
    assert set(provision) == {"get", "post"}
    responses = provision["post"]["responses"]
    assert set(responses) >= {"200", "401", "402", "403", "404", "409", "422"}
    ok_schema = responses["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    data_ref = spec["components"]["schemas"][ok_schema]["properties"]["data"]["$ref"].rsplit(
        "/", 1
    )[1]
    data = spec["components"]["schemas"][data_ref]
    assert set(data["required"]) == set(PROVISIONED_NUMBER_FIELDS)
    assert data["properties"]["id"]["type"] == "integer"
    assert data["properties"]["area_code"]["type"] == "string"
    failure = responses["404"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert spec["components"]["schemas"][failure]["properties"]["status"]["const"] == "failed"
    schemes = spec["components"]["securitySchemes"]
    assert {(s.get("in"), s.get("name")) for s in schemes.values()} >= {
        ("query", "api_key"),
        ("header", "X-API-Key"),
        ("header", "api_key"),
    }
    key_schemes = {name for name in schemes if name != "GatewayToken"}
    assert {name for entry in provision["get"]["security"] for name in entry} == key_schemes
    gateway_upload = spec["paths"]["/gateway/v1/faxes"]["post"]
    assert gateway_upload["security"] == [{"GatewayToken": []}]  # never an API key
    assert "/api/v2/countries/{country_code}/didgroups" in spec["paths"]
    assert "/api/v2/provision-numbers" in spec["paths"]


def test_docs_page_is_served_from_this_process_under_a_strict_policy(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
    assert "http" not in response.text  # every asset is ours: no CDN
    assert "<script>" not in response.text  # no inline script for the policy to allow
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 20, source


def test_every_answer_carries_a_content_security_policy(client: TestClient) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/api/v2/nope"),
        client.get("/openapi.json"),
    ):
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )


def test_ready_when_the_database_answers_at_the_latest_migration(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_not_ready_when_the_schema_is_behind(client: TestClient, database: Database) -> None:
    url = database.url
    database.dispose()
    command.downgrade(alembic_config(url), "0004")
    try:
        response = client.get("/readyz")
    finally:
        command.upgrade(alembic_config(url), "head")  # the database is shared by later tests
    assert response.status_code == 503
    assert "faxnum migrate" in response.json()["message"]


def test_the_revision_readiness_expects_is_the_newest_migration() -> None:
    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD_REVISION


def test_migrations_build_exactly_the_declared_schema(database: Database) -> None:
    """All but when PostgreSQL checks the payer references, which the next test holds."""
    postgres = database.write_engine.dialect.name == "postgresql"

    def declared(_object: Any, name: str | None, type_: str, *_: Any) -> bool:
        timed = postgres and type_ == "foreign_key_constraint"
        return not (timed and name in DEFERRED_ON_POSTGRESQL)

    with database.write_engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, *_: name not in SEARCH_INDEX_OBJECTS,
                "include_object": declared,
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_payer_references_are_checked_at_commit_on_postgresql_only(
    database: Database,
) -> None:
    with database.write_engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            rows = connection.execute(
                text("SELECT conname FROM pg_constraint WHERE condeferrable AND condeferred")
            )
            assert set(rows.scalars()) == DEFERRED_ON_POSTGRESQL
        else:
            tables = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table'")
            ).scalars()
            assert not [sql for sql in tables if "DEFERRABLE" in sql.upper()]


def test_migrations_keep_every_row_through_a_downgrade_and_upgrade(database: Database) -> None:
    group_id = add_group(database, count=3)
    owner = add_account(database, credit="2000.00")  # fits the 32-bit columns of 0003
    with database.reader() as uow:
        caller = authenticate(uow, owner.api_key)
    with database.unit_of_work() as uow:
        provision(uow, caller, group_id, datetime.now(UTC))
    before = snapshot(database.write_engine)
    url = database.url
    database.dispose()

    command.downgrade(alembic_config(url), "0003")
    command.upgrade(alembic_config(url), "head")

    engine = Database(url)
    after = snapshot(engine.write_engine)
    # The kept stock is counted again from the DIDs (PostgreSQL may then skip empty shards).
    assert {**after, "did_group_stock": []} == {**before, "did_group_stock": []}
    assert group_stock_matches(engine.write_engine)
    assert after["did_group_stock"]
    engine.dispose()


def test_balances_far_beyond_32_bits_are_exact(client: TestClient, database: Database) -> None:
    key = add_account(database, credit="999999999.99").api_key
    group_id = add_group(database, setup="123456.78", monthly="0.01")
    assert (
        client.post(
            f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
        ).status_code
        == 200
    )
    balance = client.get("/api/v2/balance", headers={"X-API-Key": key})
    assert balance.text == '{"status":"success","balance":999876543.20}'


def test_the_openapi_says_what_each_endpoint_really_does(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "email" in paths["/api/v2/user"]["post"]["responses"]["409"]["description"]
    assert "provision" not in paths["/api/v2/user"]["post"]["responses"]["409"]["description"]
    login_401 = paths["/api/v2/user/login"]["post"]["responses"]["401"]["description"]
    assert "email or password" in login_401 and "API key" not in login_401
    provision = paths["/api/v2/countries/didgroups/{did_group_id}/provision"]["get"]
    query_id = next(
        p for p in provision["parameters"] if p["name"] == "did_group_id" and p["in"] == "query"
    )
    assert query_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    city = next(
        p
        for p in paths["/api/v2/countries/{country_code}/didgroups"]["get"]["parameters"]
        if p["name"] == "cityNamePattern"
    )
    assert "only NEW YORK" in city["description"]
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_embedded_store_is_private_to_its_owner_and_synchronous(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'faxnum.db'}"
    upgrade(url)
    database = Database(url)
    with database.write_engine.connect() as connection:
        level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    assert level == 2  # FULL: an answered commit survives power loss
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("faxnum.db", "faxnum.db-wal", "faxnum.db-shm"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    database.dispose()


SERVING = """
import asyncio
import os
import sys

import faxnum.api.server  # what a serving process imports first
import uvicorn  # and then, to serve


async def call(app, path, method="GET", key=None):
    # Plain ASGI: an HTTP client library would load what the server itself must not.
    sent = []
    headers = [(b"x-api-key", key.encode())] if key else []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 9), "server": ("127.0.0.1", 80), "state": {},
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"]


async def serve_a_little():
    app = faxnum.api.server.served_app()
    started, stopped = asyncio.Queue(), asyncio.Queue()
    await started.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, started.get, stopped.put)
    )
    assert (await stopped.get())["type"] == "lifespan.startup.complete"
    key = os.environ["SERVING_KEY"]
    assert await call(app, "/readyz") == 200
    assert await call(app, "/api/v2/countries/USA/didgroups") == 401
    assert await call(app, "/api/v2/countries/USA/didgroups", key=key) == 200
    group = os.environ["SERVING_GROUP"]
    assert await call(app, f"/api/v2/countries/didgroups/{group}/provision", "POST", key) == 200
    await started.put({"type": "lifespan.shutdown"})
    assert (await stopped.get())["type"] == "lifespan.shutdown.complete"
    await lifespan


asyncio.run(serve_a_little())
print(" ".join(sorted(name for name, module in sys.modules.items() if module is not None)))
"""
# Loaded where used: the cipher's library at the first key sealed or shown (the
# launcher checked the secret), httpx at the first webhook, Jinja2 at the first page,
# PostgreSQL's dialect on PostgreSQL; never: uvicorn's reload watcher, pydantic's v1,
# pydantic-settings (the launcher hands its settings over).
NOT_FOR_SERVING = (
    "alembic", "typer", "rich", "pygments", "phonenumbers", "psycopg",
    "cryptography", "httpx", "jinja2", "watchfiles", "pydantic_settings", "dotenv",
)  # fmt: skip
SUBMODULES_NOT_FOR_SERVING = ("pydantic.v1", "sqlalchemy.dialects.postgresql")


def test_a_serving_process_loads_only_what_serving_needs(
    tmp_path: Path, migrated_template: Path
) -> None:
    """Migrations, the command line, the client, numbering metadata and what only some
    requests need stay out of a worker's memory: it starts from faxnum.api.server,
    answers readiness, reads and a provisioning."""
    database_file = tmp_path / "faxnum.db"
    shutil.copyfile(migrated_template, database_file)
    database = Database(f"sqlite:///{database_file}")
    group = add_group(database)
    key = add_account(database, "serving@example.com").api_key
    database.dispose()
    settings = Settings(
        database_url=f"sqlite:///{database_file}",
        data_dir=tmp_path,
        secret_key=SecretStr(TEST_SECRET.decode()),
        renew_interval_s=0,
    )
    env = os.environ | {
        SETTINGS_VARIABLE: settings_with_secrets_json(settings),  # as `faxnum serve` does
        "SERVING_KEY": key,
        "SERVING_GROUP": str(group),
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVING], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert "faxnum" in loaded and "sqlalchemy" in loaded
    assert not loaded & set(NOT_FOR_SERVING)
    assert not {n for n in done.stdout.split() if n.startswith(SUBMODULES_NOT_FOR_SERVING)}
    assert not {n for n in done.stdout.split() if n.startswith(("faxnum.cli", "faxnum.client"))}


def test_a_server_serves_with_the_settings_its_launcher_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What `faxnum serve` read and checked is what its workers use, secrets included,
    whatever the environment says besides."""
    launched = Settings(
        data_dir=tmp_path,
        secret_key=SecretStr(TEST_SECRET.decode()),
        metrics_token=SecretStr(secrets.token_urlsafe(32)),
        rate_limit="7/second;70/minute",
        welcome_credit=Decimal("2.50"),
        renew_interval_s=0,
    )
    monkeypatch.setenv(SETTINGS_VARIABLE, settings_with_secrets_json(launched))
    monkeypatch.setenv("FAXNUM_RATE_LIMIT", "1/hour")
    state = faxnum.api.server.served_app().state.faxnum
    state.database.dispose()
    served = state.settings
    assert served.model_dump() == launched.model_dump()
    for secret in ("secret_key", "metrics_token"):
        assert getattr(served, secret) == getattr(launched, secret)


def test_an_app_started_under_another_secret_refuses_to_serve(sqlite_settings: Settings) -> None:
    """Started by anything but `faxnum serve` (which checks first), the app itself
    refuses to serve keys that no one could be shown again."""
    database = Database(sqlite_settings.effective_database_url)
    add_account(database, "sealed@example.com")
    database.dispose()
    other = sqlite_settings.model_copy(update={"secret_key": SecretStr(secrets.token_urlsafe(32))})
    with pytest.raises(Unavailable, match="another secret"), TestClient(create_app(other)):
        pass
    with TestClient(create_app(sqlite_settings)) as client:
        assert client.get("/readyz").status_code == 200


def test_the_tree_holds_migration_puts_counts_and_promised_money_on_the_payer(
    database: Database,
) -> None:
    group_id = add_group(database, count=4, setup="1.00", monthly="2.00")
    parent = add_account(database, "parent@example.com")
    now = datetime.now(UTC)
    with database.unit_of_work() as uow:
        sub = create_account(
            uow, KeyCipher(TEST_SECRET), "sub@example.com", now, parent_id=parent.account_id
        )
    for key, quantity in ((parent.api_key, 1), (sub.api_key, 2)):
        with database.reader() as uow:
            caller = authenticate(uow, key)
        with database.unit_of_work() as uow:
            reserve(uow, caller, QuantityWanted(group_id, quantity), 600, 100, now)
    url = database.url
    database.dispose()
    command.downgrade(alembic_config(url), "0013")
    engine = create_engine(url)
    with engine.begin() as connection:  # as the code before it kept them: each its own
        for account_id, held in ((parent.account_id, 1), (sub.account_id, 2)):
            connection.execute(
                text("UPDATE accounts SET reserved_numbers = :held WHERE id = :id"),
                {"held": held, "id": account_id},
            )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, reserved_numbers, held_micros FROM accounts"))
        accounts_now = {row.id: (row.reserved_numbers, row.held_micros) for row in rows}
        values = sorted(connection.execute(text("SELECT value_micros FROM reservations")).scalars())
    engine.dispose()
    assert accounts_now[parent.account_id] == (3, 9_000_000)
    assert accounts_now[sub.account_id] == (0, 0)
    assert values == [3_000_000, 6_000_000]
