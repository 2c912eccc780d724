"""Optimistic locking: two editors read version 1; the first save wins, the second gets a clear conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import ConflictError, UnitOfWork
from palpa.store.repositories import PatientRepository, VisitRepository

Factory = sessionmaker[Session]


def test_patient_conflict(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    with UnitOfWork(factory) as uow:
        pid = uow.patients.add(a, "Ana", dt.date(1990, 1, 1)).id
        uow.commit()
    with factory() as first, factory() as second:
        mine, theirs = PatientRepository(first), PatientRepository(second)
        seen_first, seen_second = mine.get(a, pid), theirs.get(a, pid)
        assert seen_first is not None and seen_second is not None
        assert seen_first.version == seen_second.version == 1
        mine.update(a, pid, seen_first.version, name="Ana Smith")
        first.commit()
        with pytest.raises(ConflictError) as caught:
            theirs.update(a, pid, seen_second.version, name="Ana Jones")
        second.rollback()
    err = caught.value
    assert (err.record, err.record_id, err.expected_version, err.stored_version) == ("patient", pid, 1, 2)
    assert f"patient {pid} was modified by someone else" in str(err)
    assert "version 1" in str(err) and "stored version is 2" in str(err)
    with UnitOfWork(factory) as uow:
        stored = uow.patients.get(a, pid)
        assert stored is not None and (stored.name, stored.version) == ("Ana Smith", 2)


def test_visit_conflict(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    with UnitOfWork(factory) as uow:
        patient = uow.patients.add(a, "Ben")
        episode = uow.episodes.add(a, patient.id, "shoulder", dt.date(2026, 1, 1))
        vid = uow.visits.add(a, episode.id, 1, dt.date(2026, 1, 1), {"plan": "a"}).id
        uow.commit()
    with factory() as first, factory() as second:
        mine, theirs = VisitRepository(first), VisitRepository(second)
        v1, v2 = mine.get(a, vid), theirs.get(a, vid)
        assert v1 is not None and v2 is not None and v1.version == v2.version == 1
        assert mine.update(a, vid, v1.version, data={"plan": "first"}).version == 2
        first.commit()
        with pytest.raises(ConflictError, match=rf"visit {vid} was modified by someone.*stored version is 2"):
            theirs.update(a, vid, v2.version, data={"plan": "second"})
        second.rollback()
    with UnitOfWork(factory) as uow:
        stored = uow.visits.get(a, vid)
        assert stored is not None and stored.data == {"plan": "first"} and stored.version == 2
        assert uow.visits.update(a, vid, 2, data={"plan": "third"}).version == 3
