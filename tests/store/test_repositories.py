"""Create, read, update and delete through every repository."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import NotFoundError, UnitOfWork

Factory = sessionmaker[Session]
DOB = dt.date(1980, 5, 17)


def test_clinic_and_user(factory: Factory, clinics: tuple[int, int]) -> None:
    a, b = clinics
    with UnitOfWork(factory) as uow:
        assert uow.clinics.get(a) is not None and uow.clinics.get(a).name == "Clinic A"  # type: ignore[union-attr]
        user = uow.users.add(a, " Ann@Example.org ", "argon2-hash", role="admin")
        uow.users.add(b, "ann@example.org", "other-hash")  # the same email in another clinic is fine
        uow.commit()
    with UnitOfWork(factory) as uow:
        found = uow.users.find_by_email(a, "ANN@example.org")
        assert found is not None and found.id == user.id
        assert (found.role, found.active, found.password_hash) == ("admin", True, "argon2-hash")
        assert [u.clinic_id for u in uow.users.find_all_by_email("ann@example.org")] == [a, b]
        assert uow.users.find_by_email(a, "bob@example.org") is None
        assert not uow.users.set_active(a, user.id, False).active
        with pytest.raises(ValueError, match="role"):
            uow.users.add(a, "x@example.org", "h", role="root")


def test_user_email_unique_per_clinic(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    with UnitOfWork(factory) as uow:
        uow.users.add(a, "dup@example.org", "h")
        with pytest.raises(IntegrityError):
            uow.users.add(a, "dup@example.org", "h")


def test_patient_crud(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    with UnitOfWork(factory) as uow:
        patient = uow.patients.add(a, "Maria Lopez", DOB, "female", external_ref="MRN-1")
        uow.commit()
    assert patient.version == 1
    assert patient.created_at.tzinfo is not None and patient.created_at.utcoffset() == dt.timedelta(0)
    with UnitOfWork(factory) as uow:
        got = uow.patients.get(a, patient.id)
        assert got is not None
        assert (got.name, got.date_of_birth, got.sex) == ("Maria Lopez", DOB, "female")
        assert got.external_ref == "MRN-1"
        assert got.created_at.tzinfo is not None
        updated = uow.patients.update(a, patient.id, 1, name="Maria López", sex="female")
        assert (updated.name, updated.version) == ("Maria López", 2)
        with pytest.raises(ValueError, match="clinic_id"):
            uow.patients.update(a, patient.id, 2, clinic_id=99)
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.patients.get(a, patient.id).version == 2  # type: ignore[union-attr]
        uow.patients.delete(a, patient.id)
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.patients.get(a, patient.id) is None
        with pytest.raises(NotFoundError, match=f"patient {patient.id} not found"):
            uow.patients.delete(a, patient.id)


def _episode(factory: Factory, clinic: int) -> tuple[int, int]:
    with UnitOfWork(factory) as uow:
        patient = uow.patients.add(clinic, "Jon Doe", DOB, "male")
        episode = uow.episodes.add(clinic, patient.id, "lumbar", dt.date(2026, 1, 5))
        uow.commit()
        return patient.id, episode.id


def test_episode_crud(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    patient_id, episode_id = _episode(factory, a)
    with UnitOfWork(factory) as uow:
        episode = uow.episodes.get(a, episode_id)
        assert episode is not None
        assert (episode.region, episode.status, episode.version) == ("lumbar", "open", 1)
        uow.episodes.add(a, patient_id, "cervical", dt.date(2026, 3, 1))
        assert [e.region for e in uow.episodes.list_for_patient(a, patient_id)] == ["lumbar", "cervical"]
        assert uow.episodes.update(a, episode_id, 1, status="closed").status == "closed"
        with pytest.raises(NotFoundError):
            uow.episodes.add(a, 10**9, "lumbar", dt.date(2026, 1, 1))
        uow.commit()
    with UnitOfWork(factory) as uow:
        uow.episodes.delete(a, episode_id)
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.episodes.get(a, episode_id) is None
        assert len(uow.episodes.list_for_patient(a, patient_id)) == 1


def test_visits_and_measures(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    _, episode_id = _episode(factory, a)
    data: dict[str, Any] = {"subjective": "better", "pain": {"nrs": 4}, "techniques": ["PA L4 grade III"]}
    with UnitOfWork(factory) as uow:
        v1 = uow.visits.add(a, episode_id, 1, dt.date(2026, 1, 5), data)
        uow.visits.add(a, episode_id, 2, dt.date(2026, 1, 12), {})
        m = uow.measures.add(a, episode_id, "odi", {"score": 42, "band": "severe"}, dt.date(2026, 1, 5), 1)
        uow.measures.add(a, episode_id, "nprs", {"score": 6}, dt.date(2026, 1, 5), 1)
        uow.commit()
    with UnitOfWork(factory) as uow:
        got = uow.visits.get(a, v1.id)
        assert got is not None and got.data == data and got.version == 1
        assert [v.number for v in uow.visits.list_for_episode(a, episode_id)] == [1, 2]
        updated = uow.visits.update(a, v1.id, 1, data={**data, "pain": {"nrs": 3}})
        assert updated.version == 2 and updated.data["pain"] == {"nrs": 3}
        result = uow.measures.get(a, m.id)
        assert result is not None and result.visit_number == 1
        assert result.score == {"score": 42, "band": "severe"}
        assert [r.measure_id for r in uow.measures.list_for_episode(a, episode_id, "odi")] == ["odi"]
        assert len(uow.measures.list_for_episode(a, episode_id)) == 2
        uow.visits.delete(a, v1.id)
        uow.measures.delete(a, m.id)
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.visits.get(a, v1.id) is None and uow.measures.get(a, m.id) is None


def test_deleting_patient_cascades(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    patient_id, episode_id = _episode(factory, a)
    with UnitOfWork(factory) as uow:
        visit = uow.visits.add(a, episode_id, 1, dt.date(2026, 1, 5), {})
        uow.commit()
    with UnitOfWork(factory) as uow:
        uow.patients.delete(a, patient_id)
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.episodes.get(a, episode_id) is None and uow.visits.get(a, visit.id) is None


def test_assessments_keep_json_and_knowledge_version(factory: Factory, clinics: tuple[int, int],
                                                    run: Any) -> None:
    a, _ = clinics
    _, episode_id = _episode(factory, a)
    assessment = run(region="lumbar")
    case = {"id": "t", "age": 40, "sex": "female", "region": "lumbar", "duration_days": 30, "findings": []}
    with UnitOfWork(factory) as uow:
        stored = uow.assessments.save(a, assessment, case=case, episode_id=episode_id)
        loose = uow.assessments.save(a, {"triage": {"level": "green"}}, case=case, knowledge_version="kb-1")
        uow.commit()
    with UnitOfWork(factory) as uow:
        got = uow.assessments.get(a, stored.id)
        assert got is not None and got.assessment == assessment and got.case == case
        assert got.knowledge_version == assessment["knowledge_version"]
        assert got.triage_level == assessment["triage"]["level"]
        assert [x.id for x in uow.assessments.list_for_episode(a, episode_id)] == [stored.id]
        no_episode = uow.assessments.get(a, loose.id)
        assert no_episode is not None and no_episode.episode_id is None
        assert no_episode.knowledge_version == "kb-1"
        with pytest.raises(ValueError, match="knowledge_version"):
            uow.assessments.save(a, {}, case=case)
