"""Webhooks from real `faxnum serve` processes to a real receiver, on each store: a
server killed mid-delivery loses no committed event, and events reach an endpoint in
the order their changes committed while several processes provision at once."""

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from faxnum.services.accounts import NewAccount
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.testing.servers import RunningServer
from tests.e2e.conftest import faxnum
from tests.factories import add_account, add_group
from tests.webhook_receiver import Received, Receiver, running_receiver

pytestmark = pytest.mark.slow
API = "/api/v2"
DELIVERY = {
    "FAXNUM_WEBHOOK_ALLOW_PRIVATE": "1",
    "FAXNUM_WEBHOOK_TIMEOUT_S": "0.5",  # a dead worker's endpoints are free 2.5 s later
    "FAXNUM_WEBHOOK_POLL_S": "0.05",
    "FAXNUM_WEBHOOK_RETRY_BASE_S": "0.05",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(request: pytest.FixtureRequest, server_env: dict[str, str]) -> dict[str, str]:
    env = server_env | DELIVERY
    if request.param == "postgresql":
        env = request.getfixturevalue("postgres_env") | DELIVERY
    return env


@pytest.fixture
def store(store_env: dict[str, str]) -> Iterator[Database]:
    url = store_env["FAXNUM_DATABASE_URL"]
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def client_of(server: RunningServer, account: NewAccount) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + API, headers={"X-API-Key": account.api_key})


def register(server: RunningServer, account: NewAccount, receiver: Receiver) -> None:
    with client_of(server, account) as client:
        response = client.post("/webhooks", json={"url": receiver.url})
        assert response.status_code == 200, response.text


def provisioned_ids(received: list[Received]) -> dict[str, str]:
    """webhook-id -> the number each number.provisioned event carries."""
    found = {}
    for item in received:
        body = json.loads(item.body)
        if body["type"] == "number.provisioned":
            found[item.message_id] = body["data"]["number"]
    return found


def test_a_server_killed_mid_delivery_delivers_every_committed_event_after_restart(
    store: Database,
    store_env: dict[str, str],
    start_server: Callable[..., RunningServer],
) -> None:
    group = add_group(store, count=6)
    account = add_account(store, "hooked@example.com", "100.00")
    hang = threading.Event()
    with running_receiver(hang=hang) as receiver:
        server = start_server("--no-access-log", env=store_env)
        register(server, account, receiver)
        with client_of(server, account) as client:
            numbers = [
                client.post(f"/countries/didgroups/{group}/provision").json()["data"]["number"]
                for _ in range(5)
            ]
        deadline = time.monotonic() + 10
        while receiver.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert receiver.in_flight == 1  # the first event is on the wire
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        hang.set()
        start_server("--no-access-log", env=store_env)
        deadline = time.monotonic() + 30
        while len(set(provisioned_ids(receiver.received).values())) < 5:
            assert time.monotonic() < deadline, receiver.received
            time.sleep(0.05)
    delivered = provisioned_ids(receiver.received)
    assert sorted(delivered.values()) == sorted(numbers)  # each under one webhook-id
    first_seen = list(dict.fromkeys(item.message_id for item in receiver.received))
    assert [delivered[message_id] for message_id in first_seen] == numbers


def test_events_reach_an_endpoint_in_commit_order_while_processes_provision_at_once(
    store: Database,
    store_env: dict[str, str],
    start_server: Callable[..., RunningServer],
) -> None:
    group = add_group(store, count=40)
    owner = add_account(store, "owner@example.com", "1000.00")
    with running_receiver() as receiver:
        servers = [start_server("--no-access-log", env=store_env) for _ in range(2)]
        register(servers[0], owner, receiver)

        def provision(round_: int) -> None:
            with client_of(servers[round_ % 2], owner) as client:
                for _ in range(6):
                    response = client.post(f"/countries/didgroups/{group}/provision")
                    assert response.status_code == 200, response.text

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(provision, range(4)))
        deadline = time.monotonic() + 30
        while len(provisioned_ids(receiver.received)) < 24:
            assert time.monotonic() < deadline, len(receiver.received)
            time.sleep(0.05)
        with client_of(servers[1], owner) as client:
            ledger = client.get("/ledger", params={"limit": 100}).json()["entries"]
    arrived = list(provisioned_ids(receiver.received).values())
    committed = [
        entry["description"].removeprefix("Provisioned ")
        for entry in reversed(ledger)
        if entry["kind"] == "charge"
    ]
    assert arrived == committed
    assert len(receiver.received) == 24  # nothing twice without a crash


def test_webhooks_deliver_once_sends_what_is_queued_from_a_process_of_its_own(
    served_database: Database,
    server_env: dict[str, str],
    start_server: Callable[..., RunningServer],
) -> None:
    group = add_group(served_database, count=3)
    account = add_account(served_database, "cron@example.com", "100.00")
    quiet = server_env | DELIVERY | {"FAXNUM_WEBHOOK_DELIVERY": "0"}
    with running_receiver() as receiver:
        server = start_server("--no-access-log", env=quiet)
        register(server, account, receiver)
        with client_of(server, account) as client:
            number = client.post(f"/countries/didgroups/{group}/provision").json()["data"]
        time.sleep(0.3)
        assert receiver.received == []  # nobody delivers inside this server
        faxnum(quiet, "webhooks", "deliver", "--once")
        assert list(provisioned_ids(receiver.received).values()) == [number["number"]]
