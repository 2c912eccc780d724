"""Key pairs and signed CDS Client JWTs shaped like the specification's example, for the trust tests.

The example header, payload and JWK Set are those of CDS Hooks 2.0, Security and Safety > Trusting
CDS Clients > Example (cds-hooks.hl7.org/2.0; github.com/cds-hooks/docs docs/specification).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://fhir-ehr.example.com/"
JWKS_URL = "https://fhir-ehr.example.com/jwk_uri"
TENANT = "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"

SPEC_JWKS: dict[str, Any] = {"keys": [{
    "kty": "EC", "use": "sig", "crv": "P-384", "kid": "example-kid",
    "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
    "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
    "alg": "ES384"}]}
SPEC_AUD = "https://cds.example.org/cds-services/some-service"
SPEC_EXP, SPEC_IAT = 1422568860, 1311280970
SPEC_JTI = "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e"
SPEC_TOKEN = (
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9maGlyLWVoci5leGFtcGxl"
    "LmNvbS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY29tLyIsImF1ZCI6Imh0dHBzOi8vY2RzLmV4YW1w"
    "bGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJleHAiOjE0MjI1Njg4NjAsImlhdCI6MTMxMTI4MDk3MCwianRpIjoiZWUy"
    "MmIwMjEtZTFiNy00NjExLWJhNWItOGVlYzZhMzNhYzFlIiwidGVuYW50IjoiMmRkZDZjM2EtOGU5YS00NGM2LWEzMDUtNTIxMTFhZDMw"
    "MmEyIn0.d1WfLjGRKlcWB94l9do4cM8REXeYJLL6SGUBO8VHZhfM8mwKYP70EMxJ67War4TQblEpaQrp11wx5p7oPFm2ETYgCicS84vX"
    "WEIYTdjooZdooCSDf2L8-i4awdoUwiEb")


@dataclass(frozen=True)
class Signer:
    """One CDS Client key pair: signs tokens and publishes its public JWK."""

    alg: str
    kid: str
    private_key: Any

    @classmethod
    def generate(cls, alg: str, kid: str) -> Signer:
        if alg.startswith("ES"):
            curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}[alg]
            return cls(alg, kid, ec.generate_private_key(curve))
        return cls(alg, kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        jwk = (ECAlgorithm.to_jwk(public, as_dict=True) if self.alg.startswith("ES")
               else RSAAlgorithm.to_jwk(public, as_dict=True))
        assert isinstance(jwk, dict)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.alg}

    def token(self, audience: str | list[str], *, iss: str = ISSUER, now: float | None = None,
              lifetime: int = 300, jku: str | None = None, **claims: Any) -> str:
        """A JWT like the specification's example, issued now for `audience`; `claims` add or replace members
        (a value of None removes the member)."""
        issued = int(time.time() if now is None else now)
        payload: dict[str, Any] = {"iss": iss, "aud": audience, "exp": issued + lifetime, "iat": issued,
                                   "jti": str(uuid.uuid4()), "tenant": TENANT}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        headers: dict[str, Any] = {"kid": self.kid, "typ": "JWT"}
        if jku is not None:
            headers["jku"] = jku
        return jwt.encode(payload, self.private_key, algorithm=self.alg, headers=headers)


def jwk_set(*signers: Signer) -> dict[str, Any]:
    return {"keys": [s.public_jwk() for s in signers]}


def unsigned_token(aud: str, kid: str = "ec-1") -> str:
    """A token with alg `none` (an unsecured JWS), otherwise shaped like a valid one."""
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(payload, None, algorithm="none", headers={"kid": kid})


def hmac_token(aud: str, kid: str = "ec-1") -> str:
    """A token signed with the symmetric HS384 (which the specification forbids)."""
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(payload, "a shared secret that is long enough for HS384 keys!", algorithm="HS384",
                      headers={"kid": kid})
