"""Shared fixtures: the app and a migrated database per test, on SQLite and on
PostgreSQL (every test that touches a store runs on both), and test data.

FAXNUM_TEST_POSTGRES_URL / FAXNUM_TEST_REDIS_URL: use these servers instead of
throwaway ones. FAXNUM_REQUIRE_BACKENDS=1 (set by CI): a backend that cannot be had
fails the tests instead of skipping them."""

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade
from faxnum.store.db.tables import metadata
from faxnum.testing.backends import BackendUnavailable, throwaway_postgres, throwaway_redis
from tests.factories import TEST_SECRET

BACKENDS = ["sqlite", "postgresql"]


def unavailable(reason: str) -> None:
    """Skip; or fail, when FAXNUM_REQUIRE_BACKENDS (set by CI) says every backend must run."""
    if os.environ.get("FAXNUM_REQUIRE_BACKENDS", "") not in ("", "0"):
        pytest.fail(f"backend required but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each SQLite test gets a copy of the file (migrations take ~1 s)."""
    path = tmp_path_factory.mktemp("template") / "faxnum.db"
    upgrade(f"sqlite:///{path}")
    return path


def _given_or_throwaway(
    variable: str, throwaway: Callable[[], AbstractContextManager[str]]
) -> Iterator[str]:
    """The server named by an environment variable, else a throwaway one."""
    given = os.environ.get(variable)
    if given:
        yield given
        return
    try:
        with throwaway() as url:
            yield url
    except BackendUnavailable as reason:
        unavailable(str(reason))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    yield from _given_or_throwaway("FAXNUM_TEST_POSTGRES_URL", throwaway_postgres)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    yield from _given_or_throwaway("FAXNUM_TEST_REDIS_URL", throwaway_redis)


class PostgresDatabases:
    """Migrated databases on the test server, created once, emptied before each use."""

    def __init__(self, server_url: str) -> None:
        self._server = make_url(server_url)
        self._admin = create_engine(self._server, isolation_level="AUTOCOMMIT")
        self._created: list[str] = []

    def fresh(self, label: str) -> str:
        name = f"faxnum_test_{os.getpid()}_{label}"
        url = self._server.set(database=name).render_as_string(hide_password=False)
        if name not in self._created:
            with self._admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            upgrade(url)
            self._created.append(name)
        else:
            engine = create_engine(url)
            tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            engine.dispose()
        return url

    def drop_all(self) -> None:
        with self._admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_server)
    yield databases
    databases.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that touches a store runs on both; a module whose subject does not
    depends on the store overrides this fixture with `sqlite_only`."""
    return str(request.param)


def sqlite_only() -> str:
    return "sqlite"


def database_url_for(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, label: str
) -> str:
    """A migrated, empty database on `backend`, for this test alone."""
    if backend == "sqlite":
        database_file = tmp_path / f"{label}.db"
        shutil.copyfile(request.getfixturevalue("migrated_template"), database_file)
        return f"sqlite:///{database_file}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.fresh(label)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    return database_url_for(request, backend, tmp_path, "main")


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A second, empty migrated database on the same backend."""
    return database_url_for(request, backend, tmp_path, "other")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


def settings_on_both_paths(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Settings:
    """For a module whose tests must hold with the fast path on and off: use as
    `settings = pytest.fixture(params=[True, False], ids=FAST_PATH_IDS)(settings_on_both_paths)`."""
    return make_settings(tmp_path, database_url).model_copy(update={"fast_path": request.param})


FAST_PATH_IDS = ["fast-path", "no-fast-path"]


@pytest.fixture
def sqlite_settings(tmp_path: Path, migrated_template: Path) -> Settings:
    """For tests whose subject does not depend on the store (run once, on SQLite)."""
    database_file = tmp_path / "faxnum.db"
    shutil.copyfile(migrated_template, database_file)
    return make_settings(tmp_path, f"sqlite:///{database_file}")


def make_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET.decode()),
        rate_limit="1000/second",
        auth_rate_limit="1000/second",
        renew_interval_s=0,
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.effective_database_url)
    yield db
    db.dispose()


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[TestClient]:
    """A budget of 5 requests a minute per account tree."""
    limited = settings.model_copy(update={"rate_limit": "5/minute"})
    with TestClient(create_app(limited)) as test_client:
        yield test_client


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
