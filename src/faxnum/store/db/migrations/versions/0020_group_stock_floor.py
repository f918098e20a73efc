"""each DID group's stock floor: no DID of the group in stock has a lower number

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:00:00.000000

A take reads the group's DIDs in stock in number order and takes the first it can
lock. On PostgreSQL the index entries of the DIDs taken before stay until a VACUUM
(which, on a large table, may not come for a long time), and every take walked over
all of them first: provisioning grew slower with every DID provisioned. The take now
starts from `did_groups.stock_floor`.

The floor is only ever lowered by the triggers below, in the transaction that puts a
DID in stock; and raised (`raise_stock_floors`) to the group's lowest number in stock.
The raise locks the group's row before it reads the stock, and a DID entering stock
locks the same row before it lowers the floor, so that a raise can never read past a
DID whose entry into stock is not yet committed. (SQLite has one writer at a time.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A DID enters a group's stock: inserted in stock, or moved into stock or the group,
# or renumbered while in stock.
_ENTERS = (
    "new.state = 'available' AND (old.state <> 'available' "
    "OR old.did_group_id <> new.did_group_id OR old.number <> new.number)"
)
_LOWER = (
    "UPDATE did_groups SET stock_floor = new.number "
    "WHERE id = new.did_group_id AND stock_floor > new.number"
)
_SQLITE_UP = [
    "CREATE TRIGGER dids_floor_insert AFTER INSERT ON dids WHEN new.state = 'available' "
    f"BEGIN {_LOWER}; END",
    "CREATE TRIGGER dids_floor_update AFTER UPDATE OF state, did_group_id, number ON dids "
    f"WHEN {_ENTERS} BEGIN {_LOWER}; END",
]
_SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS dids_floor_{event}" for event in ("insert", "update")]
_POSTGRES_UP = [
    "CREATE FUNCTION dids_floor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    # The lock a raise must wait for, held to the end of this transaction; taken
    # before the update, as strong, so two of these never wait on each other to
    # strengthen a weaker one. Provisioning's key-share locks on the row pass it.
    "PERFORM 1 FROM did_groups WHERE id = new.did_group_id FOR NO KEY UPDATE; "
    f"{_LOWER}; RETURN NULL; END $$",
    "CREATE TRIGGER dids_floor_insert AFTER INSERT ON dids FOR EACH ROW "
    "WHEN (new.state = 'available') EXECUTE FUNCTION dids_floor()",
    "CREATE TRIGGER dids_floor_update AFTER UPDATE OF state, did_group_id, number ON dids "
    f"FOR EACH ROW WHEN ({_ENTERS}) EXECUTE FUNCTION dids_floor()",
]
_POSTGRES_DOWN = [
    *(f"DROP TRIGGER IF EXISTS dids_floor_{event} ON dids" for event in ("insert", "update")),
    "DROP FUNCTION IF EXISTS dids_floor()",
]


def upgrade() -> None:
    with op.batch_alter_table("did_groups") as batch:
        batch.add_column(
            sa.Column("stock_floor", sa.String(16), nullable=False, server_default=sa.text("''"))
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_UP if sqlite else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DOWN if sqlite else _POSTGRES_DOWN:
        op.execute(statement)
    with op.batch_alter_table("did_groups") as batch:
        batch.drop_column("stock_floor")
