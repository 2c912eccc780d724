"""Regressions found by schemathesis: ids over 64 bits are 422, a non-JSON body is a documented 400."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from palpa.web.deps import MAX_RECORD_ID
from tests.web.conftest import TestClient, World, bearer

CASE = Path(__file__).resolve().parents[1] / "cases" / "ankle_acute_sprain_high_irritability.json"
ID_PATHS = ["/api/patients/{id}", "/api/patients/{id}/episodes", "/api/episodes/{id}", "/api/visits/{id}",
            "/api/episodes/{id}/visits", "/api/episodes/{id}/measures", "/api/measures/{id}",
            "/api/assessments/{id}", "/api/episodes/{id}/report"]


@pytest.mark.parametrize("path", ID_PATHS)
def test_ids_beyond_64_bits_are_422_not_a_server_error(client: TestClient, tokens: dict[str, str],
                                                       path: str) -> None:
    h = bearer(tokens["clinician"])
    too_big = client.get(path.format(id=MAX_RECORD_ID + 1), headers=h)
    assert too_big.status_code == 422, too_big.text
    assert too_big.json()["detail"][0]["loc"][0] == "path"
    assert client.get(path.format(id=0), headers=h).status_code == 422
    assert client.get(path.format(id=MAX_RECORD_ID), headers=h).status_code == 404


def test_assess_episode_beyond_64_bits_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/api/assess", params={"episode_id": MAX_RECORD_ID + 1}, content=b"{}",
                    headers=bearer(tokens["clinician"]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "episode_id"]


@pytest.mark.parametrize(("method", "path"), [("post", "/api/patients"), ("patch", "/api/patients/{patient}"),
                                              ("post", "/api/episodes/{episode}/visits")])
def test_body_that_is_not_json_is_a_documented_400(app: FastAPI, client: TestClient, tokens: dict[str, str],
                                                   world: World, method: str, path: str) -> None:
    ids = world.ids["A"]
    r = client.request(method.upper(), path.format(**ids), content=b"\xff{not json",
                       headers={**bearer(tokens["clinician"]), "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    template = path.replace("{patient}", "{patient_id}").replace("{episode}", "{episode_id}")
    assert "400" in app.openapi()["paths"][template][method]["responses"]


def test_sign_in_422_with_a_message_matches_its_documented_schema(app: FastAPI, client: TestClient,
                                                                  world: World) -> None:
    r = client.post("/api/sign-in", json={"email": "clin@a.test", "password": "x", "clinic": "clinic-a",
                                          "clinic_id": world.clinic_a})
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)
    documented = app.openapi()["paths"]["/api/sign-in"]["post"]["responses"]["422"]
    assert documented["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    not_json = client.post("/api/sign-in", content=b"\xff", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400


def test_nul_character_is_422_naming_the_field(client: TestClient, tokens: dict[str, str],
                                               world: World) -> None:
    h = bearer(tokens["clinician"])
    r = client.post(f"/api/episodes/{world.ids['A']['episode']}/visits", headers=h,
                    json={"number": 77, "date": "2026-02-01", "data": {"notes": ["ok", "bad\u0000"]}})
    assert r.status_code == 422 and "data.notes[1]" in r.text
    assert client.post("/api/patients", json={"name": "a\u0000b"}, headers=h).status_code == 422
    assert client.get("/api/patients", params={"name": "a\u0000"}, headers=h).status_code == 422
    case = CASE.read_text().replace('"id": "', '"id": "\\u0000', 1)
    episode = {"episode_id": world.ids["A"]["episode"]}
    stored = client.post("/api/assess", params=episode, content=case, headers=h)
    assert stored.status_code == 422 and "case.id" in stored.text


def test_numbers_beyond_32_bits_are_422(client: TestClient, tokens: dict[str, str], world: World) -> None:
    h = bearer(tokens["clinician"])
    r = client.post(f"/api/episodes/{world.ids['A']['episode']}/visits", headers=h,
                    json={"number": 2**31, "date": "2026-02-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "number"]
    pid = world.ids["A"]["patient"]
    assert client.patch(f"/api/patients/{pid}", json={"version": 2**31}, headers=h).status_code == 422
    huge_etag = {**h, "If-Match": f'"{2**40}"'}
    assert client.patch(f"/api/patients/{pid}", json={}, headers=huge_etag).status_code == 400


def test_patient_page_offset_beyond_32_bits_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.get("/api/patients", params={"offset": 2**63}, headers=bearer(tokens["clinician"]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "offset"]


@pytest.mark.parametrize("value", [19800102, "19800102", "1980-1-2", "2 Jan 1980", True])
def test_a_date_is_only_an_iso_string(client: TestClient, tokens: dict[str, str], value: object) -> None:
    h = bearer(tokens["clinician"])
    r = client.post("/api/patients", json={"name": "Date Person", "date_of_birth": value}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "date_of_birth", r.text
    q = client.get("/api/patients", params={"born_from": str(value)}, headers=h)
    assert q.status_code == 422 and q.json()["detail"][0]["loc"][-1] == "born_from"
    ok = client.get("/api/patients", params={"born_from": "1980-01-02"}, headers=h)
    assert ok.status_code == 200
