"""CDS Hooks client trust over HTTP: signed JWTs let EHRs in, everything else gets a 401 naming why."""

from __future__ import annotations

import json
import logging
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

from palpa.interop.cds_trust import TrustConfigError, parse_trusted_issuers
from palpa.store import upgrade
from palpa.web import cds_auth, create_app
from palpa.web.cds_auth import CdsAuthenticator
from tests.interop.cds_jwt_support import ISSUER, JWKS_URL, Signer, hmac_token, jwk_set, unsigned_token
from tests.interop.cds_support import PATIENT_ID, finding, hook_request, prefetch, spec_example
from tests.interop.cds_support import complaint as back_pain

BASE = "https://cds.example.org"
PATH = "/cds-services/palpa-patient-view"
SERVICE = BASE + PATH


@pytest.fixture(scope="module")
def es() -> Signer:
    return Signer.generate("ES384", "ec-1")


@pytest.fixture(scope="module")
def rs() -> Signer:
    return Signer.generate("RS384", "rsa-1")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('cds-auth')) / 'palpa.db'}"
    upgrade(url)
    application = create_app(url)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI, es: Signer, rs: Signer) -> Iterator[TestClient]:
    """A client at the spec's example host, with the EHR trusted through an inline JWK Set."""
    app.state.cds_auth = CdsAuthenticator(parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es, rs)}}))
    app.state.cds_jwks_transport = None
    with TestClient(app, base_url=BASE) as c:
        yield c


def red_flag_call() -> dict[str, Any]:
    return hook_request("patient-view", {"patientId": PATIENT_ID}, prefetch(
        [back_pain()], [finding("saddle_anesthesia"), finding("bladder_dysfunction_new")]))


def call(client: TestClient, token: str | None, url: str = SERVICE, body: Any = None,
         **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(url, json=red_flag_call() if body is None else body, headers=headers)


def refused(r: httpx.Response, reason: str) -> None:
    assert r.status_code == 401, r.text
    assert reason in r.json()["detail"]
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_signed_es384_and_rs384_calls_get_their_cards(client: TestClient, es: Signer, rs: Signer) -> None:
    for signer in (es, rs):
        r = call(client, signer.token(SERVICE))
        assert r.status_code == 200, r.text
        assert [c["indicator"] for c in r.json()["cards"]] == ["critical", "critical"]


def test_discovery_stays_open(client: TestClient) -> None:
    r = client.get("/cds-services")
    assert r.status_code == 200 and r.json()["services"]


def test_missing_or_non_bearer_authorization_is_401(client: TestClient) -> None:
    refused(call(client, None), "missing Authorization header")
    refused(client.post(SERVICE, json=red_flag_call(), headers={"Authorization": "Basic dXNlcjpwdw=="}),
            "Bearer scheme")


@pytest.mark.parametrize(("make", "reason"), [
    (lambda es: Signer.generate("ES384", "ec-1").token(SERVICE), "bad signature"),
    (lambda es: Signer.generate("ES384", "ec-9").token(SERVICE), "unknown kid 'ec-9'"),
    (lambda es: es.token(SERVICE, now=0), "expired"),
    (lambda es: es.token(f"{BASE}/cds-services/palpa-order-sign"), "wrong aud"),
    (lambda es: es.token(SERVICE, iss="https://evil.example/"), "unknown issuer 'https://evil.example/'"),
    (lambda es: unsigned_token(SERVICE), "alg 'none' is not accepted"),
    (lambda es: hmac_token(SERVICE), "alg 'HS384' is not accepted"),
    (lambda es: es.token(SERVICE, jku="https://evil.example/jwks"), "not on the allow-list"),
    (lambda es: "garbage", "malformed JWT"),
    (lambda es: es.token(SERVICE, jti=None), "jti is required"),
])
def test_untrusted_tokens_are_401_naming_what_failed(client: TestClient, es: Signer, make: Any,
                                                    reason: str, caplog: pytest.LogCaptureFixture) -> None:
    token = make(es)
    with caplog.at_level(logging.DEBUG):
        r = call(client, token)
    refused(r, reason)
    assert token not in caplog.text and token not in r.text


def test_a_replayed_token_is_401(client: TestClient, es: Signer) -> None:
    token = es.token(SERVICE)
    assert call(client, token).status_code == 200
    refused(call(client, token), "replayed jti")


def test_feedback_needs_a_token_for_its_own_or_its_service_url(client: TestClient, es: Signer) -> None:
    url = f"{BASE}/cds-services/palpa-order-sign/feedback"
    body = spec_example("feedback-accepted.json")
    refused(call(client, None, url, body), "missing Authorization header")
    refused(call(client, es.token(SERVICE), url, body), "wrong aud")
    for aud in (url, f"{BASE}/cds-services/palpa-order-sign"):
        r = call(client, es.token(aud), url, body)
        assert r.status_code == 200 and r.json() == {"stored": 1}


def test_aud_is_built_from_forwarded_proto_and_host(app: FastAPI, client: TestClient, es: Signer) -> None:
    with TestClient(app, base_url="http://palpa-internal:8000") as behind_proxy:
        refused(call(behind_proxy, es.token(SERVICE), PATH), "wrong aud")
        assert call(behind_proxy, es.token("http://palpa-internal:8000" + PATH), PATH).status_code == 200
        r = call(behind_proxy, es.token(SERVICE), PATH,
                 **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cds.example.org"})
        assert r.status_code == 200, r.text


def test_a_configured_public_url_overrides_forwarded_headers(app: FastAPI, es: Signer) -> None:
    app.state.cds_auth = CdsAuthenticator(parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}}),
                                          public_url=BASE + "/")
    with TestClient(app, base_url="http://palpa-internal:8000") as c:
        assert call(c, es.token(SERVICE), PATH).status_code == 200
        forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "other-service.example"}
        refused(call(c, es.token("https://other-service.example/cds-services/palpa-patient-view"),
                     PATH, **forged), "wrong aud")


def test_jwks_url_is_fetched_cached_and_refetched_for_a_new_kid(app: FastAPI, es: Signer) -> None:
    rotated = Signer.generate("ES384", "ec-2")
    published = {"keys": [es.public_jwk()]}
    fetches: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        fetches.append(str(request.url))
        return httpx.Response(200, json=published)

    now = [1_000.0]
    app.state.cds_auth = CdsAuthenticator(parse_trusted_issuers({ISSUER: {"jwks_url": JWKS_URL}}),
                                          clock=lambda: now[0])
    app.state.cds_jwks_transport = httpx.MockTransport(serve)

    def token(signer: Signer, **claims: Any) -> str:
        return signer.token(SERVICE, now=now[0], **claims)

    with TestClient(app, base_url=BASE) as c:
        assert call(c, token(es)).status_code == 200
        assert call(c, token(es, jku=JWKS_URL)).status_code == 200
        assert fetches == [JWKS_URL]  # the second call used the cached set
        published["keys"].append(rotated.public_jwk())  # the EHR rotates in a new key
        refused(call(c, token(rotated)), "unknown kid 'ec-2'")  # refetch not yet allowed
        now[0] += 11
        assert call(c, token(rotated)).status_code == 200
        assert fetches == [JWKS_URL, JWKS_URL]
        now[0] += 11
        refused(call(c, token(Signer.generate("ES384", "ec-3"))), "unknown kid 'ec-3'")
        assert len(fetches) == 3  # one refetch for an unknown kid, then the 401


def test_an_unreachable_or_broken_jwks_url_is_401_not_500(app: FastAPI, es: Signer) -> None:
    app.state.cds_auth = CdsAuthenticator(parse_trusted_issuers({ISSUER: {"jwks_url": JWKS_URL}}))
    answers: list[Any] = [httpx.ConnectError("down"), httpx.Response(500), httpx.Response(200, text="<html>"),
                          httpx.Response(200, json={"no": "keys"})]

    def serve(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    app.state.cds_jwks_transport = httpx.MockTransport(serve)
    with TestClient(app, base_url=BASE) as c:
        for reason in ("could not be fetched (ConnectError)", "could not be fetched (HTTP 500)",
                       "is not JSON", "'keys' array"):
            refused(call(c, es.token(SERVICE)), reason)


def test_auth_off_lets_unsigned_calls_through(app: FastAPI, es: Signer) -> None:
    app.state.cds_auth = CdsAuthenticator(parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}}), "off")
    with TestClient(app, base_url=BASE) as c:
        r = call(c, None)
        assert r.status_code == 200 and r.json()["cards"]


def test_settings_come_from_the_environment(tmp_path: Path, es: Signer,
                                            caplog: pytest.LogCaptureFixture) -> None:
    issuers = tmp_path / "issuers.yaml"
    key = es.public_jwk()
    issuers.write_text(f"'{ISSUER}':\n  jwks:\n    keys:\n      - " + "\n        ".join(
        f"{k}: '{v}'" for k, v in key.items()) + "\n", encoding="utf-8")
    required = CdsAuthenticator.from_env({"PALPA_CDS_TRUSTED_ISSUERS": str(issuers)})
    assert required.mode == "required" and set(required.issuers) == {ISSUER}
    assert CdsAuthenticator.from_env({"PALPA_CDS_TRUSTED_ISSUERS": str(issuers),
                                      "PALPA_CDS_AUTH": "off"}).mode == "off"
    with pytest.raises(TrustConfigError, match="PALPA_CDS_AUTH=required needs PALPA_CDS_TRUSTED_ISSUERS"):
        CdsAuthenticator.from_env({"PALPA_CDS_AUTH": "required"})
    off = CdsAuthenticator.from_env({})
    assert off.mode == "off"
    cds_auth._warned_off = False
    with caplog.at_level(logging.WARNING, logger="palpa.cds.auth"):
        off.warn_if_off()
        off.warn_if_off()
    assert [r.getMessage().count("PALPA_CDS_AUTH=off") for r in caplog.records] == [1]


def test_the_app_requires_tokens_when_the_environment_names_trusted_issuers(
        tmp_path: Path, es: Signer, monkeypatch: pytest.MonkeyPatch) -> None:
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({ISSUER: {"jwks": jwk_set(es)}}), encoding="utf-8")
    monkeypatch.setenv("PALPA_CDS_TRUSTED_ISSUERS", str(issuers))
    url = f"sqlite:///{tmp_path / 'palpa.db'}"
    upgrade(url)
    application = create_app(url)
    try:
        with TestClient(application, base_url=BASE) as c:
            refused(call(c, None), "missing Authorization header")
            assert call(c, es.token(SERVICE)).status_code == 200
    finally:
        application.state.engine.dispose()
    monkeypatch.setenv("PALPA_CDS_TRUSTED_ISSUERS", str(tmp_path / "absent.json"))
    with pytest.raises(TrustConfigError, match="cannot read"):
        create_app(url)


def test_a_token_is_accepted_once_across_workers_sharing_the_database(app: FastAPI, es: Signer,
                                                                      rs: Signer) -> None:
    """Two app instances on one database (two worker processes) share the used-jti store."""
    from palpa.web.cds_auth import DatabaseReplayCache

    other = create_app(str(app.state.engine.url))
    trusted = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es, rs)}})
    try:
        for application in (app, other):
            application.state.cds_auth = CdsAuthenticator(trusted)
            application.state.cds_auth.replay = DatabaseReplayCache(application.state.session_factory)
            application.state.cds_jwks_transport = None
        token = es.token(SERVICE)
        with TestClient(app, base_url=BASE) as first, TestClient(other, base_url=BASE) as second:
            assert call(first, token).status_code == 200
            refused(call(second, token), "replayed jti")
            refused(call(first, token), "replayed jti")
            assert call(second, es.token(SERVICE)).status_code == 200
    finally:
        other.state.engine.dispose()


def test_the_app_remembers_used_tokens_in_the_database(app: FastAPI) -> None:
    from palpa.web.cds_auth import DatabaseReplayCache

    fresh = create_app(str(app.state.engine.url))
    try:
        assert isinstance(fresh.state.cds_auth.replay, DatabaseReplayCache)
        guard = fresh.state.cds_auth.replay
        assert guard.remember("https://ehr.example", "jti-1", until=2000.0, now=1000.0)
        assert not guard.remember("https://ehr.example", "jti-1", until=2000.0, now=1500.0)
        assert guard.remember("https://other.example", "jti-1", until=2000.0, now=1500.0)
        assert guard.remember("https://ehr.example", "jti-1", until=4000.0, now=2001.0)  # expired: reusable
    finally:
        fresh.state.engine.dispose()
