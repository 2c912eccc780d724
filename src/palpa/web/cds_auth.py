"""HTTP side of CDS Hooks client trust: settings from the environment, JWK Set fetching, the 401 answer.

`CdsAuthenticator.from_env()` reads PALPA_CDS_TRUSTED_ISSUERS (path of a JSON/YAML file of trusted
issuers, see palpa.interop.cds_trust) and PALPA_CDS_AUTH (`required` | `off`; default `required`
when issuers are configured, else `off`, logged once as a warning naming the setting); a bad file
raises TrustConfigError at start-up. `require_cds_client` is the route dependency: with auth off it
lets every call through; otherwise it answers 401 `{"detail": ...}` naming what failed (never the
token, which is never logged) unless the Bearer JWT verifies for the URL being called. That URL is
PALPA_CDS_PUBLIC_URL + path when set, else built from the request honouring X-Forwarded-Proto and
X-Forwarded-Host (set PALPA_CDS_PUBLIC_URL when the proxy does not overwrite those headers). JWK Sets
are fetched with httpx (PALPA_CDS_JWKS_TIMEOUT seconds, default 2; no redirects; at most
MAX_JWKS_BYTES) through `app.state.cds_jwks_transport` when a test sets it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jwt
import orjson
from fastapi import HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from palpa.interop import cds_trust
from palpa.interop.cds_trust import (
    AuthMode,
    IssuerTrust,
    JwksCache,
    ReplayCache,
    ReplayGuard,
    TrustError,
    VerifiedClient,
)
from palpa.store.cds_repo import UsedJtiRepository

log = logging.getLogger("palpa.cds.auth")
MAX_JWKS_BYTES = 256 * 1024
FEEDBACK_SUFFIX = "/feedback"
_warned_off = False


class DatabaseReplayCache:
    """Accepted (issuer, jti) pairs kept in the database until their tokens expire: one use across
    every worker process (the in-memory ReplayCache is per process)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def remember(self, issuer: str, jti: str, until: float, now: float) -> bool:
        """True and remembered when (issuer, jti) is new (or its earlier use has expired); False on replay."""
        key = hashlib.sha256(f"{issuer}\x1f{jti}".encode()).hexdigest()
        with self.session_factory() as session:
            fresh = UsedJtiRepository(session).claim(key, dt.datetime.fromtimestamp(until, dt.UTC),
                                                     dt.datetime.fromtimestamp(now, dt.UTC))
            session.commit()
        return fresh


class CdsAuthenticator:
    """Verifies CDS Clients' JWTs against the trusted issuers, with a JWK Set cache and a jti replay cache."""

    def __init__(self, issuers: Mapping[str, IssuerTrust], mode: AuthMode = "required", *,
                 public_url: str | None = None, fetch_timeout: float = 2.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.issuers = dict(issuers)
        self.mode = mode
        self.public_url = public_url.rstrip("/") if public_url else None
        self.fetch_timeout = fetch_timeout
        self.clock = clock
        self.jwks_cache = JwksCache()
        self.replay: ReplayGuard = ReplayCache()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CdsAuthenticator:
        """The authenticator the environment configures (TrustConfigError naming a bad setting)."""
        env = os.environ if env is None else env
        path = env.get("PALPA_CDS_TRUSTED_ISSUERS", "").strip()
        issuers = cds_trust.load_trusted_issuers(path) if path else {}
        mode = cds_trust.auth_mode(env.get("PALPA_CDS_AUTH"), bool(issuers))
        timeout = env.get("PALPA_CDS_JWKS_TIMEOUT", "2")
        try:
            fetch_timeout = float(timeout)
        except ValueError:
            raise cds_trust.TrustConfigError(f"PALPA_CDS_JWKS_TIMEOUT: must be a number of seconds, "
                                             f"got '{timeout}'") from None
        return cls(issuers, mode, public_url=env.get("PALPA_CDS_PUBLIC_URL") or None,
                   fetch_timeout=fetch_timeout)

    def warn_if_off(self) -> None:
        """Log once per process that CDS calls are not authenticated, naming the settings."""
        global _warned_off
        if self.mode == "off" and not _warned_off:
            _warned_off = True
            log.warning("CDS Hooks service calls are not authenticated (PALPA_CDS_AUTH=off): set "
                        "PALPA_CDS_TRUSTED_ISSUERS to a file of trusted EHR issuers to require signed JWTs")

    def audiences(self, request: Request) -> frozenset[str]:
        """The URLs a token's aud may name for this request: the endpoint called (for feedback, also its
        service's URL, as the specification leaves that choice to the client)."""
        path = request.url.path
        if self.public_url:
            base = self.public_url
        else:
            proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
            host = (request.headers.get("x-forwarded-host", "").split(",")[0].strip()
                    or request.headers.get("host") or request.url.netloc)
            base = f"{proto}://{host}"
        urls = {base + path}
        if path.endswith(FEEDBACK_SUFFIX):
            urls.add(base + path[: -len(FEEDBACK_SUFFIX)])
        return frozenset(urls)

    async def _fetch(self, request: Request, url: str) -> Mapping[str, Any]:
        transport: httpx.AsyncBaseTransport | None = getattr(request.app.state, "cds_jwks_transport", None)
        try:
            async with httpx.AsyncClient(timeout=self.fetch_timeout, transport=transport,
                                         follow_redirects=False) as client:
                r = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise TrustError(f"the JWK Set at {url} could not be fetched ({type(exc).__name__})") from None
        if r.status_code != 200:
            raise TrustError(f"the JWK Set at {url} could not be fetched (HTTP {r.status_code})")
        if len(r.content) > MAX_JWKS_BYTES:
            raise TrustError(f"the JWK Set at {url} is larger than {MAX_JWKS_BYTES} bytes")
        try:
            data = orjson.loads(r.content)
        except orjson.JSONDecodeError:
            raise TrustError(f"the JWK Set at {url} is not JSON") from None
        return cds_trust.check_fetched_jwks(data, url)

    async def _key(self, request: Request, header: cds_trust.TokenHeader, trust: IssuerTrust) -> jwt.PyJWK:
        url = cds_trust.jwks_source(header, trust)
        if url is None:
            assert trust.jwks is not None
            key = cds_trust.find_key(trust.jwks, header)
        else:
            now = self.clock()
            jwks = self.jwks_cache.get(url, now)
            key = cds_trust.find_key(jwks, header) if jwks is not None else None
            if key is None and (jwks is None or self.jwks_cache.may_refetch(url, now)):
                jwks = await self._fetch(request, url)
                self.jwks_cache.put(url, jwks, now)
                key = cds_trust.find_key(jwks, header)
        if key is None:
            raise TrustError(f"unknown kid '{cds_trust.shown(header.kid)}': no {header.alg} signing key "
                             f"with that id in the JWK Set of issuer '{trust.issuer}'")
        return key

    async def authenticate(self, request: Request) -> VerifiedClient:
        """The verified CDS Client of this request; TrustError naming what failed."""
        token = cds_trust.bearer_token(request.headers.get("authorization"))
        header, trust = cds_trust.read_header(token, self.issuers)
        key = await self._key(request, header, trust)
        return cds_trust.verify_token(token, header, trust, key, self.audiences(request), self.replay,
                                      self.clock())


def _refuse(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def require_cds_client(request: Request) -> VerifiedClient | None:
    """Route dependency: None when auth is off, the verified client when the JWT holds, else 401."""
    auth: CdsAuthenticator | None = getattr(request.app.state, "cds_auth", None)
    if auth is None or auth.mode == "off":
        return None
    try:
        client = await auth.authenticate(request)
    except TrustError as exc:
        log.info("CDS call refused on %s: %s", request.url.path, exc)
        raise _refuse(str(exc)) from None
    except Exception as exc:  # a JWT must never turn into a 500; the token itself is not logged
        log.error("CDS call refused on %s: unexpected %s while verifying the JWT", request.url.path,
                  type(exc).__name__)
        raise _refuse("the JWT could not be verified") from None
    request.state.cds_client = client
    return client
