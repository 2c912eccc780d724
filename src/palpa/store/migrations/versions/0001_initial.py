"""Initial schema: clinic, user, patient, episode, assessment, visit, measure result, audit event.

Revision ID: 0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _parent_fk(table: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([f"{table}_id", "clinic_id"], [f"{table}.id", f"{table}.clinic_id"],
                                   name=name, ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "clinic",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        _ts("created_at"),
    )
    op.create_table(
        "user_account",
        sa.Column("id", Id, primary_key=True),
        sa.Column("clinic_id", Id, sa.ForeignKey("clinic.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(500), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("clinic_id", "email", name="uq_user_clinic_email"),
        sa.CheckConstraint("role IN ('clinician', 'admin')", name="ck_user_role"),
    )
    op.create_index("ix_user_account_clinic_id", "user_account", ["clinic_id"])
    op.create_table(
        "patient",
        sa.Column("id", Id, primary_key=True),
        sa.Column("clinic_id", Id, sa.ForeignKey("clinic.id", ondelete="CASCADE"), nullable=False),
        sa.Column("external_ref", sa.String(100)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date()),
        sa.Column("sex", sa.String(20)),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("id", "clinic_id", name="uq_patient_id_clinic"),
    )
    op.create_index("ix_patient_clinic_name", "patient", ["clinic_id", "name"])
    op.create_table(
        "episode",
        sa.Column("id", Id, primary_key=True),
        sa.Column("clinic_id", Id, nullable=False),
        sa.Column("patient_id", Id, nullable=False),
        sa.Column("region", sa.String(50), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _parent_fk("patient", "fk_episode_patient"),
        sa.UniqueConstraint("id", "clinic_id", name="uq_episode_id_clinic"),
    )
    op.create_index("ix_episode_clinic_id", "episode", ["clinic_id"])
    op.create_index("ix_episode_patient_id", "episode", ["patient_id"])
    op.create_table(
        "assessment",
        sa.Column("id", Id, primary_key=True),
        sa.Column("clinic_id", Id, sa.ForeignKey("clinic.id", ondelete="CASCADE"), nullable=False),
        sa.Column("episode_id", Id),
        sa.Column("case", Json, nullable=False),
        sa.Column("assessment", Json, nullable=False),
        sa.Column("knowledge_version", sa.String(50), nullable=False),
        sa.Column("triage_level", sa.String(20)),
        _ts("created_at"),
        _parent_fk("episode", "fk_assessment_episode"),
    )
    op.create_index("ix_assessment_clinic_id", "assessment", ["clinic_id"])
    op.create_index("ix_assessment_episode_id", "assessment", ["episode_id"])
    op.create_table(
        "visit",
        sa.Column("id", Id, primary_key=True),
        sa.Column("clinic_id", Id, nullable=False),
        sa.Column("episode_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("updated_at"),
        _parent_fk("episode", "fk_visit_episode"),
        sa.UniqueConstraint("episode_id", "number", name="uq_visit_episode_number"),
    )
    op.create_index("ix_visit_clinic_id", "visit", ["clinic_id"])
    op.create_table(
        "measure_result",
        sa.Column("id", Id, primary_key=True),
        sa.Column("clinic_id", Id, nullable=False),
        sa.Column("episode_id", Id, nullable=False),
        sa.Column("visit_number", sa.Integer()),
        sa.Column("measure_id", sa.String(50), nullable=False),
        sa.Column("score", Json, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        _parent_fk("episode", "fk_measure_result_episode"),
    )
    op.create_index("ix_measure_result_clinic_id", "measure_result", ["clinic_id"])
    op.create_index("ix_measure_result_episode_id", "measure_result", ["episode_id"])
    op.create_table(
        "audit_event",
        sa.Column("id", Id, primary_key=True),
        _ts("at"),
        sa.Column("user_id", Id),
        sa.Column("clinic_id", Id),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("record_type", sa.String(50), nullable=False),
        sa.Column("record_id", sa.String(64)),
        sa.Column("remote_addr", sa.String(64)),
        sa.Column("detail", sa.Text()),
        sa.CheckConstraint("action IN ('read', 'create', 'update', 'delete', 'export', 'sign_in')",
                           name="ck_audit_event_action"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at", "id"])
    op.create_index("ix_audit_event_clinic_id", "audit_event", ["clinic_id"])
    _audit_append_only()


def _audit_append_only() -> None:
    """Make the database itself refuse UPDATE and DELETE of audit events."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION palpa_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$")
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION palpa_audit_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                       "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION palpa_audit_append_only()")
    for table in ("audit_event", "measure_result", "visit", "assessment", "episode", "patient",
                  "user_account", "clinic"):
        op.drop_table(table)
