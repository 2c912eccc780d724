"""CDS Client trust without HTTP: issuer configuration, header checks, signature and claim checks, caches."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from palpa.interop import cds_trust
from palpa.interop.cds_trust import (
    IssuerTrust,
    JwksCache,
    ReplayCache,
    TrustConfigError,
    TrustError,
    auth_mode,
    bearer_token,
    find_key,
    jwks_source,
    load_trusted_issuers,
    normalize_url,
    parse_trusted_issuers,
    read_header,
    verify_token,
)
from tests.interop.cds_jwt_support import (
    ISSUER,
    JWKS_URL,
    SPEC_AUD,
    SPEC_EXP,
    SPEC_IAT,
    SPEC_JTI,
    SPEC_JWKS,
    SPEC_TOKEN,
    Signer,
    hmac_token,
    jwk_set,
    unsigned_token,
)

AUD = "https://cds.example.org/cds-services/palpa-patient-view"


@pytest.fixture(scope="module")
def es() -> Signer:
    return Signer.generate("ES384", "ec-1")


@pytest.fixture(scope="module")
def rs() -> Signer:
    return Signer.generate("RS384", "rsa-1")


def _check(token: str, issuers: dict[str, IssuerTrust], jwks: dict[str, Any] | None = None,
           aud: str = AUD, replay: ReplayCache | None = None,
           now: float | None = None) -> cds_trust.VerifiedClient:
    """The whole pure pipeline: header, key from the given (or inline) JWK Set, verification."""
    header, trust = read_header(token, issuers)
    source = jwks_source(header, trust)
    keys = trust.jwks if source is None else jwks
    assert keys is not None
    key = find_key(keys, header)
    if key is None:
        raise TrustError(f"unknown kid '{header.kid}'")
    replay = replay if replay is not None else ReplayCache()
    at = time.time() if now is None else now
    return verify_token(token, header, trust, key, frozenset({aud}), replay, at)


def test_the_specification_example_token_verifies_until_its_expiry() -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks_url": JWKS_URL}})
    header, trust = read_header(SPEC_TOKEN, issuers)
    assert (header.alg, header.kid, header.jku) == ("ES384", "example-kid", JWKS_URL)
    assert jwks_source(header, trust) == JWKS_URL
    key = find_key(SPEC_JWKS, header)
    assert key is not None
    # The published token's signature holds: only its (long past) expiry is refused.
    with pytest.raises(TrustError, match="expired"):
        verify_token(SPEC_TOKEN, header, trust, key, frozenset({SPEC_AUD}), ReplayCache(), time.time())
    # Its published lifetime (years) is far beyond the five minutes a CDS Client token may live.
    with pytest.raises(TrustError, match="lifetime"):
        verify_token(SPEC_TOKEN, header, trust, key, frozenset({SPEC_AUD}), ReplayCache(), SPEC_IAT + 10)
    # A replica of the token at another key is refused on its signature, before any claim is read.
    forged = SPEC_TOKEN[:-8] + ("AAAAAAAA" if not SPEC_TOKEN.endswith("AAAAAAAA") else "BBBBBBBB")
    with pytest.raises(TrustError, match="bad signature"):
        verify_token(forged, header, trust, key, frozenset({SPEC_AUD}), ReplayCache(), SPEC_IAT + 10)
    assert SPEC_EXP - SPEC_IAT > cds_trust.MAX_LIFETIME_SECONDS and SPEC_JTI


def test_es384_and_rs384_tokens_verify_with_an_inline_jwks(es: Signer, rs: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es, rs)}})
    for signer in (es, rs):
        client = _check(signer.token(AUD, sub="ehr-client"), issuers)
        assert client.issuer == ISSUER and client.subject == "ehr-client"
        assert client.tenant == "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"


def test_aud_may_be_an_array_and_urls_are_compared_normalised(es: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}})
    _check(es.token(["https://other.example/x", "HTTPS://CDS.example.org:443/cds-services/palpa-patient-view/"]),
           issuers)
    assert normalize_url("HTTPS://Host.Example:443/a/") == "https://host.example/a"
    assert normalize_url("http://host:8080/a") == "http://host:8080/a"


@pytest.mark.parametrize(("make", "reason"), [
    (lambda es, other: other.token(AUD), "bad signature"),
    (lambda es, other: es.token(AUD, now=time.time() - 600), "expired"),
    (lambda es, other: es.token(AUD, now=time.time() + 600), "iat is in the future"),
    (lambda es, other: es.token(AUD, lifetime=3600), "lifetime"),
    (lambda es, other: es.token("https://cds.example.org/cds-services/palpa-order-sign"), "wrong aud"),
    (lambda es, other: es.token(AUD, aud=None), "aud is required"),
    (lambda es, other: es.token(AUD, jti=None), "jti is required"),
    (lambda es, other: es.token(AUD, exp="soon"), "exp is required"),
    (lambda es, other: es.token(AUD, iss="https://evil.example/"), "unknown issuer"),
    (lambda es, other: es.token(AUD, iss=None), "iss is required"),
    (lambda es, other: es.token(AUD, jku="https://evil.example/jwks"), "not on the allow-list"),
    (lambda es, other: unsigned_token(AUD), "alg 'none' is not accepted"),
    (lambda es, other: hmac_token(AUD), "alg 'HS384' is not accepted"),
    (lambda es, other: Signer.generate("ES256", "ec-1").token(AUD), "not accepted for issuer"),
    (lambda es, other: "not.a.jwt", "malformed"),
])
def test_bad_tokens_are_refused_naming_what_failed(es: Signer, make: Any, reason: str) -> None:
    other = Signer.generate("ES384", "ec-1")  # same kid, different key: a forger's token
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}})
    token = make(es, other)
    with pytest.raises(TrustError, match=reason) as caught:
        _check(token, issuers)
    assert token not in str(caught.value)


def test_a_token_for_a_key_type_other_than_its_alg_finds_no_key(es: Signer, rs: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": {"keys": [{**rs.public_jwk(), "kid": "ec-1"}]}}})
    header, _ = read_header(es.token(AUD), issuers)
    assert find_key({"keys": [{**rs.public_jwk(), "kid": "ec-1"}]}, header) is None


def test_replayed_jti_is_refused_and_forgotten_after_expiry(es: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}})
    replay = ReplayCache()
    token = es.token(AUD)
    _check(token, issuers, replay=replay)
    with pytest.raises(TrustError, match="replayed jti"):
        _check(token, issuers, replay=replay)
    assert len(replay) == 1
    assert replay.remember(ISSUER, "x", until=100.0, now=50.0)
    assert not replay.remember(ISSUER, "x", until=100.0, now=99.0)
    assert replay.remember(ISSUER, "x", until=200.0, now=100.0)  # the earlier use has expired
    assert replay.remember("https://other-ehr.example/", "x", until=200.0, now=100.0)


def test_an_invalid_token_does_not_use_up_its_jti(es: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}})
    replay = ReplayCache()
    with pytest.raises(TrustError, match="wrong aud"):
        _check(es.token("https://elsewhere.example/cds-services/x", jti="n-1"), issuers, replay=replay)
    assert len(replay) == 0


def test_jku_is_honoured_only_from_the_allow_list(es: Signer) -> None:
    extra = "https://keys.fhir-ehr.example.com/jwks"
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es), "jwks_url": JWKS_URL,
                                              "jku_allowed": [extra]}})
    for jku, expected in ((None, None), (JWKS_URL, JWKS_URL), (JWKS_URL + "/", JWKS_URL), (extra, extra)):
        header, trust = read_header(es.token(AUD, jku=jku), issuers)
        assert jwks_source(header, trust) == expected
    lookalike = "https://fhir-ehr.example.com.evil.example/jwk_uri"
    header, trust = read_header(es.token(AUD, jku=lookalike), issuers)
    with pytest.raises(TrustError, match="allow-list"):
        jwks_source(header, trust)


def test_subjects_restrict_sub_when_configured(es: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es), "subjects": ["palpa-client"]}})
    _check(es.token(AUD, sub="palpa-client"), issuers)
    with pytest.raises(TrustError, match="sub 'intruder' is not allowed"):
        _check(es.token(AUD, sub="intruder"), issuers)


def test_bearer_token_needs_the_bearer_scheme() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer  abc") == "abc"
    for value, reason in ((None, "missing Authorization"), ("", "missing Authorization"),
                          ("Basic dXNlcg==", "Bearer scheme"), ("Bearer ", "Bearer scheme")):
        with pytest.raises(TrustError, match=reason):
            bearer_token(value)


def test_jwks_cache_expires_and_limits_refetches() -> None:
    cache = JwksCache(ttl=600, min_refetch=10)
    assert cache.get(JWKS_URL, 0) is None and cache.may_refetch(JWKS_URL, 0)
    cache.put(JWKS_URL, SPEC_JWKS, 100)
    assert cache.get(JWKS_URL, 650) == SPEC_JWKS
    assert cache.get(JWKS_URL, 700) is None
    assert not cache.may_refetch(JWKS_URL, 105) and cache.may_refetch(JWKS_URL, 110)


@pytest.mark.parametrize(("config", "field"), [
    ({}, "non-empty mapping"),
    ({ISSUER: {}}, "needs jwks_url or jwks"),
    ({ISSUER: {"jwks_url": "http://fhir-ehr.example.com/jwks"}}, "jwks_url: must be an https URL"),
    ({ISSUER: {"jwks_url": JWKS_URL, "algorithms": ["HS384"]}}, "algorithms: must be a non-empty subset"),
    ({ISSUER: {"jwks_url": JWKS_URL, "algorithms": ["none"]}}, "algorithms"),
    ({ISSUER: {"jwks_url": JWKS_URL, "jku_allowed": "https://x.example/j"}}, "jku_allowed: must be a list"),
    ({ISSUER: {"jwks": {"keys": []}}}, "jwks: must be a JWK Set"),
    ({ISSUER: {"jwks": {"keys": [{"kty": "EC", "crv": "P-384"}]}}}, r"keys\[0\].kid: is required"),
    ({ISSUER: {"jwks": {"keys": [{**SPEC_JWKS["keys"][0], "d": "secret"}]}}}, "private member 'd'"),
    ({ISSUER: {"jwks_url": JWKS_URL, "jwks_uri": JWKS_URL}}, "jwks_uri: unknown setting"),
])
def test_bad_configuration_is_refused_naming_the_field(config: Any, field: str) -> None:
    with pytest.raises(TrustConfigError, match=field):
        parse_trusted_issuers(config)


def test_configuration_files_in_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "issuers.yaml"
    yaml_file.write_text(f"'{ISSUER}':\n  jwks_url: {JWKS_URL}\n  algorithms: [ES384, ES256]\n"
                         "'http://localhost:9000/':\n  jwks_url: http://localhost:9000/jwks\n",
                         encoding="utf-8")
    issuers = load_trusted_issuers(yaml_file)
    assert issuers[ISSUER].algorithms == {"ES384", "ES256"} and issuers[ISSUER].jwks_url == JWKS_URL
    assert issuers["http://localhost:9000/"].algorithms == {"ES384", "RS384"}
    json_file = tmp_path / "issuers.json"
    json_file.write_text(json.dumps({ISSUER: {"jwks": SPEC_JWKS}}), encoding="utf-8")
    assert load_trusted_issuers(json_file)[ISSUER].jwks == SPEC_JWKS
    with pytest.raises(TrustConfigError, match="cannot read"):
        load_trusted_issuers(tmp_path / "missing.yaml")
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(TrustConfigError, match="not valid JSON/YAML"):
        load_trusted_issuers(tmp_path / "bad.json")


def test_auth_mode_defaults_to_required_only_with_issuers() -> None:
    assert auth_mode(None, issuers_configured=True) == "required"
    assert auth_mode(None, issuers_configured=False) == "off"
    assert auth_mode("off", issuers_configured=True) == "off"
    assert auth_mode(" Required ", issuers_configured=True) == "required"
    with pytest.raises(TrustConfigError, match="needs PALPA_CDS_TRUSTED_ISSUERS"):
        auth_mode("required", issuers_configured=False)
    with pytest.raises(TrustConfigError, match="PALPA_CDS_AUTH"):
        auth_mode("maybe", issuers_configured=True)


def test_untrusted_values_are_echoed_printable_and_short(es: Signer) -> None:
    issuers = parse_trusted_issuers({ISSUER: {"jwks": jwk_set(es)}})
    with pytest.raises(TrustError) as caught:
        _check(es.token(AUD, iss="https://evil.example/\n" + "x" * 5000), issuers)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300 and message.startswith("unknown issuer")
