"""Clinical record repositories: assessments, visits and measure results, all scoped by clinic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from palpa.store._base import Repository, delete_scoped, get_scoped, versioned_update
from palpa.store.errors import NotFoundError
from palpa.store.models import Assessment, Episode, MeasureResult, Visit


class _EpisodeChild(Repository):
    def _require_episode(self, clinic_id: int, episode_id: int) -> None:
        if get_scoped(self.session, Episode, clinic_id, episode_id) is None:
            raise NotFoundError("episode", episode_id)


class AssessmentRepository(_EpisodeChild):
    """Stored assessments with the knowledge-base version each was made with."""

    def save(self, clinic_id: int, assessment: dict[str, Any], *, case: dict[str, Any],
             episode_id: int | None = None, knowledge_version: str | None = None) -> Assessment:
        """Store an assessment dict; knowledge version and triage level default to the dict's own."""
        if episode_id is not None:
            self._require_episode(clinic_id, episode_id)
        version = knowledge_version or assessment.get("knowledge_version")
        if not version:
            raise ValueError("an assessment must be stored with its knowledge_version")
        triage = assessment.get("triage")
        level = triage.get("level") if isinstance(triage, dict) else None
        row = Assessment(clinic_id=clinic_id, episode_id=episode_id, case=case, assessment=assessment,
                         knowledge_version=str(version), triage_level=None if level is None else str(level))
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, clinic_id: int, assessment_id: int) -> Assessment | None:
        """The assessment of `clinic_id`, or None."""
        return get_scoped(self.session, Assessment, clinic_id, assessment_id)

    def list_for_episode(self, clinic_id: int, episode_id: int) -> list[Assessment]:
        """The episode's assessments, oldest first (empty if the episode is not of `clinic_id`)."""
        return list(self.session.scalars(
            select(Assessment).where(Assessment.clinic_id == clinic_id, Assessment.episode_id == episode_id)
            .order_by(Assessment.created_at, Assessment.id)))


class VisitRepository(_EpisodeChild):
    """Visits of an episode, numbered 1, 2, ... and versioned for optimistic locking."""

    FIELDS = frozenset({"number", "date", "data"})

    def add(self, clinic_id: int, episode_id: int, number: int, date: dt.date,
            data: dict[str, Any]) -> Visit:
        """Record a visit at version 1; NotFoundError if the episode is not of `clinic_id`."""
        self._require_episode(clinic_id, episode_id)
        visit = Visit(clinic_id=clinic_id, episode_id=episode_id, number=number, date=date, data=data,
                      version=1)
        self.session.add(visit)
        self.session.flush()
        return visit

    def get(self, clinic_id: int, visit_id: int) -> Visit | None:
        """The visit of `clinic_id`, or None."""
        return get_scoped(self.session, Visit, clinic_id, visit_id)

    def list_for_episode(self, clinic_id: int, episode_id: int) -> list[Visit]:
        """The episode's visits by number (empty if the episode is not of `clinic_id`)."""
        return list(self.session.scalars(
            select(Visit).where(Visit.clinic_id == clinic_id, Visit.episode_id == episode_id)
            .order_by(Visit.number)))

    def update(self, clinic_id: int, visit_id: int, expected_version: int, /, **changes: Any) -> Visit:
        """Change fields iff the stored version is `expected_version`; else ConflictError or NotFoundError."""
        return versioned_update(self.session, Visit, "visit", clinic_id, visit_id, expected_version,
                                changes, self.FIELDS)

    def delete(self, clinic_id: int, visit_id: int) -> None:
        """Delete the visit; NotFoundError if not of `clinic_id`."""
        delete_scoped(self.session, Visit, "visit", clinic_id, visit_id)


class MeasureRepository(_EpisodeChild):
    """Outcome-measure results of an episode."""

    def add(self, clinic_id: int, episode_id: int, measure_id: str, score: dict[str, Any], date: dt.date,
            visit_number: int | None = None) -> MeasureResult:
        """Record a measure result; NotFoundError if the episode is not of `clinic_id`."""
        self._require_episode(clinic_id, episode_id)
        result = MeasureResult(clinic_id=clinic_id, episode_id=episode_id, measure_id=measure_id,
                               score=score, date=date, visit_number=visit_number)
        self.session.add(result)
        self.session.flush()
        return result

    def get(self, clinic_id: int, result_id: int) -> MeasureResult | None:
        """The measure result of `clinic_id`, or None."""
        return get_scoped(self.session, MeasureResult, clinic_id, result_id)

    def list_for_episode(self, clinic_id: int, episode_id: int,
                         measure_id: str | None = None) -> list[MeasureResult]:
        """The episode's results by date (optionally of one measure); empty if not of `clinic_id`."""
        stmt = select(MeasureResult).where(MeasureResult.clinic_id == clinic_id,
                                           MeasureResult.episode_id == episode_id)
        if measure_id is not None:
            stmt = stmt.where(MeasureResult.measure_id == measure_id)
        return list(self.session.scalars(stmt.order_by(MeasureResult.date, MeasureResult.id)))

    def delete(self, clinic_id: int, result_id: int) -> None:
        """Delete the result; NotFoundError if not of `clinic_id`."""
        delete_scoped(self.session, MeasureResult, "measure result", clinic_id, result_id)
