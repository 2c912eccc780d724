"""CDS Hooks 2.0 "Trusting CDS Clients": trusted-issuer configuration and JWT verification, no HTTP.

Contract. A CDS Client (an EHR) sends `Authorization: Bearer <JWT>` signed with its private key:
header `alg` (ES384 or RS384 by default; ES256/RS256 only when the issuer's configuration lists
them; never `none` nor a symmetric HS* algorithm), `kid` (REQUIRED), optional `jku`; payload
`iss`, `aud`, `exp`, `iat`, `jti` (all REQUIRED), optional `sub` and `tenant`. `verify_token`
accepts the token only when `iss` is a configured issuer, the signature verifies against the key
named by `kid` in that issuer's JWK Set, `aud` (a string or an array) holds the URL of the endpoint
being called, `iat` is not in the future, `exp` has not passed, the lifetime `exp - iat` is at most
MAX_LIFETIME_SECONDS, and the `jti` was not seen before from that issuer (all with CLOCK_SKEW_SECONDS
tolerance). Anything else raises `TrustError` whose message names what failed; the message never
contains the token.

`jku` is honoured only when it is on the issuer's allow-list (its `jwks_url` or one of its
`jku_allowed`); otherwise the token is refused. The JWK Set is the inline `jwks` of the issuer or
the one fetched (by the caller: this module does no I/O) from `jwks_source(...)`; `JwksCache` keeps
fetched sets for JWKS_TTL_SECONDS and allows a refetch for an unknown `kid` at most every
MIN_REFETCH_SECONDS. A `ReplayGuard` remembers each accepted `jti` until its `exp` (+ skew):
`ReplayCache` in the memory of one process; the web app uses a database-backed one shared by every
worker (palpa.web.cds_auth.DatabaseReplayCache).

Configuration file (PALPA_CDS_TRUSTED_ISSUERS, JSON or YAML) maps issuer -> object with
`jwks_url` (https) and/or `jwks` (an inline JWK Set of public keys), optional `jku_allowed` (list of
https URLs), `algorithms` (subset of ALLOWED_ALGORITHMS) and `subjects` (allowed `sub` values).
`load_trusted_issuers` refuses a bad file with `TrustConfigError` naming the field.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

import jwt
import orjson
import yaml
from jwt.api_jws import PyJWS

ALLOWED_ALGORITHMS = frozenset({"ES384", "RS384", "ES256", "RS256"})
DEFAULT_ALGORITHMS = frozenset({"ES384", "RS384"})
KEY_TYPES = {"ES": "EC", "RS": "RSA"}
CLOCK_SKEW_SECONDS = 60
MAX_LIFETIME_SECONDS = 300
JWKS_TTL_SECONDS = 600.0
MIN_REFETCH_SECONDS = 10.0
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
SHOWN_CHARS = 120
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
AuthMode = Literal["required", "off"]


class TrustError(Exception):
    """A CDS Client's JWT was refused; the message says why (safe to return to the caller)."""


class TrustConfigError(ValueError):
    """The trusted-issuer configuration is unusable; the message names the setting or field."""


@dataclass(frozen=True, slots=True)
class IssuerTrust:
    """What Palpa trusts about one issuer: where its keys are and which algorithms it may use."""

    issuer: str
    jwks_url: str | None = None
    jwks: Mapping[str, Any] | None = None
    jku_allowed: frozenset[str] = frozenset()
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS
    subjects: frozenset[str] | None = None

    def allowed_jku(self) -> frozenset[str]:
        """Every `jku` this issuer may name: its jwks_url and its extra allow-list (normalised)."""
        urls = set(self.jku_allowed)
        if self.jwks_url:
            urls.add(self.jwks_url)
        return frozenset(normalize_url(u) for u in urls)


@dataclass(frozen=True, slots=True)
class TokenHeader:
    """The unverified parts of a token needed to find its key: alg, kid, jku and the claimed iss."""

    alg: str
    kid: str
    jku: str | None
    iss: str


@dataclass(frozen=True, slots=True)
class VerifiedClient:
    """The CDS Client a verified token speaks for."""

    issuer: str
    subject: str | None
    tenant: str | None
    jti: str
    expires_at: float


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A value from an untrusted token made safe to echo in a message: printable and at most `limit` chars."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[:limit] + "..."


def normalize_url(url: str) -> str:
    """`url` with scheme and host lower-cased, the default port dropped and no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or (scheme, port) in (("https", 443), ("http", 80)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def _check_key_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise TrustConfigError(f"{where}: must be a URL string")
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return value
    raise TrustConfigError(f"{where}: must be an https URL (http only for localhost), got '{value}'")


def _check_jwks(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list) or not value["keys"]:
        raise TrustConfigError(f"{where}: must be a JWK Set object with a non-empty 'keys' array")
    for i, key in enumerate(value["keys"]):
        if not isinstance(key, dict):
            raise TrustConfigError(f"{where}.keys[{i}]: must be an object")
        private = [m for m in PRIVATE_JWK_MEMBERS if m in key]
        if private:
            raise TrustConfigError(f"{where}.keys[{i}]: must be a public key (has private member "
                                   f"'{private[0]}')")
        if not isinstance(key.get("kid"), str) or not key["kid"]:
            raise TrustConfigError(f"{where}.keys[{i}].kid: is required")
        try:
            jwt.PyJWK(key)
        except jwt.PyJWTError as exc:
            raise TrustConfigError(f"{where}.keys[{i}]: not a usable public key ({exc})") from None
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TrustConfigError(f"{where}: must be a list of strings")
    return list(value)


def parse_trusted_issuers(data: Any, source: str = "trusted issuers") -> dict[str, IssuerTrust]:
    """Each issuer of a decoded configuration mapping checked and turned into an IssuerTrust."""
    if not isinstance(data, dict) or not data:
        raise TrustConfigError(f"{source}: must be a non-empty mapping of issuer -> settings")
    known = {"jwks_url", "jwks", "jku_allowed", "algorithms", "subjects"}
    out: dict[str, IssuerTrust] = {}
    for issuer, settings in data.items():
        where = f"{source}: '{issuer}'"
        if not isinstance(issuer, str) or not issuer:
            raise TrustConfigError(f"{source}: issuer names must be non-empty strings")
        if not isinstance(settings, dict):
            raise TrustConfigError(f"{where}: must be an object with jwks_url or jwks")
        unknown = sorted(set(settings) - known)
        if unknown:
            raise TrustConfigError(f"{where}.{unknown[0]}: unknown setting (expected one of {sorted(known)})")
        if "jwks_url" not in settings and "jwks" not in settings:
            raise TrustConfigError(f"{where}: needs jwks_url or jwks")
        jwks_url = (_check_key_url(settings["jwks_url"], f"{where}.jwks_url")
                    if "jwks_url" in settings else None)
        jwks = _check_jwks(settings["jwks"], f"{where}.jwks") if "jwks" in settings else None
        jku = frozenset(_check_key_url(u, f"{where}.jku_allowed")
                        for u in _str_list(settings.get("jku_allowed", []), f"{where}.jku_allowed"))
        algorithms = frozenset(_str_list(settings.get("algorithms", sorted(DEFAULT_ALGORITHMS)),
                                         f"{where}.algorithms"))
        if not algorithms or not algorithms <= ALLOWED_ALGORITHMS:
            raise TrustConfigError(f"{where}.algorithms: must be a non-empty subset of "
                                   f"{sorted(ALLOWED_ALGORITHMS)} (got {sorted(algorithms)})")
        subjects = (frozenset(_str_list(settings["subjects"], f"{where}.subjects"))
                    if "subjects" in settings else None)
        out[issuer] = IssuerTrust(issuer, jwks_url, jwks, jku, algorithms, subjects)
    return out


def load_trusted_issuers(path: str | Path) -> dict[str, IssuerTrust]:
    """The trusted issuers of a JSON or YAML file (TrustConfigError naming the file and field)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrustConfigError(f"PALPA_CDS_TRUSTED_ISSUERS: cannot read '{p}' ({exc.strerror})") from None
    try:
        data = orjson.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise TrustConfigError(f"PALPA_CDS_TRUSTED_ISSUERS: '{p}' is not valid JSON/YAML ({exc})") from None
    return parse_trusted_issuers(data, str(p))


def auth_mode(setting: str | None, issuers_configured: bool) -> AuthMode:
    """PALPA_CDS_AUTH: `required` or `off`; unset means required when trusted issuers are configured."""
    if setting is None or not setting.strip():
        return "required" if issuers_configured else "off"
    value = setting.strip().lower()
    if value not in ("required", "off"):
        raise TrustConfigError(f"PALPA_CDS_AUTH: must be 'required' or 'off', got '{setting}'")
    if value == "required" and not issuers_configured:
        raise TrustConfigError("PALPA_CDS_AUTH=required needs PALPA_CDS_TRUSTED_ISSUERS "
                               "(a file of trusted issuers)")
    return "required" if value == "required" else "off"


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` value (TrustError when absent or another scheme)."""
    if authorization is None or not authorization.strip():
        raise TrustError("missing Authorization header: a CDS Client must send 'Bearer <JWT>'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TrustError("Authorization header must use the Bearer scheme with a JWT")
    return token.strip()


def read_header(token: str, issuers: Mapping[str, IssuerTrust]) -> tuple[TokenHeader, IssuerTrust]:
    """The unverified header and claimed issuer, checked: allowed alg, a kid, a trusted iss."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise TrustError("malformed JWT: not three base64url JSON parts") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise TrustError(f"JWT alg '{shown(alg)}' is not accepted (only signed asymmetric algorithms: "
                         f"{', '.join(sorted(ALLOWED_ALGORITHMS))})")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TrustError("JWT header kid is required")
    jku = header.get("jku")
    if jku is not None and (not isinstance(jku, str) or not jku):
        raise TrustError("JWT header jku must be a URL string")
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise TrustError("JWT claim iss is required")
    trust = issuers.get(iss)
    if trust is None:
        raise TrustError(f"unknown issuer '{shown(iss)}': not a trusted CDS Client")
    if alg not in trust.algorithms:
        raise TrustError(f"JWT alg '{alg}' is not accepted for issuer '{iss}' "
                         f"(configured: {', '.join(sorted(trust.algorithms))})")
    return TokenHeader(alg, kid, jku, iss), trust


def jwks_source(header: TokenHeader, trust: IssuerTrust) -> str | None:
    """The JWK Set URL to use (None: the issuer's inline set); TrustError when jku is not allow-listed."""
    if header.jku is not None:
        if normalize_url(header.jku) not in trust.allowed_jku():
            raise TrustError(f"jku '{shown(header.jku)}' is not on the allow-list of issuer '{trust.issuer}'")
        if trust.jwks_url and normalize_url(header.jku) == normalize_url(trust.jwks_url):
            return trust.jwks_url
        return header.jku
    if trust.jwks is not None:
        return None
    return trust.jwks_url


def find_key(jwks: Mapping[str, Any], header: TokenHeader) -> jwt.PyJWK | None:
    """The signing key named by `kid` that fits the token's alg, from a JWK Set (None when absent)."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return None
    for key in keys:
        if not isinstance(key, dict) or key.get("kid") != header.kid:
            continue
        if key.get("use", "sig") != "sig" or key.get("kty") != KEY_TYPES[header.alg[:2]]:
            continue
        if key.get("alg", header.alg) != header.alg:
            continue
        try:
            return jwt.PyJWK(key, header.alg)
        except jwt.PyJWTError:
            continue
    return None


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TrustError(f"JWT claim {name} is required: a number of seconds since the epoch")
    return float(value)


def verify_token(token: str, header: TokenHeader, trust: IssuerTrust, key: jwt.PyJWK,
                 audiences: frozenset[str], replay: ReplayGuard, now: float) -> VerifiedClient:
    """The verified client of `token` (see the module contract); TrustError naming what failed."""
    try:
        payload = PyJWS().decode(token, key, algorithms=[header.alg])
    except jwt.InvalidSignatureError:
        raise TrustError("bad signature: the JWT was not signed by the key "
                         f"'{shown(header.kid)}' of issuer '{trust.issuer}'") from None
    except jwt.PyJWTError as exc:
        raise TrustError(f"JWT could not be verified ({type(exc).__name__})") from None
    try:
        claims = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise TrustError("malformed JWT: the payload is not JSON") from None
    if not isinstance(claims, dict) or claims.get("iss") != trust.issuer:
        raise TrustError("JWT claim iss does not match the verified issuer")
    exp, iat = _number(claims, "exp"), _number(claims, "iat")
    if exp <= now - CLOCK_SKEW_SECONDS:
        raise TrustError(f"expired: the JWT's exp is {int(now - exp)} s in the past")
    if iat > now + CLOCK_SKEW_SECONDS:
        raise TrustError("JWT iat is in the future")
    if exp - iat > MAX_LIFETIME_SECONDS:
        raise TrustError(f"JWT lifetime exp - iat is {int(exp - iat)} s; "
                         f"at most {MAX_LIFETIME_SECONDS} s allowed")
    aud = claims.get("aud")
    claimed = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else None
    if not claimed or not all(isinstance(a, str) for a in claimed):
        raise TrustError("JWT claim aud is required: the URL of the CDS Service endpoint being called")
    wanted = {normalize_url(a) for a in audiences}
    if not any(normalize_url(a) in wanted for a in claimed):
        raise TrustError(f"wrong aud: the JWT is for {shown(claimed)}, not {sorted(audiences)}")
    sub = claims.get("sub")
    if sub is not None and not isinstance(sub, str):
        raise TrustError("JWT claim sub must be a string")
    if trust.subjects is not None and sub not in trust.subjects:
        raise TrustError(f"JWT claim sub '{shown(sub)}' is not allowed for issuer '{trust.issuer}'")
    tenant = claims.get("tenant")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise TrustError("JWT claim jti is required: a nonce that identifies this token")
    if not replay.remember(trust.issuer, jti, exp + CLOCK_SKEW_SECONDS, now):
        raise TrustError("replayed jti: this JWT was already used")
    return VerifiedClient(trust.issuer, sub, tenant if isinstance(tenant, str) else None, jti, exp)


class ReplayGuard(Protocol):
    """Where accepted (issuer, jti) pairs are remembered until their tokens expire."""

    def remember(self, issuer: str, jti: str, until: float, now: float) -> bool:
        """True and remembered when (issuer, jti) is new (or its earlier use has expired); False on replay."""
        ...


@dataclass(slots=True)
class ReplayCache:
    """Every accepted (issuer, jti) until its expiry, in this process's memory."""

    _seen: dict[tuple[str, str], float] = field(default_factory=dict)
    _expiries: list[tuple[float, tuple[str, str]]] = field(default_factory=list)

    def remember(self, issuer: str, jti: str, until: float, now: float) -> bool:
        """True and remembered when (issuer, jti) is new (or its earlier use has expired); False on replay."""
        self._purge(now)
        key = (issuer, jti)
        if key in self._seen:
            return False
        self._seen[key] = until
        heapq.heappush(self._expiries, (until, key))
        return True

    def _purge(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            until, key = heapq.heappop(self._expiries)
            if self._seen.get(key) == until:
                del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(slots=True)
class JwksCache:
    """Fetched JWK Sets by URL with their fetch time: fresh for `ttl`, refetched for a new kid at most every
    `min_refetch` seconds."""

    ttl: float = JWKS_TTL_SECONDS
    min_refetch: float = MIN_REFETCH_SECONDS
    _sets: dict[str, tuple[float, Mapping[str, Any]]] = field(default_factory=dict)

    def get(self, url: str, now: float) -> Mapping[str, Any] | None:
        """The cached set of `url` while fresh, else None."""
        entry = self._sets.get(url)
        if entry is None or now - entry[0] >= self.ttl:
            return None
        return entry[1]

    def may_refetch(self, url: str, now: float) -> bool:
        """Whether a cached set may be fetched again now because a kid was not found in it."""
        entry = self._sets.get(url)
        return entry is None or now - entry[0] >= self.min_refetch

    def put(self, url: str, jwks: Mapping[str, Any], now: float) -> None:
        self._sets[url] = (now, jwks)


def check_fetched_jwks(data: Any, url: str) -> Mapping[str, Any]:
    """A fetched document accepted as a JWK Set (TrustError naming the URL otherwise)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise TrustError(f"the JWK Set at {url} is not a JSON object with a 'keys' array")
    return data
