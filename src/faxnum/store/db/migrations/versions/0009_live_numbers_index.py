"""paging an account's live numbers and its ledger without reading the rest: indexes,
and a count of each account's live numbers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 22:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("live_numbers", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.execute(
        "UPDATE accounts SET live_numbers = (SELECT count(*) FROM numbers "
        "WHERE numbers.account_id = accounts.id AND numbers.released_at IS NULL)"
    )
    op.create_index(
        "ix_numbers_live_account",
        "numbers",
        ["account_id", "id"],
        unique=False,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_index(
        "ix_ledger_entries_actor_id", "ledger_entries", ["actor_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_actor_id", table_name="ledger_entries")
    op.drop_index("ix_numbers_live_account", table_name="numbers")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("live_numbers")
