"""Server-rendered clinician pages (Jinja2 + htmx) on the API's app: `include_pages(app)` mounts them."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from palpa.web.pages.common import STATIC_DIR, PageForbidden, PageNotFound, SignInRequired, render

__all__ = ["include_pages"]


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = "/sign-in?next=" + _quote(exc.next_path)
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


async def _not_found(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, PageNotFound)
    return render(request, "pages/error.html",
                  {"title": "Not found", "message": f"There is no such {exc.what} in your clinic."},
                  status_code=404)


async def _forbidden(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, PageForbidden)
    return render(request, "pages/error.html", {"title": "Not allowed", "message": exc.message},
                  status_code=403)


def include_pages(app: FastAPI) -> None:
    """Mount /static and every page router on `app`, with the pages' redirect and error handlers."""
    from palpa.web.pages import assessments, audit, handout, measures, patients, progress, signin, visits

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (signin, patients, assessments, visits, measures, progress, handout, audit):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(PageNotFound, _not_found)
    app.add_exception_handler(PageForbidden, _forbidden)
