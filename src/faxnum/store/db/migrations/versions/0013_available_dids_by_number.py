"""a group's available DIDs read in number order from one index: provisioning takes
the lowest-numbered, and a search lists them a page at a time without a sort

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 07:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_dids_group_state_number", "dids", ["did_group_id", "state", "number"], unique=False
    )
    op.drop_index("ix_dids_group_state_id", table_name="dids")


def downgrade() -> None:
    op.create_index("ix_dids_group_state_id", "dids", ["did_group_id", "state", "id"], unique=False)
    op.drop_index("ix_dids_group_state_number", table_name="dids")
