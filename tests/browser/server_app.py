"""The app the browser tests serve: create_app on PALPA_DATABASE_URL with the pages included."""

from __future__ import annotations

from fastapi import FastAPI

from palpa.web import create_app
from palpa.web.pages import include_pages


def make_app() -> FastAPI:
    """The API and the pages (include_pages is called here unless create_app already did)."""
    app = create_app()
    if not any(getattr(route, "path", None) == "/sign-in" for route in app.routes):
        include_pages(app)
    return app
