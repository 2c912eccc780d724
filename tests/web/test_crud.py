"""CRUD of patients, episodes, visits and measures; versions, strict models, assess and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.conftest import TestClient, World, bearer

CASE = Path(__file__).resolve().parents[1] / "cases" / "ankle_acute_sprain_high_irritability.json"


@pytest.fixture
def h(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["clinician"])


def test_patient_crud_pagination_and_filters(client: TestClient, h: dict[str, str]) -> None:
    ids = []
    for i, dob in enumerate(["1990-05-01", "1991-05-01", "1992-05-01"]):
        r = client.post("/api/patients", json={"name": f"Zed Pager {i}", "date_of_birth": dob}, headers=h)
        assert r.status_code == 201 and r.headers["ETag"] == '"1"'
        ids.append(r.json()["id"])
    query = {"name": "zed pager", "limit": 2, "offset": 1}
    page = client.get("/api/patients", params=query, headers=h).json()
    assert page["total"] == 3 and [p["name"] for p in page["items"]] == ["Zed Pager 1", "Zed Pager 2"]
    born = client.get("/api/patients", params={"name": "Zed", "born_from": "1991-01-01",
                                               "born_to": "1991-12-31"}, headers=h).json()
    assert [p["id"] for p in born["items"]] == [ids[1]]
    r = client.patch(f"/api/patients/{ids[0]}", json={"sex": "female", "version": 1}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["ETag"] == '"2"'
    got = client.get(f"/api/patients/{ids[0]}", headers=h)
    assert got.json()["sex"] == "female" and got.headers["ETag"] == '"2"'
    assert client.delete(f"/api/patients/{ids[0]}", headers=h).status_code == 204
    assert client.get(f"/api/patients/{ids[0]}", headers=h).status_code == 404


def test_stale_version_is_409_with_clear_message(client: TestClient, h: dict[str, str]) -> None:
    pid = client.post("/api/patients", json={"name": "Stale"}, headers=h).json()["id"]
    assert client.patch(f"/api/patients/{pid}", json={"name": "Stale 2"},
                        headers={**h, "If-Match": '"1"'}).status_code == 200
    r = client.patch(f"/api/patients/{pid}", json={"name": "Stale 3"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 409
    assert "modified by someone else" in r.json()["detail"] and r.json()["stored_version"] == 2
    assert client.patch(f"/api/patients/{pid}", json={"name": "x"}, headers=h).status_code == 428


def test_strict_models_reject_strings_for_numbers(client: TestClient, h: dict[str, str],
                                                  world: World) -> None:
    eid = world.ids["A"]["episode"]
    r = client.post(f"/api/episodes/{eid}/visits", json={"number": "40", "date": "2026-02-01"}, headers=h)
    assert r.status_code == 422
    pid = world.ids["A"]["patient"]
    assert client.patch(f"/api/patients/{pid}", json={"version": "1"}, headers=h).status_code == 422
    assert client.post("/api/patients", json={"name": "X", "extra": 1}, headers=h).status_code == 422


def test_episode_visit_measure_crud(client: TestClient, h: dict[str, str]) -> None:
    pid = client.post("/api/patients", json={"name": "Episodic"}, headers=h).json()["id"]
    r = client.post(f"/api/patients/{pid}/episodes", json={"region": "lumbar", "start_date": "2026-03-01"},
                    headers=h)
    assert r.status_code == 201
    eid = r.json()["id"]
    assert [e["id"] for e in client.get(f"/api/patients/{pid}/episodes", headers=h).json()] == [eid]
    assert client.patch(f"/api/episodes/{eid}", json={"status": "closed", "version": 1},
                        headers=h).json()["status"] == "closed"
    assert client.get(f"/api/episodes/{eid}", headers=h).json()["version"] == 2
    v = client.post(f"/api/episodes/{eid}/visits", json={"number": 1, "date": "2026-03-01",
                                                         "data": {"nprs": 6}}, headers=h)
    assert v.status_code == 201
    vid = v.json()["id"]
    dup = client.post(f"/api/episodes/{eid}/visits", json={"number": 1, "date": "2026-03-02"}, headers=h)
    assert dup.status_code == 409
    assert client.patch(f"/api/visits/{vid}", json={"data": {"nprs": 4}, "version": 1},
                        headers=h).json()["data"] == {"nprs": 4}
    assert client.patch(f"/api/visits/{vid}", json={"data": {"nprs": 5}, "version": 1},
                        headers=h).status_code == 409
    assert [x["id"] for x in client.get(f"/api/episodes/{eid}/visits", headers=h).json()] == [vid]
    measure = {"measure_id": "odi", "score": {"total": 30}, "date": "2026-03-01", "visit_number": 1}
    m = client.post(f"/api/episodes/{eid}/measures", json=measure, headers=h)
    assert m.status_code == 201
    mid = m.json()["id"]
    assert client.get(f"/api/measures/{mid}", headers=h).json()["score"] == {"total": 30}
    assert len(client.get(f"/api/episodes/{eid}/measures", headers=h).json()) == 1
    assert client.delete(f"/api/measures/{mid}", headers=h).status_code == 204
    assert client.delete(f"/api/visits/{vid}", headers=h).status_code == 204
    assert client.delete(f"/api/episodes/{eid}", headers=h).status_code == 204
    assert client.get(f"/api/episodes/{eid}", headers=h).status_code == 404


def test_assess_returns_contract_and_stores_with_episode(client: TestClient, h: dict[str, str],
                                                         world: World) -> None:
    raw = CASE.read_bytes()
    r = client.post("/api/assess", content=raw, headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 200
    body = r.json()
    assert {"case_id", "knowledge_version", "triage", "plan", "disclaimer"} <= set(body)
    assert body["triage"]["level"] == "treat" and "X-Assessment-Id" not in r.headers
    eid = world.ids["A"]["episode"]
    stored = client.post("/api/assess", params={"episode_id": eid}, content=raw, headers=h)
    assert stored.status_code == 200
    aid = int(stored.headers["X-Assessment-Id"])
    got = client.get(f"/api/assessments/{aid}", headers=h).json()
    assert got["knowledge_version"] == body["knowledge_version"] and got["episode_id"] == eid
    assert got["assessment"] == stored.json() and got["case"] == json.loads(raw)
    other = world.ids["B"]["episode"]
    assert client.post("/api/assess", params={"episode_id": other}, content=raw, headers=h).status_code == 404


def test_assess_bad_case_is_422_with_case_error(client: TestClient, h: dict[str, str]) -> None:
    case = json.loads(CASE.read_text())
    case["age"] = "22"
    r = client.post("/api/assess", content=json.dumps(case), headers=h)
    assert r.status_code == 422 and "age" in r.json()["detail"]
    assert client.post("/api/assess", content=b"{not json", headers=h).status_code == 422


def test_reads_and_writes_are_audited(client: TestClient, tokens: dict[str, str], world: World) -> None:
    h = bearer(tokens["clinician"])
    pid = client.post("/api/patients", json={"name": "Audited Person"}, headers=h).json()["id"]
    client.get(f"/api/patients/{pid}", headers=h)
    client.patch(f"/api/patients/{pid}", json={"name": "Audited P", "version": 1}, headers=h)
    client.delete(f"/api/patients/{pid}", headers=h)
    events = client.get("/api/audit", params={"limit": 1000}, headers=bearer(tokens["admin"])).json()
    mine = [(e["action"], e["user_id"]) for e in events if e["record_type"] == "patient"
            and e["record_id"] == str(pid)]
    assert [a for a, _ in mine] == ["create", "read", "update", "delete"]
    assert all(e["remote_addr"] == "testclient" for e in events if e["record_id"] == str(pid))
    assert all(e["clinic_id"] == world.clinic_a for e in events)
    assert not any("Audited" in (e["detail"] or "") for e in events)
