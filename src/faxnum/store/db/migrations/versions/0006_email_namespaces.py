"""email namespaces: main accounts unique among themselves, sub-accounts per parent

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_accounts_email", type_="unique")
        batch_op.create_index("ix_accounts_email", ["email"], unique=False)
        batch_op.create_index(
            "uq_accounts_main_email",
            ["email"],
            unique=True,
            sqlite_where=sa.text("parent_id IS NULL"),
            postgresql_where=sa.text("parent_id IS NULL"),
        )
        batch_op.create_index(
            "uq_accounts_sub_email",
            ["parent_id", "email"],
            unique=True,
            sqlite_where=sa.text("parent_id IS NOT NULL"),
            postgresql_where=sa.text("parent_id IS NOT NULL"),
        )


def downgrade() -> None:
    """Only while no email is in both namespaces (the old schema cannot hold that)."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_accounts_sub_email")
        batch_op.drop_index("uq_accounts_main_email")
        batch_op.drop_index("ix_accounts_email")
        batch_op.create_unique_constraint("uq_accounts_email", ["email"])
