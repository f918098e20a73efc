"""the available stock of each DID group, kept by triggers on `dids`

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 02:40:00.000000

Listing DID groups used to count their available DIDs on every request, which grows
with the inventory (2 s for one area code at 10^7 DIDs). The count is now kept in
`did_group_stock` by triggers, in the transaction of every insert, delete or state
change of a DID, whatever code makes it. PostgreSQL spreads a group over 16 rows
(`id % 16`) so that concurrent provisions from one group seldom wait on one row lock;
SQLite has one writer at a time and keeps one row (shard 0).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GAINS = (
    "INSERT INTO did_group_stock (did_group_id, shard, available) VALUES ({group}, {shard}, 1) "
    "ON CONFLICT (did_group_id, shard) DO UPDATE SET available = did_group_stock.available + 1"
)
_LOSES = (
    "UPDATE did_group_stock SET available = available - 1 "
    "WHERE did_group_id = {group} AND shard = {shard}"
)
_RECOUNT = (
    "INSERT INTO did_group_stock (did_group_id, shard, available) "
    "SELECT did_group_id, {shard}, count(*) FROM dids WHERE state = 'available' "
    "GROUP BY did_group_id{shard_key}"
)
# An update that changes whether a DID counts, or in which group.
_MOVES = (
    "(old.state = 'available') <> (new.state = 'available') OR old.did_group_id <> new.did_group_id"
)

_SQLITE_UP = [
    _RECOUNT.format(shard="0", shard_key=""),
    "CREATE TRIGGER dids_stock_insert AFTER INSERT ON dids WHEN new.state = 'available' "
    f"BEGIN {_GAINS.format(group='new.did_group_id', shard='0')}; END",
    "CREATE TRIGGER dids_stock_delete AFTER DELETE ON dids WHEN old.state = 'available' "
    f"BEGIN {_LOSES.format(group='old.did_group_id', shard='0')}; END",
    "CREATE TRIGGER dids_stock_leave AFTER UPDATE OF state, did_group_id ON dids "
    f"WHEN old.state = 'available' AND ({_MOVES}) "
    f"BEGIN {_LOSES.format(group='old.did_group_id', shard='0')}; END",
    "CREATE TRIGGER dids_stock_enter AFTER UPDATE OF state, did_group_id ON dids "
    f"WHEN new.state = 'available' AND ({_MOVES}) "
    f"BEGIN {_GAINS.format(group='new.did_group_id', shard='0')}; END",
]
_SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS dids_stock_{event}" for event in ("insert", "delete", "leave", "enter")
]
_POSTGRES_UP = [
    _RECOUNT.format(shard="id % 16", shard_key=", id % 16"),
    "CREATE FUNCTION dids_stock() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' AND old.state = 'available' THEN "
    f"{_LOSES.format(group='old.did_group_id', shard='old.id % 16')}; END IF; "
    "IF TG_OP <> 'DELETE' AND new.state = 'available' THEN "
    f"{_GAINS.format(group='new.did_group_id', shard='new.id % 16')}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER dids_stock_insert AFTER INSERT ON dids FOR EACH ROW "
    "WHEN (new.state = 'available') EXECUTE FUNCTION dids_stock()",
    "CREATE TRIGGER dids_stock_delete AFTER DELETE ON dids FOR EACH ROW "
    "WHEN (old.state = 'available') EXECUTE FUNCTION dids_stock()",
    "CREATE TRIGGER dids_stock_update AFTER UPDATE OF state, did_group_id ON dids "
    f"FOR EACH ROW WHEN ({_MOVES}) EXECUTE FUNCTION dids_stock()",
]
_POSTGRES_DOWN = [
    *(f"DROP TRIGGER IF EXISTS dids_stock_{e} ON dids" for e in ("insert", "delete", "update")),
    "DROP FUNCTION IF EXISTS dids_stock()",
]


def upgrade() -> None:
    op.create_table(
        "did_group_stock",
        sa.Column("did_group_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["did_group_id"], ["did_groups.id"]),
        sa.PrimaryKeyConstraint("did_group_id", "shard"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_UP if sqlite else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DOWN if sqlite else _POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("did_group_stock")
