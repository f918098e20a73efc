"""the group index and the trigram index of DIDs hold the DIDs in stock only, the
state index those out of stock only

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 22:00:00.000000

Taking a DID from stock changes its state, so PostgreSQL cannot update its row in
place (HOT) and wrote an entry for the new row version into every index of `dids`,
the trigram GIN index included, though provisioning and searches read only the DIDs
in stock through them. Partial on `state = 'available'`, they get no entry from a
take (which still writes three: the id's, the number's and the state's); searches
and takes read the same rows as before. The state index holds the DIDs out of stock,
which are all its readers look for: without those in stock, SQLite no longer takes
it for the way to the stock.
The three indexes are rebuilt: this takes a while on a large inventory.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_STOCK = "state = 'available'"
_OUT_OF_STOCK = "state <> 'available'"


def _partial(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_index(
        "ix_dids_in_stock", "dids", ["did_group_id", "number"], unique=False, **_partial(_IN_STOCK)
    )
    op.drop_index("ix_dids_group_state_number", table_name="dids")
    op.drop_index("ix_dids_state_changed", table_name="dids")
    op.create_index(
        "ix_dids_state_changed",
        "dids",
        ["state", "state_changed_at"],
        unique=False,
        **_partial(_OUT_OF_STOCK),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_dids_number_trgm")
        op.execute(
            "CREATE INDEX ix_dids_number_trgm ON dids USING gin (number gin_trgm_ops) "
            f"WHERE {_IN_STOCK}"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_dids_number_trgm")
        op.execute("CREATE INDEX ix_dids_number_trgm ON dids USING gin (number gin_trgm_ops)")
    op.drop_index("ix_dids_state_changed", table_name="dids")
    op.create_index("ix_dids_state_changed", "dids", ["state", "state_changed_at"], unique=False)
    op.create_index(
        "ix_dids_group_state_number", "dids", ["did_group_id", "state", "number"], unique=False
    )
    op.drop_index("ix_dids_in_stock", table_name="dids")
