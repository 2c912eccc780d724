"""GET /api/episodes/{id}/report and its chart: built from stored visits and measures, clinic-scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI

from palpa.demo_data import LUMBAR_MEASURES, LUMBAR_VISITS
from palpa.store import UnitOfWork
from palpa.store.models import AuditEvent
from tests.web.conftest import TestClient, World, add_demo_episode, bearer


@pytest.fixture(scope="module")
def stored(app: FastAPI, world: World) -> dict[str, int]:
    """Clinic A's copy of the demo lumbar episode (visits, NPRS and ODI), and an episode with a bad visit."""
    with UnitOfWork(app.state.session_factory) as uow:
        patient = uow.patients.add(world.clinic_a, "Report Person", dt.date(1990, 1, 1))
        episode_id = add_demo_episode(uow, world.clinic_a, patient.id)
        uow.assessments.save(world.clinic_a, {"triage": {"level": "treat"}}, case={"note": "Intake note."},
                             episode_id=episode_id, knowledge_version="kb-test")
        bad = uow.episodes.add(world.clinic_a, patient.id, "lumbar", dt.date(2025, 3, 3))
        bad_visit = uow.visits.add(world.clinic_a, bad.id, 1, dt.date(2025, 3, 3),
                                   {"complaint": "no clinician"})
        uow.commit()
        return {"episode": episode_id, "bad": bad.id, "bad_visit": bad_visit.id}


def test_report_has_progress_triggers_units_and_soap(client: TestClient, tokens: dict[str, str],
                                                     stored: dict[str, int]) -> None:
    r = client.get(f"/api/episodes/{stored['episode']}/report", headers=bearer(tokens["clinician"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["visits"] == len(LUMBAR_VISITS) and body["region"] == "lumbar"
    assert body["intake"] == "Intake note."
    progress = {p["measure"]: p for p in body["progress"]}
    assert set(progress) == {"nprs", "odi"}
    first = {m["measure"]: m["score"] for m in LUMBAR_MEASURES if m["visit"] == 1}
    assert progress["odi"]["baseline"] == first["odi"]
    assert set(body["units"]) == {str(v["number"]) for v in LUMBAR_VISITS}
    assert all(sum(u.values()) >= 1 for u in body["units"].values())
    assert "SUBJECTIVE" in body["soap"]["1"] and "Total units billed" in body["soap"]["1"]
    assert body["chart"]["svg"].endswith("/report/chart.svg")
    ama = client.get(f"/api/episodes/{stored['episode']}/report", params={"rule": "ama"},
                     headers=bearer(tokens["clinician"]))
    assert ama.status_code == 200 and set(ama.json()["units"]) == set(body["units"])


def test_chart_svg_and_png(client: TestClient, tokens: dict[str, str], stored: dict[str, int]) -> None:
    h = bearer(tokens["clinician"])
    svg = client.get(f"/api/episodes/{stored['episode']}/report/chart.svg", headers=h)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content[:2000]
    png = client.get(f"/api/episodes/{stored['episode']}/report/chart.png", headers=h)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_other_clinic_and_anonymous(client: TestClient, tokens: dict[str, str],
                                   stored: dict[str, int]) -> None:
    other = bearer(tokens["b"])
    assert client.get(f"/api/episodes/{stored['episode']}/report", headers=other).status_code == 404
    assert client.get(f"/api/episodes/{stored['episode']}/report/chart.svg", headers=other).status_code == 404
    assert client.get(f"/api/episodes/{stored['episode']}/report").status_code == 401


def test_unusable_record_is_named_not_dropped(client: TestClient, tokens: dict[str, str],
                                              stored: dict[str, int]) -> None:
    r = client.get(f"/api/episodes/{stored['bad']}/report", headers=bearer(tokens["clinician"]))
    assert r.status_code == 422
    assert f"visit record {stored['bad_visit']}" in r.json()["detail"] and "clinician" in r.json()["detail"]


def test_report_read_is_audited(app: FastAPI, client: TestClient, tokens: dict[str, str],
                                stored: dict[str, int]) -> None:
    client.get(f"/api/episodes/{stored['episode']}/report", headers=bearer(tokens["admin"]))
    with UnitOfWork(app.state.session_factory) as uow:
        events = uow.session.query(AuditEvent).filter_by(record_type="episode",
                                                          record_id=str(stored["episode"])).all()
        assert any(e.action == "read" and e.detail == "report" for e in events)
