"""Sign-in and sign-out: a session cookie for browsers, a bearer token for programs, rate-limited."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request, Response

from palpa.store.auth_repo import TokenRepository
from palpa.store.models import User
from palpa.web.deps import CSRF_COOKIE, SESSION_COOKIE, Caller, Uow
from palpa.web.schemas import ErrorOut, SignedIn, SignIn
from palpa.web.security import SignInLimiter, new_token, token_hash, verify_password

SESSION_TTL = dt.timedelta(hours=12)
API_TTL = dt.timedelta(days=30)

router = APIRouter(prefix="/api", tags=["auth"])


def _is_tls(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _find_user(uow: Uow, body: SignIn) -> User | None:
    if body.clinic is not None and body.clinic_id is not None:
        raise HTTPException(422, "give the clinic by 'clinic' (its slug) or by 'clinic_id', not both")
    if body.clinic is not None:
        clinic = uow.clinics.by_slug(body.clinic.strip().lower())
        return uow.users.find_by_email(clinic.id, body.email) if clinic is not None else None
    if body.clinic_id is not None:
        return uow.users.find_by_email(body.clinic_id, body.email)
    users = uow.users.find_all_by_email(body.email)
    return users[0] if len(users) == 1 else None


@router.post("/sign-in", response_model=SignedIn,
             responses={400: {}, 401: {}, 422: {"model": ErrorOut}, 429: {}})
def sign_in(body: SignIn, request: Request, response: Response, uow: Uow) -> SignedIn:
    """Check the credentials; set the session cookie and return an API token and the CSRF token."""
    limiter: SignInLimiter = request.app.state.sign_in_limiter
    remote = request.client.host if request.client else "-"
    key = (remote, body.email.strip().lower())
    wait = limiter.retry_after(key)
    if wait:
        raise HTTPException(429, "too many failed sign-in attempts; try again later",
                            headers={"Retry-After": str(wait)})
    user = _find_user(uow, body)
    if not verify_password(user.password_hash if user else None, body.password) or user is None \
            or not user.active:
        limiter.fail(key)
        raise HTTPException(401, "wrong email, password or clinic")
    limiter.reset(key)
    session, api, csrf = new_token(), new_token(), new_token()
    tokens = TokenRepository(uow.session)
    tokens.issue(user, "session", token_hash(session), SESSION_TTL, csrf_hash=token_hash(csrf))
    tokens.issue(user, "api", token_hash(api), API_TTL)
    uow.audit.record("sign_in", "user", record_id=user.id, user_id=user.id, clinic_id=user.clinic_id,
                     remote_addr=remote)
    uow.commit()
    secure = _is_tls(request)
    age = int(SESSION_TTL.total_seconds())
    response.set_cookie(SESSION_COOKIE, session, max_age=age, httponly=True, samesite="lax", secure=secure,
                        path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False, samesite="lax", secure=secure,
                        path="/")
    clinic = uow.clinics.get(user.clinic_id)
    return SignedIn(user_id=user.id, clinic_id=user.clinic_id, clinic=clinic.slug if clinic else "",
                    email=user.email, role=user.role,
                    api_token=api, csrf_token=csrf)


@router.post("/sign-out", status_code=204, responses={401: {}, 403: {}})
def sign_out(who: Caller, response: Response, uow: Uow) -> Response:
    """Revoke the token used (session or API token) and clear the cookies."""
    TokenRepository(uow.session).revoke(who.token_id)
    uow.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me")
def me(who: Caller, uow: Uow) -> dict[str, object]:
    """The signed-in user."""
    user = uow.users.get(who.clinic_id, who.user_id)
    if user is None:
        raise HTTPException(401, "sign in required")
    return {"user_id": user.id, "clinic_id": user.clinic_id, "email": user.email, "role": user.role}
