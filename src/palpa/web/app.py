"""The FastAPI application: composition root wiring the store, knowledge base, routers and error mapping."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from palpa.knowledge.loader import load_knowledge
from palpa.store import ConflictError, NotFoundError, db, make_engine, make_session_factory
from palpa.web import assess, audit_api, auth, episode_report, fhir_api, patients, records
from palpa.web.cds import include_cds
from palpa.web.pages import include_pages
from palpa.web.security import SignInLimiter


class DropQueryString(logging.Filter):
    """Strip query strings (which may hold a patient's name) from uvicorn access-log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def create_app(database_url: str | None = None) -> FastAPI:
    """The Palpa API on the database at `database_url` (default: PALPA_DATABASE_URL or embedded SQLite)."""
    url = db.normalize_url(database_url or db.database_url())
    kwargs = {"connect_args": {"check_same_thread": False}} if url.get_backend_name() == "sqlite" else {}
    engine = make_engine(url, **kwargs)
    app = FastAPI(title="Palpa", summary="Clinical decision support for manual therapy",
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.knowledge = load_knowledge()
    app.state.sign_in_limiter = SignInLimiter(app.state.session_factory)
    for module in (auth, patients, records, assess, audit_api, episode_report, fhir_api):
        app.include_router(module.router)
    include_cds(app)
    include_pages(app)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(IntegrityError, _integrity)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryString) for f in access.filters):
        access.addFilter(DropQueryString())
    return app


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return JSONResponse({"detail": str(exc), "stored_version": exc.stored_version}, status_code=409,
                        headers={"ETag": f'"{exc.stored_version}"'})


async def _integrity(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "the change conflicts with an existing record (e.g. a duplicate number)"},
                        status_code=409)
