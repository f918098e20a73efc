"""Outbound safety of webhook deliveries: only https URLs on the public internet are
registered and called (checked again at each delivery), and redirects are not
followed. The subject is the address check, not the store."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.store.db.database import Database
from tests.conftest import make_settings, sqlite_only
from tests.factories import add_account, add_group
from tests.integration.test_webhooks import API, Clock, World, ok, refused
from tests.webhook_receiver import running_receiver

backend = pytest.fixture(sqlite_only)
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def world(tmp_path: Path, database_url: str, database: Database) -> Iterator[World]:
    """A receiver on loopback, so private addresses are allowed here."""
    group = add_group(database, count=4, setup="1.00", monthly="2.00")
    owner = add_account(database, "owner@example.com", "100.00")
    settings = make_settings(tmp_path, database_url).model_copy(
        update={"webhook_allow_private": True, "webhook_delivery": False}
    )
    clock = Clock()
    with (
        running_receiver() as receiver,
        TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client,
    ):
        yield World(
            client, database, clock, group, owner.api_key, owner.account_id, receiver, settings
        )


@pytest.fixture
def guarded(tmp_path: Path, database_url: str, database: Database) -> Iterator[World]:
    """The operator's defaults: https only, public addresses only."""
    group = add_group(database, count=4, setup="1.00", monthly="2.00")
    owner = add_account(database, "owner@example.com", "100.00")
    settings = make_settings(tmp_path, database_url).model_copy(update={"webhook_delivery": False})
    clock = Clock()
    with (
        running_receiver() as receiver,
        TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client,
    ):
        yield World(
            client, database, clock, group, owner.api_key, owner.account_id, receiver, settings
        )


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Host names resolved as the test says (no network needed)."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return names


REFUSED_URLS = {
    "http://127.0.0.1/hooks": "https://",
    "https://127.0.0.1/hooks": "127.0.0.1 is a loopback, private, link-local",
    "https://169.254.169.254/latest/meta-data": "169.254.169.254 is a loopback",
    "https://[::1]/hooks": "::1 is a loopback",
    "https://[::ffff:10.0.0.1]/hooks": "non-public",
    "https://[fd00:ec2::254]/latest": "non-public",
    "https://[64:ff9b::a00:1]/nat64": "non-public",
    "https://[2002:a00:1::1]/6to4": "non-public",
    "https://[::10.0.0.1]/compatible": "non-public",
    "https://[::a9fe:a9fe]/compatible-metadata": "non-public",
    "https://[::ffff:0:127.0.0.1]/siit": "non-public",
    "https://[64:ff9b:1::a00:1]/local-nat64": "non-public",
    "https://[fec0::1]/site-local": "non-public",
    "https://xn--localhost-/": "is not a URL",
    "https://93.184.216.34:99999/": "port outside",
    "https://93.184.216.34:0/": "port outside",
    "https://93.184.216.34/a b": "spaces or control characters",
    "https://93.184.216.34/\r\nX-Injected: 1": "spaces or control characters",
    "https://100.64.0.1/hooks": "non-public",
    "https://private.example.test/hooks": "host private.example.test does not resolve to a public",
    "https://localhost/hooks": "host localhost does not resolve to a public address",
    "http://hooks.example.test/plain-http": "must be an https:// URL",
    "https://user:pass@hooks.example.test/": "must not carry a user name or password",
    "ftp://hooks.example.test/": "must be an https:// URL",
    "https://nowhere.invalid/": "host nowhere.invalid does not resolve to a public address",
    "https://:443/": "has no host",
}


def test_urls_that_are_not_public_https_are_refused_at_registration(
    guarded: World, fake_dns: dict[str, str]
) -> None:
    fake_dns["private.example.test"] = "10.0.0.1"
    fake_dns["hooks.example.test"] = PUBLIC_ADDRESS
    for url, reason in REFUSED_URLS.items():
        body = refused(
            guarded.client.post(f"{API}/webhooks", json={"url": url}, headers=guarded.h()), 422
        )
        assert reason in body["errors"]["url"][0], (url, body)
        assert "user:pass" not in json.dumps(body)
        # What a name resolves to inside the operator's network is never told.
        assert "10.0.0.1" not in json.dumps(body) or "10.0.0.1" in url, (url, body)
        assert "127.0.0.1" not in json.dumps(body) or "127.0.0.1" in url, (url, body)
    accepted = guarded.register(url="https://hooks.example.test/hooks")
    assert accepted["url"] == "https://hooks.example.test/hooks"


def test_a_name_that_later_resolves_to_a_private_address_is_not_called(
    guarded: World, fake_dns: dict[str, str]
) -> None:
    fake_dns["rebind.example.test"] = PUBLIC_ADDRESS
    hook = guarded.register(url="https://rebind.example.test/hooks")
    fake_dns["rebind.example.test"] = "10.0.0.1"
    guarded.provision()
    guarded.deliver()
    [delivery] = ok(
        guarded.client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=guarded.h())
    )["data"]
    error = delivery["last_attempt"]["error"]
    assert "rebind.example.test does not resolve to a public address" in error
    assert "not sent" in error
    assert "10.0.0.1" not in error
    assert delivery["last_attempt"]["status_code"] is None and delivery["status"] == "pending"


def test_a_redirect_is_not_followed(world: World) -> None:
    with running_receiver() as loopback_target:
        world.receiver.answers = [302]
        world.receiver.location = loopback_target.url
        hook = world.register()
        world.provision()
        world.deliver()
        assert loopback_target.received == []
    [delivery] = ok(world.client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=world.h()))[
        "data"
    ]
    assert delivery["last_attempt"]["status_code"] == 302
    assert "redirects are not followed" in delivery["last_attempt"]["error"]
    assert loopback_target.url in delivery["last_attempt"]["error"]
