"""Unit of Work: one transaction exposing every repository; rolls back unless `commit()` was called."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from palpa.store.repositories import (
    AssessmentRepository,
    AuditRepository,
    ClinicRepository,
    EpisodeRepository,
    MeasureRepository,
    PatientRepository,
    UserRepository,
    VisitRepository,
)


class UnitOfWork:
    """`with UnitOfWork(factory) as uow: ...; uow.commit()` -- anything not committed is rolled back."""

    session: Session
    clinics: ClinicRepository
    users: UserRepository
    patients: PatientRepository
    episodes: EpisodeRepository
    assessments: AssessmentRepository
    visits: VisitRepository
    measures: MeasureRepository
    audit: AuditRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = session = self._session_factory()
        self.clinics, self.users = ClinicRepository(session), UserRepository(session)
        self.patients, self.episodes = PatientRepository(session), EpisodeRepository(session)
        self.assessments, self.visits = AssessmentRepository(session), VisitRepository(session)
        self.measures, self.audit = MeasureRepository(session), AuditRepository(session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Make everything done so far permanent."""
        self.session.commit()

    def rollback(self) -> None:
        """Discard everything not yet committed."""
        self.session.rollback()
