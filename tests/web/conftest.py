"""Web API fixtures: one migrated database and app per backend (SQLite; PostgreSQL when
PALPA_TEST_POSTGRES_URL is set), two clinics with users, clients."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its TestClient; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from palpa.store import UnitOfWork, upgrade
from palpa.web import create_app
from palpa.web.security import hash_password
from tests.store.conftest import Backend, make_backend

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    """Seeded data: clinics A and B, their users, and a patient/episode/visit/measure in each clinic."""

    clinic_a: int
    clinic_b: int
    ids: dict[str, dict[str, int]]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def web_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """SQLite always; PostgreSQL when PALPA_TEST_POSTGRES_URL names a server (else skipped, saying why)."""
    return make_backend(request.param, tmp_path_factory, "web")


@pytest.fixture(scope="session")
def app(web_backend: Backend) -> Iterator[FastAPI]:
    """The app on a fresh migrated database of the backend (a PostgreSQL schema is dropped afterwards)."""
    with web_backend.fresh() as url:
        upgrade(url)
        application = create_app(url.render_as_string(hide_password=False))
        try:
            yield application
        finally:
            application.state.engine.dispose()


def _seed_clinic(uow: UnitOfWork, name: str, users: dict[str, str]) -> tuple[int, dict[str, int]]:
    import datetime as dt

    clinic = uow.clinics.add(name)
    for email, role in users.items():
        uow.users.add(clinic.id, email, hash_password(PASSWORD), role)
    patient = uow.patients.add(clinic.id, f"{name} Patient", dt.date(1980, 1, 2))
    episode = uow.episodes.add(clinic.id, patient.id, "cervical", dt.date(2026, 1, 5))
    visit = uow.visits.add(clinic.id, episode.id, 1, dt.date(2026, 1, 5), {"note": "x"})
    measure = uow.measures.add(clinic.id, episode.id, "ndi", {"total": 12}, dt.date(2026, 1, 5), 1)
    assessment = uow.assessments.save(clinic.id, {"knowledge_version": "kb-test"}, case={},
                                      episode_id=episode.id)
    return clinic.id, {"patient": patient.id, "episode": episode.id, "visit": visit.id,
                       "measure": measure.id, "assessment": assessment.id}


@pytest.fixture(scope="session")
def world(app: FastAPI) -> World:
    with UnitOfWork(app.state.session_factory) as uow:
        a, ids_a = _seed_clinic(uow, "Clinic A", {"clin@a.test": "clinician", "admin@a.test": "admin"})
        b, ids_b = _seed_clinic(uow, "Clinic B", {"clin@b.test": "clinician", "admin@b.test": "admin"})
        uow.commit()
    return World(a, b, {"A": ids_a, "B": ids_b})


@pytest.fixture
def client(app: FastAPI, world: World) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def tokens(app: FastAPI, world: World) -> dict[str, str]:
    """Bearer tokens by role of clinic A, plus B's clinician."""
    out = {}
    with TestClient(app) as c:
        for key, email in {"clinician": "clin@a.test", "admin": "admin@a.test", "b": "clin@b.test"}.items():
            r = c.post("/api/sign-in", json={"email": email, "password": PASSWORD})
            assert r.status_code == 200, r.text
            out[key] = r.json()["api_token"]
    return out


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def add_demo_episode(uow: UnitOfWork, clinic_id: int, patient_id: int) -> int:
    """The packaged demo lumbar episode's visits and measures stored as a new episode; its id."""
    import datetime as dt

    from palpa.demo_data import LUMBAR_MEASURES, LUMBAR_VISITS

    episode = uow.episodes.add(clinic_id, patient_id, "lumbar", dt.date(2025, 3, 3))
    for v in LUMBAR_VISITS:
        uow.visits.add(clinic_id, episode.id, v["number"], dt.date.fromisoformat(v["date"]), dict(v))
    for m in LUMBAR_MEASURES:
        uow.measures.add(clinic_id, episode.id, m["measure"], {"score": m["score"]},
                         dt.date.fromisoformat(m["date"]), m["visit"])
    return episode.id
