"""Sign-in and sign-out pages: the existing sign-in use case behind an HTML form."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from palpa.store.auth_repo import TokenRepository
from palpa.web.auth import sign_in
from palpa.web.deps import CSRF_COOKIE, SESSION_COOKIE, Uow
from palpa.web.pages.common import Form, Page, render, safe_next
from palpa.web.pages.forms import FormReader
from palpa.web.schemas import SignIn

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    """The start page is the patient list (which asks to sign in first)."""
    return RedirectResponse("/patients", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "pages/sign_in.html", {"values": {"next": safe_next(next)}, "errors": {}})


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in_submit(request: Request, form: Form, uow: Uow) -> Response:
    """Check the credentials; on success set the session cookies and go to `next`."""
    reader = FormReader(form)
    email = reader.text("email", "your email address", required=True, max_length=320)
    password = form.get("password")
    if not isinstance(password, str) or not password:
        reader.fail("password", "Enter your password.")
    clinic = reader.text("clinic", "the clinic", max_length=100)
    values = reader.values() | {"password": ""}
    if reader.errors:
        return render(request, "pages/sign_in.html", {"values": values, "errors": reader.errors},
                      status_code=422)
    fields: dict[str, object] = {"email": email, "password": password}
    if clinic and "clinic" in SignIn.model_fields:
        fields["clinic"] = clinic
    redirect = RedirectResponse(safe_next(reader.raw("next")), status_code=303)
    try:
        sign_in(SignIn.model_validate(fields), request, redirect, uow)
    except ValidationError:
        reader.fail("email", "Enter a valid email address.")
    except HTTPException as exc:
        reader.fail("password", "Too many failed attempts: wait a few minutes and try again."
                    if exc.status_code == 429 else "Wrong email, password or clinic.")
        return render(request, "pages/sign_in.html", {"values": values, "errors": reader.errors},
                      status_code=exc.status_code)
    if reader.errors:
        return render(request, "pages/sign_in.html", {"values": values, "errors": reader.errors},
                      status_code=422)
    return redirect


@router.post("/sign-out")
def sign_out(who: Page, uow: Uow) -> RedirectResponse:
    """End the session (its token is revoked) and clear the cookies."""
    TokenRepository(uow.session).revoke(who.token_id)
    uow.commit()
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
