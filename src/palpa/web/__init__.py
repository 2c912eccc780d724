"""The JSON API (FastAPI): sign-in, clinic-scoped patient records, assess, audit."""

from palpa.web.app import create_app

__all__ = ["create_app"]
