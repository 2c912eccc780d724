"""Auth tokens: browser sessions and bearer API tokens (hashes only).

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "auth_token",
        sa.Column("id", Id, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", Id, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clinic_id", Id, sa.ForeignKey("clinic.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("csrf_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint("kind IN ('session', 'api')", name="ck_auth_token_kind"),
    )
    op.create_index("ix_auth_token_user_id", "auth_token", ["user_id"])
    op.create_index("ix_auth_token_clinic_id", "auth_token", ["clinic_id"])


def downgrade() -> None:
    op.drop_index("ix_auth_token_clinic_id", table_name="auth_token")
    op.drop_index("ix_auth_token_user_id", table_name="auth_token")
    op.drop_table("auth_token")
