"""Clinic slug and contact details; sign-in failures kept in the database (shared by all workers).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _slug(name: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", name.lower())) or "clinic"


def upgrade() -> None:
    with op.batch_alter_table("clinic") as batch:
        batch.add_column(sa.Column("slug", sa.String(100), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(50), nullable=True))
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
        batch.add_column(sa.Column("address", sa.String(500), nullable=True))
    conn = op.get_bind()
    seen: set[str] = set()
    for clinic_id, name in conn.execute(sa.text("SELECT id, name FROM clinic ORDER BY id")).all():
        slug = _slug(name)
        if slug in seen:  # two clinics of the same name: the later one gets its id appended
            slug = f"{slug}-{clinic_id}"
        seen.add(slug)
        conn.execute(sa.text("UPDATE clinic SET slug = :slug WHERE id = :id"),
                     {"slug": slug, "id": clinic_id})
    with op.batch_alter_table("clinic") as batch:
        batch.alter_column("slug", existing_type=sa.String(100), nullable=False)
        batch.create_unique_constraint("uq_clinic_slug", ["slug"])
    op.create_table(
        "sign_in_failure",
        sa.Column("id", Id, primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failure_key_at", "sign_in_failure", ["key_hash", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failure_key_at", table_name="sign_in_failure")
    op.drop_table("sign_in_failure")
    with op.batch_alter_table("clinic") as batch:
        batch.drop_constraint("uq_clinic_slug", type_="unique")
        batch.drop_column("address")
        batch.drop_column("email")
        batch.drop_column("phone")
        batch.drop_column("slug")
