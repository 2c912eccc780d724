"""GET /api/episodes/{id}/fhir: a stored episode as a validated R4 Bundle that imports back to its case."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fhir.resources.R4B.bundle import Bundle

from palpa.demo_data import PATIENTS
from palpa.interop.fhir_import import cases_from_bundle
from palpa.store import UnitOfWork
from tests.web.conftest import TestClient, World, add_demo_episode, bearer

CASE = PATIENTS[0]["case"]


@pytest.fixture(scope="module")
def episodes(app: FastAPI, world: World, tokens: dict[str, str]) -> dict[str, int]:
    """A full lumbar episode whose intake was assessed through the API, and one with no assessment."""
    with UnitOfWork(app.state.session_factory) as uow:
        patient = uow.patients.add(world.clinic_a, "Fhir Person", dt.date(1990, 5, 14), "female")
        episode_id = add_demo_episode(uow, world.clinic_a, patient.id)
        bare = uow.episodes.add(world.clinic_a, patient.id, "lumbar", dt.date(2025, 3, 3))
        uow.commit()
        ids = {"episode": episode_id, "bare": bare.id}
    with TestClient(app) as c:
        r = c.post("/api/assess", params={"episode_id": ids["episode"]}, json=CASE,
                   headers=bearer(tokens["clinician"]))
        assert r.status_code == 200, r.text
    return ids


def test_bundle_validates_and_imports_back(client: TestClient, tokens: dict[str, str],
                                           episodes: dict[str, int]) -> None:
    r = client.get(f"/api/episodes/{episodes['episode']}/fhir", headers=bearer(tokens["clinician"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    Bundle.model_validate(body)
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert kinds.count("Patient") == 1 and "CarePlan" in kinds and "Procedure" in kinds
    patient = next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["birthDate"] == "1990-05-14" and patient["gender"] == "female"
    [imported] = cases_from_bundle(body, as_of=dt.date(2025, 3, 3))
    assert imported.case is not None
    assert imported.case["region"] == "lumbar" and imported.case["sex"] == "female"
    assert set(CASE["findings"]) <= set(imported.case["findings"])


def test_episode_without_assessment_is_409(client: TestClient, tokens: dict[str, str],
                                           episodes: dict[str, int]) -> None:
    r = client.get(f"/api/episodes/{episodes['bare']}/fhir", headers=bearer(tokens["clinician"]))
    assert r.status_code == 409 and "POST /api/assess" in r.json()["detail"]


def test_other_clinic_and_anonymous(client: TestClient, tokens: dict[str, str],
                                   episodes: dict[str, int]) -> None:
    path = f"/api/episodes/{episodes['episode']}/fhir"
    assert client.get(path, headers=bearer(tokens["b"])).status_code == 404
    assert client.get(path).status_code == 401
