"""Authorization matrix: role x endpoint x own/other clinic, with the exact status code."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import TestClient, World, bearer

VISIT = {"number": 90, "date": "2026-02-01"}
MEASURE = {"measure_id": "ndi", "score": {"total": 1}, "date": "2026-02-01"}
# (method, path, body, status for the own clinic); every one is 404 for the other clinic.
ENDPOINTS: list[tuple[str, str, Any, int]] = [
    ("GET", "/api/patients/{patient}", None, 200),
    ("PATCH", "/api/patients/{patient}", {"sex": "x", "version": 999}, 409),
    ("GET", "/api/patients/{patient}/episodes", None, 200),
    ("POST", "/api/patients/{patient}/episodes", {"region": "lumbar", "start_date": "2026-02-01"}, 201),
    ("GET", "/api/episodes/{episode}", None, 200),
    ("PATCH", "/api/episodes/{episode}", {"status": "open", "version": 999}, 409),
    ("GET", "/api/episodes/{episode}/visits", None, 200),
    ("POST", "/api/episodes/{episode}/visits", VISIT, 201),
    ("GET", "/api/visits/{visit}", None, 200),
    ("PATCH", "/api/visits/{visit}", {"data": {}, "version": 999}, 409),
    ("GET", "/api/episodes/{episode}/measures", None, 200),
    ("POST", "/api/episodes/{episode}/measures", MEASURE, 201),
    ("GET", "/api/measures/{measure}", None, 200),
    ("GET", "/api/assessments/{assessment}", None, 200),
    ("DELETE", "/api/measures/{measure}", None, 204),
    ("DELETE", "/api/visits/{visit}", None, 204),
    ("DELETE", "/api/episodes/{episode}", None, 204),
    ("DELETE", "/api/patients/{patient}", None, 204),
]


def _call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> int:
    return client.request(method, path, json=body, headers=headers).status_code


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_matrix(client: TestClient, world: World, tokens: dict[str, str], role: str) -> None:
    h = bearer(tokens[role])
    own = _fresh_records(client, h)
    other = world.ids["B"]
    got, want = [], []
    for method, template, body, status in ENDPOINTS:
        body = dict(body, number=VISIT["number"] + len(got)) if body is VISIT else body
        got.append((method, template, "other", _call(client, method, template.format(**other), body, h)))
        want.append((method, template, "other", 404))
        got.append((method, template, "own", _call(client, method, template.format(**own), body, h)))
        want.append((method, template, "own", status))
        got.append((method, template, "anon", _call(client, method, template.format(**own), body, {})))
        want.append((method, template, "anon", 401))
    assert got == want
    assert client.get("/api/audit", headers=h).status_code == (200 if role == "admin" else 403)
    assert client.get("/api/audit").status_code == 401
    assert client.get("/api/patients", headers=h).status_code == 200
    assert client.post("/api/patients", json={"name": "Matrix"}, headers=h).status_code == 201
    assert client.get("/api/patients").status_code == 401


def test_listing_never_shows_other_clinics(client: TestClient, world: World, tokens: dict[str, str]) -> None:
    names = [p["name"] for p in client.get("/api/patients", params={"limit": 500},
                                           headers=bearer(tokens["b"])).json()["items"]]
    assert "Clinic B Patient" in names and "Clinic A Patient" not in names


def _fresh_records(client: TestClient, h: dict[str, str]) -> dict[str, int]:
    pid = client.post("/api/patients", json={"name": "Matrix Own"}, headers=h).json()["id"]
    episode = {"region": "cervical", "start_date": "2026-01-01"}
    eid = client.post(f"/api/patients/{pid}/episodes", json=episode, headers=h).json()["id"]
    vid = client.post(f"/api/episodes/{eid}/visits", json={"number": 1, "date": "2026-01-01"},
                      headers=h).json()["id"]
    mid = client.post(f"/api/episodes/{eid}/measures", json=MEASURE, headers=h).json()["id"]
    case = (__import__("pathlib").Path(__file__).resolve().parents[1] / "cases"
            / "ankle_acute_sprain_high_irritability.json").read_bytes()
    aid = int(client.post("/api/assess", params={"episode_id": eid}, content=case,
                          headers=h).headers["X-Assessment-Id"])
    return {"patient": pid, "episode": eid, "visit": vid, "measure": mid, "assessment": aid}
