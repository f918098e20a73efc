"""the index of numbers by order holds only the numbers an order made

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 20:00:00.000000

Most numbers are provisioned one at a time and have no order; each of them wrote a NULL
entry into `ix_numbers_order_id`, which only lookups by an order's id read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDERED = "order_id IS NOT NULL"


def upgrade() -> None:
    op.drop_index("ix_numbers_order_id", table_name="numbers")
    op.create_index(
        "ix_numbers_order_id",
        "numbers",
        ["order_id"],
        unique=False,
        sqlite_where=sa.text(_ORDERED),
        postgresql_where=sa.text(_ORDERED),
    )


def downgrade() -> None:
    op.drop_index("ix_numbers_order_id", table_name="numbers")
    op.create_index("ix_numbers_order_id", "numbers", ["order_id"], unique=False)
