"""Persistent storage: SQLAlchemy models, Alembic migrations, clinic-scoped repositories, unit of work."""

from palpa.store.db import database_url, downgrade, make_engine, make_session_factory, upgrade
from palpa.store.errors import ConflictError, NotFoundError, StoreError
from palpa.store.uow import UnitOfWork

__all__ = [
    "ConflictError",
    "NotFoundError",
    "StoreError",
    "UnitOfWork",
    "database_url",
    "downgrade",
    "make_engine",
    "make_session_factory",
    "upgrade",
]
