"""received faxes: gateway credentials, the inbox, and each fax's bytes in chunks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateways",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateways")),
        sa.UniqueConstraint("digest", name=op.f("uq_gateways_digest")),
        sa.UniqueConstraint("name", name=op.f("uq_gateways_name")),
    )
    op.create_table(
        "faxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("did_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=33), nullable=False),
        sa.Column("total_pages", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gateway_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("remote_station_id", sa.String(length=64), nullable=True),
        sa.Column("speed", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("ecm", sa.Boolean(), nullable=True),
        sa.Column("compression", sa.String(length=32), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_faxes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["did_id"], ["dids.id"], name=op.f("fk_faxes_did_id_dids")),
        sa.ForeignKeyConstraint(
            ["gateway_id"], ["gateways.id"], name=op.f("fk_faxes_gateway_id_gateways")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faxes")),
        sa.UniqueConstraint("gateway_id", "call_id", name=op.f("uq_faxes_gateway_id_call_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_faxes_account_id", "faxes", ["account_id", "id"], unique=False)
    op.create_index(
        "ix_faxes_account_number", "faxes", ["account_id", "number", "id"], unique=False
    )
    op.create_index("ix_faxes_created_at", "faxes", ["created_at"], unique=False)
    op.create_table(
        "fax_chunks",
        sa.Column("fax_id", sa.Integer(), nullable=False),
        sa.Column("rendition", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["fax_id"], ["faxes.id"], name=op.f("fk_fax_chunks_fax_id_faxes")),
        sa.PrimaryKeyConstraint("fax_id", "rendition", "seq", name=op.f("pk_fax_chunks")),
    )


def downgrade() -> None:
    op.drop_table("fax_chunks")
    op.drop_index("ix_faxes_created_at", table_name="faxes")
    op.drop_index("ix_faxes_account_number", table_name="faxes")
    op.drop_index("ix_faxes_account_id", table_name="faxes")
    op.drop_table("faxes")
    op.drop_table("gateways")
