"""Page fixtures: the app with its pages on a fresh migrated SQLite database, two clinics, clients."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its TestClient; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from palpa.store import UnitOfWork, upgrade
from palpa.web import create_app
from palpa.web.pages import include_pages
from palpa.web.security import hash_password

PASSWORD = "correct horse battery staple"
CLINICIAN, ADMIN, OTHER = "clin@a.test", "admin@a.test", "clin@b.test"


@dataclass(frozen=True)
class Seeded:
    """Ids of what the fixture stored: clinic A's and clinic B's patient and episode."""

    clinic_a: int
    clinic_b: int
    patient_a: int
    episode_a: int
    patient_b: int
    episode_b: int


@pytest.fixture(scope="session")
def pages_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('pages')) / 'palpa.db'}"
    upgrade(url)
    app = create_app(url)
    include_pages(app)
    yield app
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def seeded(pages_app: FastAPI) -> Seeded:
    with UnitOfWork(pages_app.state.session_factory) as uow:
        ids: list[int] = []
        for name, users in (("Page Clinic A", {CLINICIAN: "clinician", ADMIN: "admin"}),
                            ("Page Clinic B", {OTHER: "clinician"})):
            clinic = uow.clinics.add(name)
            for email, role in users.items():
                uow.users.add(clinic.id, email, hash_password(PASSWORD), role)
            patient = uow.patients.add(clinic.id, f"{name} Patient", dt.date(1980, 1, 2), "female")
            episode = uow.episodes.add(clinic.id, patient.id, "lumbar", dt.date(2025, 1, 6))
            ids += [clinic.id, patient.id, episode.id]
        uow.commit()
    return Seeded(ids[0], ids[3], ids[1], ids[2], ids[4], ids[5])


def sign_in(client: TestClient, email: str) -> TestClient:
    """Sign `client` in through the sign-in form (the session and CSRF cookies land in its jar)."""
    r = client.post("/sign-in", data={"email": email, "password": PASSWORD, "next": "/patients"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's session."""
    token = client.cookies.get("palpa_csrf")
    assert token
    return token


@pytest.fixture
def make_client(pages_app: FastAPI, seeded: Seeded) -> Iterator[Callable[[str | None], TestClient]]:
    """Clients signed in as the given email (None: not signed in); closed afterwards."""
    opened: list[TestClient] = []

    def make(email: str | None) -> TestClient:
        client = TestClient(pages_app)
        client.__enter__()
        opened.append(client)
        return sign_in(client, email) if email else client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def clinician(make_client: Callable[[str | None], TestClient]) -> TestClient:
    return make_client(CLINICIAN)
