"""A clinic never sees, changes or deletes another clinic's records: they are simply not found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import NotFoundError, UnitOfWork

Factory = sessionmaker[Session]


@pytest.fixture
def b_records(factory: Factory, clinics: tuple[int, int]) -> dict[str, int]:
    """Records of clinic B: a patient with an episode, a visit, a measure and an assessment."""
    _, b = clinics
    with UnitOfWork(factory) as uow:
        patient = uow.patients.add(b, "Bea Secret", dt.date(1970, 1, 1), "female")
        episode = uow.episodes.add(b, patient.id, "cervical", dt.date(2026, 2, 1))
        visit = uow.visits.add(b, episode.id, 1, dt.date(2026, 2, 1), {"note": "private"})
        measure = uow.measures.add(b, episode.id, "ndi", {"score": 20}, dt.date(2026, 2, 1))
        assessment = uow.assessments.save(b, {"knowledge_version": "1"}, case={}, episode_id=episode.id)
        uow.commit()
        return {"patient": patient.id, "episode": episode.id, "visit": visit.id, "measure": measure.id,
                "assessment": assessment.id}


def test_other_clinic_cannot_read(factory: Factory, clinics: tuple[int, int],
                                  b_records: dict[str, int]) -> None:
    a, b = clinics
    with UnitOfWork(factory) as uow:
        assert uow.patients.get(a, b_records["patient"]) is None
        assert uow.episodes.get(a, b_records["episode"]) is None
        assert uow.visits.get(a, b_records["visit"]) is None
        assert uow.measures.get(a, b_records["measure"]) is None
        assert uow.assessments.get(a, b_records["assessment"]) is None
        assert uow.patients.list(a).total == 0 and uow.patients.list(a, name="secret").items == []
        assert uow.episodes.list_for_patient(a, b_records["patient"]) == []
        assert uow.visits.list_for_episode(a, b_records["episode"]) == []
        assert uow.measures.list_for_episode(a, b_records["episode"]) == []
        assert uow.assessments.list_for_episode(a, b_records["episode"]) == []
        assert uow.patients.get(b, b_records["patient"]) is not None  # the owner still sees it


def test_other_clinic_cannot_write(factory: Factory, clinics: tuple[int, int],
                                   b_records: dict[str, int]) -> None:
    a, b = clinics
    attempts: list[Callable[[UnitOfWork], object]] = [
        lambda uow: uow.patients.update(a, b_records["patient"], 1, name="Hacked"),
        lambda uow: uow.episodes.update(a, b_records["episode"], 1, status="closed"),
        lambda uow: uow.visits.update(a, b_records["visit"], 1, data={}),
        lambda uow: uow.patients.delete(a, b_records["patient"]),
        lambda uow: uow.episodes.delete(a, b_records["episode"]),
        lambda uow: uow.visits.delete(a, b_records["visit"]),
        lambda uow: uow.measures.delete(a, b_records["measure"]),
        lambda uow: uow.episodes.add(a, b_records["patient"], "lumbar", dt.date(2026, 1, 1)),
        lambda uow: uow.visits.add(a, b_records["episode"], 2, dt.date(2026, 1, 1), {}),
        lambda uow: uow.measures.add(a, b_records["episode"], "odi", {}, dt.date(2026, 1, 1)),
        lambda uow: uow.assessments.save(a, {"knowledge_version": "1"}, case={},
                                         episode_id=b_records["episode"]),
    ]
    for attempt in attempts:
        with UnitOfWork(factory) as uow:
            with pytest.raises(NotFoundError):
                attempt(uow)
            uow.commit()
    with UnitOfWork(factory) as uow:
        patient = uow.patients.get(b, b_records["patient"])
        visit = uow.visits.get(b, b_records["visit"])
        assert patient is not None and (patient.name, patient.version) == ("Bea Secret", 1)
        assert visit is not None and visit.data == {"note": "private"} and visit.version == 1
        assert len(uow.measures.list_for_episode(b, b_records["episode"])) == 1
        assert len(uow.episodes.list_for_patient(b, b_records["patient"])) == 1


def test_database_refuses_child_in_other_clinic(factory: Factory, clinics: tuple[int, int],
                                                b_records: dict[str, int]) -> None:
    """Even bypassing the repositories, a row's clinic must equal its parent's (composite foreign keys)."""
    from sqlalchemy.exc import IntegrityError

    from palpa.store.models import Visit

    a, _ = clinics
    with factory() as session, pytest.raises(IntegrityError):
        session.add(Visit(clinic_id=a, episode_id=b_records["episode"], number=9, date=dt.date(2026, 1, 1),
                          data={}, version=1))
        session.flush()
