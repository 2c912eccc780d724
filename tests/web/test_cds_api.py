"""CDS Hooks endpoints over HTTP: discovery, service calls, 412, errors, CORS and feedback storage."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from palpa.store import UnitOfWork, upgrade
from palpa.store.cds_repo import CdsFeedbackRepository
from palpa.web import create_app
from palpa.web.cds import include_cds
from tests.interop.cds_support import (
    MANIPULATION,
    PATIENT_ID,
    complaint,
    finding,
    hook_request,
    order_context,
    patient,
    prefetch,
    searchset,
    service_request,
    spec_example,
)

EHR = "https://ehr.example.org"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('cds')) / 'palpa.db'}"
    upgrade(url)
    application = create_app(url)
    include_cds(application)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    app.state.cds_fhir_transport = None
    with TestClient(app) as c:
        yield c


def test_discovery(client: TestClient) -> None:
    r = client.get("/cds-services")
    assert r.status_code == 200
    assert {s["id"] for s in r.json()["services"]} == {"palpa-patient-view", "palpa-order-select",
                                                       "palpa-order-sign"}


def test_red_flag_patient_gets_a_critical_card(client: TestClient) -> None:
    body = hook_request("patient-view", {"patientId": PATIENT_ID}, prefetch(
        [complaint()], [finding("saddle_anesthesia"), finding("bladder_dysfunction_new")]))
    r = client.post("/cds-services/palpa-patient-view", json=body)
    assert r.status_code == 200
    assert [c["indicator"] for c in r.json()["cards"]] == ["critical", "critical"]


def test_manipulation_order_gets_override_reasons_and_a_suggestion(client: TestClient) -> None:
    body = hook_request("order-sign", order_context(service_request(MANIPULATION)),
                        prefetch([complaint()], [finding("osteoporosis")]))
    card = client.post("/cds-services/palpa-order-sign", json=body).json()["cards"][0]
    assert card["indicator"] == "critical" and card["overrideReasons"] and card["suggestions"]


def test_spec_request_without_our_prefetch_and_unreachable_server_is_412(app: FastAPI,
                                                                         client: TestClient) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    app.state.cds_fhir_transport = httpx.MockTransport(refuse)
    r = client.post("/cds-services/palpa-patient-view", json=spec_example("patient-view-request.json"))
    assert r.status_code == 412 and "patient" in r.json()["detail"]


def test_missing_prefetch_without_a_fhir_server_is_412(client: TestClient) -> None:
    body = hook_request("patient-view", {"patientId": PATIENT_ID}, {"patient": patient()})
    r = client.post("/cds-services/palpa-patient-view", json=body)
    assert r.status_code == 412
    assert "conditions" in r.json()["detail"] and "observations" in r.json()["detail"]


def test_missing_prefetch_is_fetched_from_the_fhir_server_with_the_token(app: FastAPI,
                                                                         client: TestClient) -> None:
    seen: list[tuple[str, str | None]] = []
    answers: dict[str, Any] = {
        "/fhir/Patient/1288992": patient(),
        "/fhir/Condition": searchset(complaint()),
        "/fhir/Observation": searchset(finding("saddle_anesthesia"), finding("bladder_dysfunction_new")),
        "/fhir/QuestionnaireResponse": searchset(),
    }

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization")))
        return httpx.Response(200, json=answers[request.url.path])

    app.state.cds_fhir_transport = httpx.MockTransport(serve)
    body = spec_example("patient-view-request.json")
    body["fhirServer"] = "https://ehr.example.org/fhir"
    r = client.post("/cds-services/palpa-patient-view", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["cards"][0]["indicator"] == "critical"
    assert ("https://ehr.example.org/fhir/Condition?patient=1288992",
            "Bearer some-opaque-fhir-access-token") in seen


def test_fhir_server_error_is_412(app: FastAPI, client: TestClient) -> None:
    app.state.cds_fhir_transport = httpx.MockTransport(lambda request: httpx.Response(401))
    body = spec_example("patient-view-request.json")
    assert client.post("/cds-services/palpa-patient-view", json=body).status_code == 412


def test_unexpected_context_is_an_empty_card_list(client: TestClient) -> None:
    for service, hook, context in (("palpa-patient-view", "patient-view", {"userId": "x"}),
                                   ("palpa-order-sign", "order-sign",
                                    {"patientId": PATIENT_ID, "draftOrders": 3}),
                                   ("palpa-order-select", "order-select",
                                    spec_example("order-select-context-r4.json")["context"])):
        r = client.post(f"/cds-services/{service}", json=hook_request(hook, context))
        assert r.status_code == 200 and r.json() == {"cards": []}


def test_errors_name_the_field_or_service(client: TestClient) -> None:
    r = client.post("/cds-services/palpa-patient-view", content=b"{nope")
    assert r.status_code == 400 and r.json()["field"] == "body"
    body = spec_example("patient-view-request.json")
    del body["hookInstance"]
    r = client.post("/cds-services/palpa-patient-view", json=body)
    assert r.status_code == 400 and r.json()["field"] == "hookInstance"
    r = client.post("/cds-services/no-such", json=spec_example("patient-view-request.json"))
    assert r.status_code == 404
    r = client.post("/cds-services/no-such/feedback", json=spec_example("feedback-accepted.json"))
    assert r.status_code == 404


def test_cors_preflight_from_an_ehr_origin_only_on_cds_paths(client: TestClient) -> None:
    headers = {"Origin": EHR, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type,authorization"}
    r = client.options("/cds-services/palpa-patient-view", headers=headers)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert client.get("/cds-services", headers={"Origin": EHR}).headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in client.get("/openapi.json", headers={"Origin": EHR}).headers


def test_cors_origins_are_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALPA_CDS_ORIGINS", f"{EHR}, https://other.example")
    url = f"sqlite:///{tmp_path / 'palpa.db'}"
    upgrade(url)
    application = create_app(url)
    include_cds(application)
    try:
        with TestClient(application) as c:
            ok = c.get("/cds-services", headers={"Origin": EHR})
            assert ok.headers["access-control-allow-origin"] == EHR
            assert "access-control-allow-origin" not in c.get(
                "/cds-services", headers={"Origin": "https://evil.example"}).headers
    finally:
        application.state.engine.dispose()


def test_feedback_is_stored_and_readable(app: FastAPI, client: TestClient) -> None:
    for name in ("feedback-accepted.json", "feedback-overridden.json", "feedback-override-reason.json"):
        r = client.post("/cds-services/palpa-order-sign/feedback", json=spec_example(name))
        assert r.status_code == 200 and r.json() == {"stored": 1}
    with UnitOfWork(app.state.session_factory) as uow:
        items = CdsFeedbackRepository(uow.session).for_service("palpa-order-sign")
        by_card = {i.card_uuid: i.as_dict()["feedback"] for i in items}
    for name in ("feedback-accepted.json", "feedback-overridden.json", "feedback-override-reason.json"):
        sent = spec_example(name)["feedback"][0]
        assert by_card[sent["card"]] == sent


@pytest.mark.parametrize(("change", "field"), [
    (lambda f: f.update(outcome="ignored"), "feedback[0].outcome"),
    (lambda f: f.pop("acceptedSuggestions"), "feedback[0].acceptedSuggestions"),
    (lambda f: f.update(outcomeTimestamp="yesterday"), "feedback[0].outcomeTimestamp"),
    (lambda f: f.pop("card"), "feedback[0].card"),
])
def test_bad_feedback_is_refused_naming_the_field(client: TestClient, change: Any, field: str) -> None:
    body = spec_example("feedback-accepted.json")
    change(body["feedback"][0])
    r = client.post("/cds-services/palpa-patient-view/feedback", json=body)
    assert r.status_code == 400 and r.json()["field"] == field
