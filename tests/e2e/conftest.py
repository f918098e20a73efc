"""Real `faxnum` processes: the CLI and a served API on a free loopback port."""

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.testing.servers import RunningServer, faxnum_command
from faxnum.testing.servers import start_server as start_served
from tests.conftest import PostgresDatabases
from tests.factories import TEST_SECRET

StartServer = Callable[..., RunningServer]  # serve options (and env=...) -> a healthy server


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
        faxnum_command(*args), env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served_database(server_env: dict[str, str]) -> Iterator[Database]:
    """The database the served processes use, migrated, to arrange data before they start."""
    url = server_env["FAXNUM_DATABASE_URL"]
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def start_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[StartServer]:
    started: list[RunningServer] = []

    def start(*options: str, env: dict[str, str] | None = None) -> RunningServer:
        log_path = tmp_path / f"server-{len(started)}.log"
        server = start_served(env or server_env, *options, log_path=log_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
