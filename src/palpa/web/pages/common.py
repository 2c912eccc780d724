"""What every page shares: the template environment, the signed-in page user, CSRF for forms, errors.

A page request without a valid session cookie is redirected to the sign-in page (SignInRequired);
a write (POST) must carry the session's CSRF token in the `csrf_token` form field or the
X-CSRF-Token header (htmx sends the header), checked against the hash stored with the session.
"""

from __future__ import annotations

import datetime as dt
import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from palpa.core.knowledge import KnowledgeBase
from palpa.store import UnitOfWork
from palpa.store.auth_repo import TokenRepository
from palpa.web.deps import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, Principal, Uow
from palpa.web.security import token_hash

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No valid session: the page redirects to sign-in (and back to `next_path` afterwards)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageNotFound(Exception):
    """A record that does not exist or belongs to another clinic: an HTML 404 page."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class PageForbidden(Exception):
    """A refused write (bad CSRF token) or a page for admins only: an HTML 403 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def label(code: str) -> str:
    """A vocabulary code as words: 'joint_mobilization' -> 'Joint mobilization'."""
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["label"] = label
    env.filters["urlquote"] = lambda s: quote(str(s), safe="")
    return env


ENV = _environment()


def knowledge(request: Request) -> KnowledgeBase:
    """The app's knowledge base."""
    kb: KnowledgeBase = request.app.state.knowledge
    return kb


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200,
           who: Principal | None = None) -> HTMLResponse:
    """Render a template with the request, the CSRF token and the signed-in user in its context."""
    ctx = {"request": request, "csrf_token": request.cookies.get(CSRF_COOKIE, ""), "who": who,
           "today": dt.date.today()} | context
    return HTMLResponse(ENV.get_template(template).render(ctx), status_code=status_code)


def safe_next(path: str | None) -> str:
    """A local path to return to after sign-in (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/patients"
    return path


async def form_data(request: Request) -> FormData:
    """The request's form fields (parsed once and shared by the CSRF check and the page)."""
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]


def _check_session(uow: UnitOfWork, request: Request, sent_csrf: str | None) -> Principal:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    cookie = request.cookies.get(SESSION_COOKIE)
    found = TokenRepository(uow.session).active(token_hash(cookie), "session") if cookie else None
    if found is None:
        raise SignInRequired(path if request.method in SAFE_METHODS else "/patients")
    row, user = found
    if request.method not in SAFE_METHODS and (
            not sent_csrf or row.csrf_hash is None
            or not hmac.compare_digest(token_hash(sent_csrf), row.csrf_hash)):
        raise PageForbidden("This form was refused: its security token is missing or out of date. "
                            "Go back, reload the page and try again.")
    remote = request.client.host if request.client else None
    return Principal(user.id, user.clinic_id, user.role, row.id, True, remote)


async def page_principal(request: Request, uow: Uow) -> Principal:
    """The signed-in user of a page; SignInRequired without a session, PageForbidden on a bad CSRF token."""
    sent: str | None = None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if not sent:
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    return await run_in_threadpool(_check_session, uow, request, sent)


Page = Annotated[Principal, Depends(page_principal)]


def require_admin_page(who: Page) -> Principal:
    """The page user if an admin, else PageForbidden."""
    if who.role != "admin":
        raise PageForbidden("The audit trail is for clinic administrators only.")
    return who


AdminPage = Annotated[Principal, Depends(require_admin_page)]
