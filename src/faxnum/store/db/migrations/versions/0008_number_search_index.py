"""a trigram index on DID numbers for vanity searches

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 22:00:00.000000

SQLite: an FTS5 trigram table over `dids.number`, kept by triggers. PostgreSQL: the
`pg_trgm` extension (trusted: a database owner may create it) and a GIN index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE did_numbers_fts USING fts5("
    "number, content='dids', content_rowid='id', tokenize='trigram', detail='none')",
    "INSERT INTO did_numbers_fts(rowid, number) SELECT id, number FROM dids",
    "CREATE TRIGGER dids_search_insert AFTER INSERT ON dids BEGIN "
    "INSERT INTO did_numbers_fts(rowid, number) VALUES (new.id, new.number); END",
    "CREATE TRIGGER dids_search_delete AFTER DELETE ON dids BEGIN "
    "INSERT INTO did_numbers_fts(did_numbers_fts, rowid, number) "
    "VALUES ('delete', old.id, old.number); END",
    "CREATE TRIGGER dids_search_update AFTER UPDATE OF number ON dids BEGIN "
    "INSERT INTO did_numbers_fts(did_numbers_fts, rowid, number) "
    "VALUES ('delete', old.id, old.number); "
    "INSERT INTO did_numbers_fts(rowid, number) VALUES (new.id, new.number); END",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS dids_search_update",
    "DROP TRIGGER IF EXISTS dids_search_delete",
    "DROP TRIGGER IF EXISTS dids_search_insert",
    "DROP TABLE IF EXISTS did_numbers_fts",
]
_POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_dids_number_trgm ON dids USING gin (number gin_trgm_ops)",
]
_POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_dids_number_trgm"]


def _run(sqlite: list[str], postgres: list[str]) -> None:
    for statement in sqlite if op.get_bind().dialect.name == "sqlite" else postgres:
        op.execute(statement)


def upgrade() -> None:
    _run(_SQLITE_UP, _POSTGRES_UP)


def downgrade() -> None:
    _run(_SQLITE_DOWN, _POSTGRES_DOWN)
