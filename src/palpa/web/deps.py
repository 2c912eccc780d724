"""Request dependencies: a unit of work per request, the signed-in principal, CSRF and role checks, audit."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import UnitOfWork
from palpa.store.auth_repo import TokenRepository
from palpa.web.security import token_hash

SESSION_COOKIE = "palpa_session"
CSRF_COOKIE = "palpa_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Record ids are 64-bit (BIGINT; SQLite INTEGER): a larger number in a path is refused (422), never sent to
# the database driver (SQLite raises OverflowError on it).
MAX_RECORD_ID = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: user, clinic, role, the token used and how it came (cookie or bearer)."""

    user_id: int
    clinic_id: int
    role: str
    token_id: int
    via_cookie: bool
    remote_addr: str | None


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """A unit of work for this request (rolled back unless the endpoint commits)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with UnitOfWork(factory) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_uow)]


def _unauthorized(message: str = "sign in required") -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def get_principal(request: Request, uow: Uow) -> Principal:
    """The caller from a bearer token or the session cookie; 401 if none is valid, 403 on a bad CSRF token."""
    remote = request.client.host if request.client else None
    auth = request.headers.get("authorization", "")
    tokens = TokenRepository(uow.session)
    if auth:
        scheme, _, token = auth.partition(" ")
        found = tokens.active(token_hash(token.strip()), "api") if scheme.lower() == "bearer" else None
        if found is None:
            raise _unauthorized("invalid bearer token")
        row, user = found
        return Principal(user.id, user.clinic_id, user.role, row.id, False, remote)
    cookie = request.cookies.get(SESSION_COOKIE)
    found = tokens.active(token_hash(cookie), "session") if cookie else None
    if found is None:
        raise _unauthorized()
    row, user = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or row.csrf_hash is None or not hmac.compare_digest(token_hash(sent), row.csrf_hash):
            raise HTTPException(403, f"missing or invalid {CSRF_HEADER} header")
    return Principal(user.id, user.clinic_id, user.role, row.id, True, remote)


Caller = Annotated[Principal, Depends(get_principal)]


def require_admin(who: Caller) -> Principal:
    """The caller if an admin, else 403."""
    if who.role != "admin":
        raise HTTPException(403, "admins only")
    return who


Admin = Annotated[Principal, Depends(require_admin)]


def audit(uow: UnitOfWork, who: Principal, action: str, record_type: str,
          record_id: int | None = None, detail: str | None = None) -> None:
    """Append an audit event for the caller (never with patient data in `detail`)."""
    uow.audit.record(action, record_type, record_id=record_id, user_id=who.user_id,
                     clinic_id=who.clinic_id, remote_addr=who.remote_addr, detail=detail)


def commit_audited(uow: UnitOfWork, who: Principal, action: str, record_type: str,
                   record_id: int | None = None, *, detail: str | None = None,
                   response: Response | None = None, version: int | None = None,
                   location: str | None = None) -> None:
    """Audit the access, commit, and give the response the record's ETag (and Location if new)."""
    audit(uow, who, action, record_type, record_id, detail)
    uow.commit()
    if response is not None and version is not None:
        response.headers["ETag"] = etag(version)
    if response is not None and location is not None:
        response.headers["Location"] = location


def expected_version(request: Request, body_version: int | None) -> int:
    """The version being edited, from If-Match (an ETag) or the body's `version`; 428 if neither."""
    header = request.headers.get("if-match")
    if header:
        raw = header.strip().removeprefix("W/").strip('"')
        if not raw.isdigit() or int(raw) > 2**31 - 1:
            raise HTTPException(400, "If-Match must be the ETag of the record, e.g. \"3\"")
        return int(raw)
    if body_version is None:
        raise HTTPException(428, "give the version you edited: an If-Match header or a 'version' field")
    return body_version


def etag(version: int) -> str:
    """The ETag of a record at `version`."""
    return f'"{version}"'
