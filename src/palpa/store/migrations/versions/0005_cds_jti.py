"""CDS Hooks JWT ids already used, kept until their expiry so a token is accepted once across workers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "cds_used_jti",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cds_used_jti_expires_at", "cds_used_jti", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_cds_used_jti_expires_at", table_name="cds_used_jti")
    op.drop_table("cds_used_jti")
