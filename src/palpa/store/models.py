"""SQLAlchemy 2 models; every patient-data row carries clinic_id, kept equal to its parent's by FKs."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("clinician", "admin")
AUDIT_ACTIONS = ("read", "create", "update", "delete", "export", "sign_in")

JsonType = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware; naive input is rejected."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timestamps timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of all Palpa tables."""

    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonType}  # noqa: RUF012


class Clinic(Base):
    """A clinic: the unit of data isolation."""

    __tablename__ = "clinic"
    __table_args__ = (UniqueConstraint("slug", name="uq_clinic_slug"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who signs in; email is unique within a clinic."""

    __tablename__ = "user_account"
    __table_args__ = (
        UniqueConstraint("clinic_id", "email", name="uq_user_clinic_email"),
        CheckConstraint("role IN ('clinician', 'admin')", name="ck_user_role"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(20), default="clinician")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Patient(Base):
    """A patient of one clinic; `version` increases on every update (optimistic locking)."""

    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("id", "clinic_id", name="uq_patient_id_clinic"),
        Index("ix_patient_clinic_name", "clinic_id", "name"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Episode(Base):
    """An episode of care of a patient for one body region."""

    __tablename__ = "episode"
    __table_args__ = (
        ForeignKeyConstraint(["patient_id", "clinic_id"], ["patient.id", "patient.clinic_id"],
                             name="fk_episode_patient", ondelete="CASCADE"),
        UniqueConstraint("id", "clinic_id", name="uq_episode_id_clinic"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(Id, index=True)
    patient_id: Mapped[int] = mapped_column(Id, index=True)
    region: Mapped[str] = mapped_column(String(50))
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessment(Base):
    """A stored assessment: the case, the full assessment JSON and the knowledge-base version it used."""

    __tablename__ = "assessment"
    __table_args__ = (
        ForeignKeyConstraint(["episode_id", "clinic_id"], ["episode.id", "episode.clinic_id"],
                             name="fk_assessment_episode", ondelete="CASCADE"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(Id, index=True)
    case: Mapped[dict[str, Any]]
    assessment: Mapped[dict[str, Any]]
    knowledge_version: Mapped[str] = mapped_column(String(50))
    triage_level: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(Base):
    """A numbered visit of an episode; `version` increases on every update (optimistic locking)."""

    __tablename__ = "visit"
    __table_args__ = (
        ForeignKeyConstraint(["episode_id", "clinic_id"], ["episode.id", "episode.clinic_id"],
                             name="fk_visit_episode", ondelete="CASCADE"),
        UniqueConstraint("episode_id", "number", name="uq_visit_episode_number"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(Id, index=True)
    episode_id: Mapped[int] = mapped_column(Id)
    number: Mapped[int]
    date: Mapped[dt.date] = mapped_column(Date)
    data: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeasureResult(Base):
    """The score of one outcome measure taken at one visit of an episode."""

    __tablename__ = "measure_result"
    __table_args__ = (
        ForeignKeyConstraint(["episode_id", "clinic_id"], ["episode.id", "episode.clinic_id"],
                             name="fk_measure_result_episode", ondelete="CASCADE"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(Id, index=True)
    episode_id: Mapped[int] = mapped_column(Id, index=True)
    visit_number: Mapped[int | None]
    measure_id: Mapped[str] = mapped_column(String(50))
    score: Mapped[dict[str, Any]]
    date: Mapped[dt.date] = mapped_column(Date)


class AuditEvent(Base):
    """An append-only audit event: who did what to which record, when and from where."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("action IN ('read', 'create', 'update', 'delete', 'export', 'sign_in')",
                        name="ck_audit_event_action"),
        Index("ix_audit_event_at", "at", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Id)
    clinic_id: Mapped[int | None] = mapped_column(Id, index=True)
    action: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str | None] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)

    def as_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (one NDJSON line of an audit export)."""
        return {"id": self.id, "at": self.at.isoformat(), "user_id": self.user_id,
                "clinic_id": self.clinic_id, "action": self.action, "record_type": self.record_type,
                "record_id": self.record_id, "remote_addr": self.remote_addr, "detail": self.detail}


class SignInFailure(Base):
    """A failed sign-in attempt, keyed by a hash of (address, email); shared by every worker process."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_key_at", "key_hash", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class AuthToken(Base):
    """A sign-in credential: a browser session (with its CSRF token) or a bearer API token, hashed."""

    __tablename__ = "auth_token"
    __table_args__ = (CheckConstraint("kind IN ('session', 'api')", name="ck_auth_token_kind"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    csrf_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False, server_default=false())


class CdsFeedback(Base):
    """One CDS Hooks feedback item: what a clinician did with a card (accepted or overridden)."""

    __tablename__ = "cds_feedback"
    __table_args__ = (CheckConstraint("outcome IN ('accepted', 'overridden')",
                                      name="ck_cds_feedback_outcome"),
                      Index("ix_cds_feedback_service_received", "service_id", "received_at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(100))
    card_uuid: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    accepted_suggestions: Mapped[list[str] | None] = mapped_column(JsonType)
    override_reason: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    outcome_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        """The item in the shape of a CDS Hooks feedback entry, with its service and when it came."""
        out: dict[str, Any] = {"card": self.card_uuid, "outcome": self.outcome,
                               "outcomeTimestamp": self.outcome_at.isoformat().replace("+00:00", "Z")}
        if self.accepted_suggestions:
            out["acceptedSuggestions"] = [{"id": s} for s in self.accepted_suggestions]
        if self.override_reason:
            out["overrideReason"] = self.override_reason
        return {"id": self.id, "service_id": self.service_id, "received_at": self.received_at.isoformat(),
                "feedback": out}


class CdsUsedJti(Base):
    """A CDS Client JWT id (hash of issuer and jti) already accepted, kept until the token expires."""

    __tablename__ = "cds_used_jti"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
