"""Alembic, driven from code so `faxnum migrate` works from an installed package.

Alembic is imported only by what migrates: a serving process checks the schema's
revision with one query against HEAD_REVISION and never loads it.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision (a test holds it equal to Alembic's head).
HEAD_REVISION = "0020"


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def schema_is_current(connection: Connection) -> bool:
    """The database stands at the newest revision this code knows."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return found == [HEAD_REVISION]
