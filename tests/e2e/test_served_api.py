"""The README path on real processes: CLI, `serve`, and requests as curl sends them."""

import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from faxnum.testing.servers import RunningServer, faxnum_command, free_port, wait_until_healthy
from tests.e2e.conftest import faxnum
from tests.wire_fields import PROVISIONED_NUMBER_FIELDS

SEED_KEYS = list(PROVISIONED_NUMBER_FIELDS)


def test_cli_account_key_provisions_a_real_number_over_http(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    assert "DID groups created" in faxnum(server_env, "seed-demo")
    key = (
        faxnum(server_env, "accounts", "create", "buyer@example.com", "--credit", "50")
        .strip()
        .splitlines()[-1]
    )
    assert re.fullmatch(r"fxn_[0-9a-f]{32}", key)
    server = start_server()

    groups = httpx.get(
        f"{server.base_url}/api/v2/countries/CAN/didgroups", params={"api_key": key}
    ).json()["data"]
    group = groups[0]
    response = httpx.post(
        f"{server.base_url}/api/v2/countries/didgroups/{group['did_group_id']}/provision?api_key={key}"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success" and body["message"] == "Number has been provisioned."
    assert list(body["data"]) == SEED_KEYS
    assert body["data"]["did_group_id"] == group["did_group_id"]
    assert body["data"]["city_name"] == group["city_name"]
    assert body["data"]["number"].startswith("+1" + group["area_code"])
    server.process.terminate()
    server.process.wait(timeout=30)
    log = server.log()
    assert "/provision?api_key=[REDACTED]" in log
    assert key not in log and key[4:] not in log


def test_serve_demo_prints_a_working_key_and_the_base_url(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    server = start_server("--demo")
    printed = server.log()
    key = re.search(r"API key: (fxn_[0-9a-f]{32})", printed)
    assert key, printed
    assert f"{server.base_url}/api/v2" in printed
    balance_groups = httpx.get(
        f"{server.base_url}/api/v2/countries/%7BcountryCode%7D/didgroups",
        headers={"api_key": key.group(1)},
    )
    assert balance_groups.status_code == 200
    assert {g["country_code"] for g in balance_groups.json()["data"]} == {"USA", "CAN", "GBR"}
    assert len(balance_groups.json()["data"]) >= 200


def test_standard_output_is_the_json_access_log_alone_and_no_server_is_advertised(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            faxnum_command("serve", "--demo", "--port", str(port)),
            env=server_env,
            stdout=stdout,
            stderr=stderr,
        )
    server = RunningServer(f"http://127.0.0.1:{port}", process, err)
    try:
        wait_until_healthy(server)
        response = httpx.get(f"{server.base_url}/healthz")
        httpx.get(f"{server.base_url}/api/v2/balance")
    finally:
        server.stop()
    assert "server" not in response.headers
    assert "API key: fxn_" in err.read_text()
    lines = out.read_text().splitlines()
    assert len(lines) >= 2 and all(json.loads(line)["status"] for line in lines)


def test_a_port_out_of_range_is_refused(server_env: dict[str, str]) -> None:
    done = subprocess.run(
        faxnum_command("serve", "--port", "99999"),
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--port" in done.stderr and "65535" in done.stderr


def test_export_to_a_dash_writes_standard_output(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    faxnum(server_env, "seed-demo")
    exported = faxnum(server_env, "export", "dids", "--output", "-").splitlines()
    assert exported[0].startswith("number,") and len(exported) > 1000
    assert not (Path.cwd() / "-").exists()


def test_client_addresses_come_from_trusted_proxies_only(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "mine"}
    direct = start_server()
    httpx.get(f"{direct.base_url}/healthz", headers=forwarded)
    proxied = start_server(env=server_env | {"FAXNUM_TRUSTED_PROXIES": "127.0.0.1"})
    httpx.get(f"{proxied.base_url}/healthz", headers=forwarded)

    def last_client(server: RunningServer) -> str:
        """The client address of the last request logged (after the health checks)."""
        deadline = time.monotonic() + 5
        while True:
            lines = [json.loads(x) for x in server.log().splitlines() if x.startswith("{")]
            mine = [line for line in lines if line["request_id"] == "mine"]
            if mine or time.monotonic() > deadline:
                return str(mine[-1]["client"]) if mine else ""
            time.sleep(0.05)

    assert last_client(direct) == "127.0.0.1"  # a header anyone can send is not believed
    assert last_client(proxied) == "203.0.113.7"


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("FAXNUM_DATABASE_URL", "nonsense://", "FAXNUM_DATABASE_URL is not a usable database"),
        ("FAXNUM_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1:1/db", "cannot be used"),
        ("FAXNUM_DATA_DIR", "/proc/no-such-place", "/proc/no-such-place"),
        ("FAXNUM_REDIS_URL", "redis://127.0.0.1:1/0", "FAXNUM_REDIS_URL"),
        ("FAXNUM_RATE_LIMIT", "lots", "FAXNUM_RATE_LIMIT"),
    ],
)
def test_configuration_errors_are_one_line_saying_what_is_wrong(
    server_env: dict[str, str], setting: str, value: str, says: str
) -> None:
    env = server_env | {setting: value}
    if setting == "FAXNUM_DATA_DIR":
        env.pop("FAXNUM_DATABASE_URL")
    done = subprocess.run(
        faxnum_command("serve", "--port", str(free_port())),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (1, 2)
    lines = [x for x in done.stderr.strip().splitlines() if not x.startswith("note:")]
    assert lines[0].startswith("error:") and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(lines) <= 2


def test_the_version_is_printed(server_env: dict[str, str]) -> None:
    assert faxnum(server_env, "--version").strip() == "faxnum 0.1.0"


def test_metrics_add_up_every_worker(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    token = "metrics-token-for-tests-0123456789abcdef"
    server = start_server("--workers", "2", env=server_env | {"FAXNUM_METRICS_TOKEN": token})
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(40):  # new connections: the kernel spreads them over both workers
            httpx.get(f"{server.base_url}/healthz")
        counts = set()
        for _ in range(4):
            text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
            line = next(
                x
                for x in text.splitlines()
                if x.startswith("faxnum_http_requests_total{")
                and 'route="/healthz"' in x
                and 'status="200"' in x
            )
            counts.add(float(line.rsplit(" ", 1)[1]))
    assert min(counts) >= 40  # whichever worker answers, it reports the whole server
    assert "each worker counts its own rate-limit budgets" in server.log()
