"""Real `faxnum` processes: the CLI and a served API on a free loopback port."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import PostgresDatabases
from tests.factories import TEST_SECRET

STARTUP_TIMEOUT_S = 60


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def postgres_env(
    server_env: dict[str, str], postgres_databases: "PostgresDatabases"
) -> dict[str, str]:
    """The same server environment, on a fresh PostgreSQL database."""
    return server_env | {"FAXNUM_DATABASE_URL": postgres_databases.fresh("e2e")}


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    return os.environ | {
        "FAXNUM_DATA_DIR": str(tmp_path / "data"),
        "FAXNUM_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'faxnum.db'}",
        "FAXNUM_SECRET_KEY": TEST_SECRET.decode(),
        "FAXNUM_RATE_LIMIT": "1000/second",
    }


def faxnum(env: dict[str, str], *args: str) -> str:
    """Run the CLI; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "faxnum.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def start_server(server_env: dict[str, str], tmp_path: Path) -> Iterator["StartServer"]:
    started: list[RunningServer] = []

    def start(*extra: str, env: dict[str, str] | None = None) -> RunningServer:
        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "faxnum.cli.main", "serve", "--port", str(port), *extra],
                env=env or server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
        started.append(server)
        wait_until_healthy(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


StartServer = object  # a callable taking serve options, returning RunningServer


def wait_until_healthy(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"server not healthy in time:\n{server.log()}")
