"""The Python SDK against a real `faxnum serve`: every method, sync and async, paging,
the exception tree, and retries against a server that really rate-limits and a
connection that really drops mid-provisioning; and the client commands built on it."""

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Signer

from faxnum.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    ConnectionError,
    ExhaustedError,
    InsufficientBalanceError,
    NotFoundError,
    RateLimitError,
    ValidationError,
    WebhookVerificationError,
    verify_webhook,
)
from faxnum.domain.api_keys import key_digest
from faxnum.services.gateways import create_gateway
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.testing.servers import RunningServer, faxnum_command, start_server
from tests.factories import TEST_SECRET, add_account, add_group
from tests.fax_samples import g4_tiff

pytestmark = pytest.mark.slow


@dataclass
class Served:
    server: RunningServer
    database: Database
    key: str
    group: int  # 30 DIDs at 1.00 + 2.00
    empty_group: int  # 1 DID, taken before the tests
    gateway_token: str
    downloads: Path

    def receive_fax(self, number: str, call_id: str) -> int:
        """A fax to `number`, handed over as a gateway does."""
        sent = httpx.post(
            f"{self.url}/gateway/v1/faxes",
            headers={"Authorization": f"Bearer {self.gateway_token}"},
            data={"to": number, "from": "4930123456", "call_id": call_id},
            files={"file": ("fax.tif", g4_tiff(2), "image/tiff")},
        )
        assert sent.status_code == 201, sent.text
        return int(sent.json()["data"]["id"])

    @property
    def url(self) -> str:
        return self.server.base_url


def serve(tmp: Path, **env: str) -> tuple[RunningServer, Database]:
    url = f"sqlite:///{tmp / 'faxnum.db'}"
    upgrade(url)
    settings = {
        "FAXNUM_DATA_DIR": str(tmp),
        "FAXNUM_DATABASE_URL": url,
        "FAXNUM_SECRET_KEY": TEST_SECRET.decode(),
        "FAXNUM_RATE_LIMIT": "1000/second",
        "FAXNUM_WEBHOOK_ALLOW_PRIVATE": "1",
        "FAXNUM_WEBHOOK_DELIVERY": "0",
    }
    server = start_server(
        os.environ | settings | env, "--no-access-log", log_path=tmp / "server.log"
    )
    return server, Database(url)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server, database = serve(tmp_path_factory.mktemp("sdk"))
    group = add_group(database, count=30, setup="1.00", monthly="2.00")
    empty = add_group(database, description="London, ON", count=1)
    key = add_account(database, "sdk@example.com", "100.00").api_key
    with Client(key, server.base_url) as client:
        client.provision(empty)
    with database.unit_of_work() as uow:
        _, token = create_gateway(uow, "sdk-tests", datetime.now(UTC))
    downloads = tmp_path_factory.mktemp("downloads")
    yield Served(server, database, key, group, empty, token, downloads)
    server.stop()
    database.dispose()


def fresh_account(served: Served, credit: str = "100.00") -> str:
    return add_account(served.database, f"{os.urandom(4).hex()}@example.com", credit).api_key


def scenario(invoke: Callable[..., Any], served: Served) -> None:
    """Every method of a client, in an order that makes each one meaningful."""
    assert "CAN" in [c.a2_code for c in invoke("countries")]
    manitoba = next(s for s in invoke("states", "CAN") if s.code == "MB")
    assert "204" in [a.area_code for a in invoke("area_codes", "CAN", int(manitoba.id))]
    [group] = invoke("did_groups", "CAN", area_code="204")
    assert group.setup_price == Decimal("1.00") and isinstance(group.monthly_price, Decimal)
    page = invoke("available_numbers", "CAN", did_group_id=group.did_group_id, limit=2)
    assert len(page.items) == 2 and page.pagination.total >= 2
    first = invoke("provision", group.did_group_id)
    assert invoke("number", first.id).did_number == first.number
    assert invoke("numbers").items[0].id == first.id
    assert invoke("balance") == Decimal("97.00")
    fax_id = served.receive_fax(first.number, f"call-{os.urandom(4).hex()}")
    [received] = invoke("incoming_faxes").items
    assert received.id == fax_id and received.total_pages == 2 and received.sender == "4930123456"
    assert invoke("incoming_faxes", number=first.number).items[0].id == fax_id
    assert invoke("fax", fax_id).call["call_id"].startswith("call-")
    pdf = invoke("download_fax", fax_id, served.downloads / f"{os.urandom(3).hex()}.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and not list(served.downloads.glob(".*"))
    assert invoke("delete_fax", fax_id).id == fax_id
    assert invoke("incoming_faxes").items == []
    assert invoke("ledger").items[0].amount == Decimal("-3.00")
    trunk = invoke("create_trunk", "PBX", "sip:fax@pbx.example.com", is_default=False)
    assert invoke("trunk", trunk.id).uri == "sip:fax@pbx.example.com"
    assert invoke("change_trunk", trunk.id, name="PBX 2").name == "PBX 2"
    assert invoke("route_number", first.id, trunk.id).trunk_id == trunk.id
    assert len(invoke("trunks").items) == 2
    spare = invoke("available_numbers", "CAN", did_group_id=group.did_group_id).items[0]
    held = invoke("reserve", numbers=[spare.number], ttl_seconds=60)
    assert invoke("reservation", held.id).status == "active"
    assert invoke("reservations").items[0].id == held.id
    ordered = invoke("order", reservation_id=held.id)
    assert [n.number for n in ordered.numbers] == [spare.number]
    assert invoke("get_order", ordered.id).total_charged == Decimal("3.00")
    assert invoke("orders").items[0].id == ordered.id
    cancelled = invoke("reserve", did_group_id=group.did_group_id, quantity=1)
    assert invoke("cancel_reservation", cancelled.id).status == "cancelled"
    assert invoke("release_number", ordered.numbers[0].id).status == "Released"
    hook = invoke("create_webhook", "http://127.0.0.1:9/hooks", ["number.provisioned"])
    assert hook.secret and hook.secret.startswith("whsec_")
    assert invoke("webhook", hook.id).secret is None
    assert invoke("change_webhook", hook.id, events=[]).all_events is True
    assert invoke("rotate_webhook_secret", hook.id).secret != hook.secret
    delivery = invoke("test_webhook", hook.id)
    assert invoke("deliveries", hook.id).items[0].id == delivery.id
    assert invoke("delivery", hook.id, delivery.id).attempt_log == []
    with pytest.raises(ConflictError):
        invoke("redeliver", hook.id, delivery.id)  # still pending
    assert len(invoke("webhooks").items) == 1
    assert invoke("delete_webhook", hook.id).id == hook.id
    settings = invoke("change_notification_settings", expiring_days=3)
    assert settings.expiring_days == 3
    settings = invoke("change_notification_settings", low_balance_threshold=Decimal("12.50"))
    assert invoke("notification_settings").low_balance_threshold == Decimal("12.50")
    sub_key = invoke("create_subuser", f"sub-{os.urandom(3).hex()}@example.com", "a pass phrase 1")
    [sub] = invoke("subusers").items
    assert invoke("set_subuser_enabled", sub.id, False).disabled is True
    assert invoke("set_subuser_enabled", sub.id, True).disabled is False
    assert invoke("rotate_subuser_key", sub.id) != sub_key
    default = next(t for t in invoke("trunks").items if t.is_default)
    invoke("route_number", first.id, default.id)
    assert invoke("delete_trunk", trunk.id).id == trunk.id
    new_key = invoke("rotate_key")
    assert new_key.startswith("fxn_")


def test_every_method_of_the_sync_client_works_against_a_real_server(served: Served) -> None:
    with Client(fresh_account(served), served.url) as client:

        def invoke(method: str, /, *args: Any, **kwargs: Any) -> Any:
            return getattr(client, method)(*args, **kwargs)

        scenario(invoke, served)
        with pytest.raises(AuthenticationError):
            client.balance()  # the key rotated away at the end of the scenario


def test_every_method_of_the_async_client_works_against_a_real_server(served: Served) -> None:
    loop = asyncio.new_event_loop()
    client = AsyncClient(fresh_account(served), served.url)

    def invoke(method: str, /, *args: Any, **kwargs: Any) -> Any:
        return loop.run_until_complete(getattr(client, method)(*args, **kwargs))

    try:
        scenario(invoke, served)
    finally:
        loop.run_until_complete(client.close())
        loop.close()


def test_register_and_log_in_give_working_keys(served: Served) -> None:
    email = f"{os.urandom(4).hex()}@example.com"
    with Client(None, served.url) as anonymous:
        key = anonymous.register(email, "a long pass phrase")
        assert anonymous.log_in(email, "a long pass phrase") == key
    with Client(key, served.url) as client:
        assert client.balance() == Decimal("0.00")


class Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


def test_pages_are_walked_lazily_to_the_end_sync_and_async(served: Served) -> None:
    key = fresh_account(served)
    with Client(key, served.url) as client:
        provisioned = [client.provision(served.group).id for _ in range(7)]
    counting = Counting()
    with Client(key, served.url, transport=counting) as client:
        walk = client.iter_numbers(limit=2)
        assert next(walk).id == provisioned[-1] and len(counting.statuses) == 1
        assert [n.id for n in walk] == provisioned[::-1][1:]
        assert len(counting.statuses) == 4  # pages of 2, 2, 2 and 1

    async def walk_async() -> list[int]:
        async with AsyncClient(key, served.url) as client:
            return [n.id async for n in client.iter_numbers(limit=2)]

    assert asyncio.run(walk_async()) == provisioned[::-1]


def test_failures_raise_the_documented_exceptions(served: Served) -> None:
    with Client(fresh_account(served, "1.00"), served.url) as poor:
        with pytest.raises(InsufficientBalanceError) as short:
            poor.provision(served.group)
        assert short.value.status_code == 402 and "3.00" in short.value.message
        with pytest.raises(NotFoundError):
            poor.number(999_999)
        with pytest.raises(ExhaustedError):
            poor.provision(served.empty_group)
        with pytest.raises(ValidationError) as invalid:
            poor.available_numbers("CAN", contains="x")
        assert "contains" in invalid.value.errors
        with pytest.raises(ConflictError) as taken:
            poor.reserve(numbers=["+12045550000"])
        assert taken.value.numbers == ["+12045550000"]
    with Client("fxn_" + "0" * 32, served.url) as stranger, pytest.raises(AuthenticationError):
        stranger.balance()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with Client(served.key, closed, max_retries=1) as nowhere, pytest.raises(ConnectionError):
        nowhere.balance()


def test_the_rate_limit_is_waited_out_as_retry_after_says(
    tmp_path: Path,
) -> None:
    server, database = serve(tmp_path, FAXNUM_RATE_LIMIT="4/second")
    try:
        key = add_account(database, "limited@example.com", "10.00").api_key
        counting = Counting()
        with Client(key, server.base_url, transport=counting) as client:
            balances = [client.balance() for _ in range(10)]
        assert balances == [Decimal("10.00")] * 10
        assert 403 in counting.statuses  # really limited, and each one waited out
        with Client(key, server.base_url, max_retries=0) as impatient:
            for _ in range(9):  # the limit is reached within ten calls
                try:
                    impatient.balance()
                except RateLimitError:
                    break
            with pytest.raises(RateLimitError) as limited:
                impatient.balance()
        assert limited.value.retry_after >= 1
    finally:
        server.stop()
        database.dispose()


class DroppingProxy:
    """Forwards to the server; the first request's answer never reaches the client
    (the connection is cut once the server has answered): the client cannot know
    whether it was carried out."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        drop = self.dropped == 0
        self.dropped += drop
        threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if drop:  # the answer is lost: the client sees the connection end
                    client.shutdown(socket.SHUT_RDWR)
                    return
                client.sendall(data)
        except OSError:
            pass
        finally:
            upstream.close()
            client.close()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


def test_a_dropped_connection_retries_provisioning_which_happens_once(served: Served) -> None:
    key = fresh_account(served)
    proxy = DroppingProxy(int(served.url.rsplit(":", 1)[1]))
    try:
        with Client(key, f"http://127.0.0.1:{proxy.port}") as client:
            number = client.provision(served.group)
    finally:
        proxy.close()
    assert proxy.dropped == 1
    with Client(key, served.url) as client:
        held = client.numbers().items
        assert [n.id for n in held] == [number.id]  # provisioned once, answered on retry
        assert client.balance() == Decimal("97.00")  # charged once


def test_webhooks_are_verified_with_the_helper() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"type":"webhook.test","timestamp":"2026-11-28T00:00:00Z","data":{}}'
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Signer(secret).sign("msg_1", now, body),
    }
    assert verify_webhook(secret, body.encode(), headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secret, body.replace("test", "tset").encode(), headers)


# The client commands, through the real `faxnum` entry point in subprocesses.


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An environment with its own config directory and no key or URL of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAXNUM_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        faxnum_command(*args), env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_login_saves_a_private_config_and_the_commands_use_it(
    home: dict[str, str], served: Served
) -> None:
    key = served.key
    done = run(home, "login", "--url", served.url, stdin=key + "\n")
    assert done.returncode == 0, done.stderr
    config = Path(home["XDG_CONFIG_HOME"]) / "faxnum" / "client.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert key not in done.stdout + done.stderr
    table = run(home, "groups", "CAN", "--area-code", "204")
    assert "WINNIPEG" in table.stdout.upper() and table.returncode == 0
    nothing = run(home, "groups", "CAN", "--area-code", "999")
    assert nothing.returncode == 0 and nothing.stdout.strip() == "DID groups in CAN: none."
    found = json.loads(run(home, "search", "CAN", "--group", str(served.group), "--json").stdout)
    assert found and found[0]["did_group_id"] == served.group
    provisioned = json.loads(run(home, "provision", str(served.group), "--json").stdout)
    listed = run(home, "numbers")
    assert provisioned["number"] in listed.stdout
    balance_before = json.loads(run(home, "balance", "--json").stdout)["balance"]
    ordered = run(home, "order", "--group", str(served.group), "--quantity", "1")
    assert ordered.returncode == 0 and "Order " in ordered.stdout
    released = run(home, "release", str(provisioned["id"]))
    assert released.returncode == 0 and provisioned["number"] in released.stdout
    numbers = json.loads(run(home, "numbers", "--json").stdout)
    assert provisioned["id"] not in [n["id"] for n in numbers] and len(numbers) >= 1
    assert all(isinstance(n["trunk_id"], int) for n in numbers)  # each number's trunk
    assert Decimal(balance_before) > Decimal("0")


def test_exit_statuses_tell_usage_api_and_network_failures_apart(
    home: dict[str, str], served: Served
) -> None:
    no_key = run(home, "balance", "--url", served.url)
    assert no_key.returncode == 2 and "faxnum login" in no_key.stderr
    refused = run(home | {"FAXNUM_API_KEY": "fxn_" + "0" * 32}, "balance", "--url", served.url)
    assert refused.returncode == 1 and "faxnum login" in refused.stderr
    missing = run(home | {"FAXNUM_API_KEY": served.key}, "release", "999999", "--url", served.url)
    assert missing.returncode == 1 and "not found" in missing.stderr.lower()
    unreachable = run(
        home | {"FAXNUM_API_KEY": served.key}, "balance", "--url", "http://127.0.0.1:9"
    )
    assert unreachable.returncode == 3 and "Is the server running?" in unreachable.stderr


def test_an_example_script_using_the_sdk_passes_mypy_strict(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "sdk_quickstart.py"
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), str(example)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_faxes_commands_list_download_and_delete_received_faxes(
    home: dict[str, str], served: Served, tmp_path: Path
) -> None:
    key = fresh_account(served)
    env = home | {"FAXNUM_API_KEY": key, "FAXNUM_URL": served.url}
    provisioned = json.loads(run(env, "provision", str(served.group), "--json").stdout)
    assert run(env, "faxes", "list").stdout.strip() == "Faxes (0): none."
    fax_id = served.receive_fax(provisioned["number"], f"cli-{os.urandom(4).hex()}")
    listed = json.loads(
        run(env, "faxes", "list", "--number", provisioned["number"], "--json").stdout
    )
    assert [fax["id"] for fax in listed] == [fax_id]
    assert provisioned["number"] in run(env, "faxes", "list").stdout
    target = tmp_path / "got.pdf"
    got = run(env, "faxes", "get", str(fax_id), "-o", str(target))
    assert got.returncode == 0, got.stderr
    assert target.read_bytes().startswith(b"%PDF")
    deleted = run(env, "faxes", "delete", str(fax_id))
    assert deleted.returncode == 0 and f"Deleted fax {fax_id}" in deleted.stdout
    again = run(env, "faxes", "get", str(fax_id), "-o", str(tmp_path / "gone.pdf"))
    assert again.returncode == 1 and not (tmp_path / "gone.pdf").exists()


def test_gateway_credentials_are_created_listed_and_revoked_by_the_operator(
    tmp_path: Path,
) -> None:
    env = os.environ | {
        "FAXNUM_DATA_DIR": str(tmp_path),
        "FAXNUM_DATABASE_URL": f"sqlite:///{tmp_path / 'faxnum.db'}",
        "FAXNUM_SECRET_KEY": TEST_SECRET.decode(),
    }
    created = run(env, "gateways", "create", "hylafax-1")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("fxg_") and len(token) == 47
    assert run(env, "gateways", "create", "hylafax-1").returncode == 1  # the name is taken
    listed = run(env, "gateways", "list").stdout
    assert "hylafax-1" in listed and token not in listed
    assert run(env, "gateways", "revoke", "hylafax-1").returncode == 0
    assert run(env, "gateways", "revoke", "hylafax-1").returncode == 1
    with Database(env["FAXNUM_DATABASE_URL"]).reader() as uow:
        assert uow.gateways.by_digest(key_digest(token)) is None
