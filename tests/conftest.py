"""Shared fixtures: a migrated SQLite file per test, the app, and test data."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.database import Database
from faxnum.store.migrate import upgrade
from tests.factories import TEST_SECRET


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file (migrations take ~1 s)."""
    path = tmp_path_factory.mktemp("template") / "faxnum.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    database_file = tmp_path / "faxnum.db"
    shutil.copyfile(migrated_template, database_file)
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{database_file}",
        secret_key=TEST_SECRET.decode(),
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
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
