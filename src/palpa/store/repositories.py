"""Repositories, one per aggregate; every patient-data method takes the caller's clinic, never crossing it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from palpa.store._base import Page, Repository, delete_scoped, get_scoped, versioned_update
from palpa.store.audit import AuditRepository
from palpa.store.errors import NotFoundError
from palpa.store.models import ROLES, Clinic, Episode, Patient, User
from palpa.store.records import AssessmentRepository, MeasureRepository, VisitRepository

__all__ = [
    "AssessmentRepository",
    "AuditRepository",
    "ClinicRepository",
    "EpisodeRepository",
    "MeasureRepository",
    "Page",
    "PatientRepository",
    "UserRepository",
    "VisitRepository",
    "slugify",
]


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slugify(name: str) -> str:
    """Lower-case ASCII words of `name` joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))


class ClinicRepository(Repository):
    """Clinics (not clinic-scoped: administration only)."""

    def add(self, name: str, slug: str | None = None, *, phone: str | None = None,
            email: str | None = None, address: str | None = None) -> Clinic:
        """Create a clinic and return it with its id.

        The slug is unique: when not given it is the name slugified, with -2, -3... if already taken.
        """
        if slug is None:
            base = slugify(name) or "clinic"
            slug, n = base, 1
            while self.by_slug(slug) is not None:
                n += 1
                slug = f"{base}-{n}"
        if not SLUG.fullmatch(slug):
            raise ValueError(f"slug {slug!r} must be lower-case letters, digits and single hyphens")
        clinic = Clinic(name=name, slug=slug, phone=phone, email=email, address=address)
        self.session.add(clinic)
        self.session.flush()
        return clinic

    def by_slug(self, slug: str) -> Clinic | None:
        """The clinic with this slug, or None."""
        return self.session.scalars(select(Clinic).where(Clinic.slug == slug)).first()

    def get(self, clinic_id: int) -> Clinic | None:
        """The clinic, or None."""
        return self.session.get(Clinic, clinic_id)


class UserRepository(Repository):
    """Users; emails are compared lower-cased and are unique within a clinic."""

    def add(self, clinic_id: int, email: str, password_hash: str, role: str = "clinician") -> User:
        """Create an active user; `password_hash` must already be hashed."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        user = User(clinic_id=clinic_id, email=email.strip().lower(), password_hash=password_hash,
                    role=role, active=True)
        self.session.add(user)
        self.session.flush()
        return user

    def get(self, clinic_id: int, user_id: int) -> User | None:
        """The user of `clinic_id`, or None."""
        return get_scoped(self.session, User, clinic_id, user_id)

    def find_by_email(self, clinic_id: int, email: str) -> User | None:
        """The user of `clinic_id` with this email, or None."""
        return self.session.scalar(select(User).where(User.clinic_id == clinic_id,
                                                      User.email == email.strip().lower()))

    def find_all_by_email(self, email: str) -> list[User]:
        """Every user with this email in any clinic (for sign-in without a clinic), oldest first."""
        return list(self.session.scalars(select(User).where(User.email == email.strip().lower())
                                         .order_by(User.id)))

    def set_active(self, clinic_id: int, user_id: int, active: bool) -> User:
        """Activate or deactivate a user; NotFoundError if not in `clinic_id`."""
        user = self.get(clinic_id, user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        user.active = active
        self.session.flush()
        return user


class PatientRepository(Repository):
    """Patients of a clinic."""

    FIELDS = frozenset({"external_ref", "name", "date_of_birth", "sex"})

    def add(self, clinic_id: int, name: str, date_of_birth: dt.date | None = None, sex: str | None = None,
            external_ref: str | None = None) -> Patient:
        """Create a patient at version 1."""
        patient = Patient(clinic_id=clinic_id, name=name, date_of_birth=date_of_birth, sex=sex,
                          external_ref=external_ref, version=1)
        self.session.add(patient)
        self.session.flush()
        return patient

    def get(self, clinic_id: int, patient_id: int) -> Patient | None:
        """The patient of `clinic_id`, or None."""
        return get_scoped(self.session, Patient, clinic_id, patient_id)

    def list(self, clinic_id: int, *, name: str | None = None, born_from: dt.date | None = None,
             born_to: dt.date | None = None, limit: int = 50, offset: int = 0) -> Page[Patient]:
        """Patients by name, filtered by name substring (any case) and inclusive date-of-birth range."""
        stmt = select(Patient).where(Patient.clinic_id == clinic_id)
        if name:
            escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(func.lower(Patient.name).like(f"%{escaped}%", escape="\\"))
        if born_from is not None:
            stmt = stmt.where(Patient.date_of_birth >= born_from)
        if born_to is not None:
            stmt = stmt.where(Patient.date_of_birth <= born_to)
        return self._page(stmt.order_by(Patient.name, Patient.id), limit, offset)

    def update(self, clinic_id: int, patient_id: int, expected_version: int, /, **changes: Any) -> Patient:
        """Change fields iff the stored version is `expected_version`; else ConflictError or NotFoundError."""
        return versioned_update(self.session, Patient, "patient", clinic_id, patient_id, expected_version,
                                 changes, self.FIELDS)

    def delete(self, clinic_id: int, patient_id: int) -> None:
        """Delete the patient with all their episodes, visits, measures and assessments."""
        delete_scoped(self.session, Patient, "patient", clinic_id, patient_id)


class EpisodeRepository(Repository):
    """Episodes of care."""

    FIELDS = frozenset({"region", "start_date", "status"})

    def add(self, clinic_id: int, patient_id: int, region: str, start_date: dt.date,
            status: str = "open") -> Episode:
        """Open an episode for a patient of `clinic_id`; NotFoundError if the patient is not theirs."""
        if get_scoped(self.session, Patient, clinic_id, patient_id) is None:
            raise NotFoundError("patient", patient_id)
        episode = Episode(clinic_id=clinic_id, patient_id=patient_id, region=region,
                          start_date=start_date, status=status, version=1)
        self.session.add(episode)
        self.session.flush()
        return episode

    def get(self, clinic_id: int, episode_id: int) -> Episode | None:
        """The episode of `clinic_id`, or None."""
        return get_scoped(self.session, Episode, clinic_id, episode_id)

    def list_for_patient(self, clinic_id: int, patient_id: int) -> list[Episode]:
        """The patient's episodes, oldest first (empty if the patient is not of `clinic_id`)."""
        return list(self.session.scalars(
            select(Episode).where(Episode.clinic_id == clinic_id, Episode.patient_id == patient_id)
            .order_by(Episode.start_date, Episode.id)))

    def update(self, clinic_id: int, episode_id: int, expected_version: int, /, **changes: Any) -> Episode:
        """Change fields iff the stored version is `expected_version`; else ConflictError or NotFoundError."""
        return versioned_update(self.session, Episode, "episode", clinic_id, episode_id, expected_version,
                                 changes, self.FIELDS)

    def delete(self, clinic_id: int, episode_id: int) -> None:
        """Delete the episode with its visits, measures and assessments."""
        delete_scoped(self.session, Episode, "episode", clinic_id, episode_id)
