"""Database location, engines with the right per-dialect settings, sessions and programmatic migrations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def data_dir() -> Path:
    """`$XDG_DATA_HOME/palpa` (default `~/.local/share/palpa`), created if missing."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    path = Path(base) / "palpa"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """`PALPA_DATABASE_URL` if set, else the embedded SQLite database under the user's data directory."""
    url = os.environ.get("PALPA_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'palpa.db'}"


def normalize_url(url: str | URL) -> URL:
    """Parse `url`, making plain `postgresql://` (or `postgres://`) URLs use the psycopg 3 driver."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, foreign keys and a busy timeout on every new SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default `database_url()`): SQLite gets WAL + foreign keys; PostgreSQL psycopg."""
    parsed = normalize_url(url if url is not None else database_url())
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _run(url: str | URL | Engine | None, revision: str, upgrading: bool) -> None:
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            if upgrading:
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def upgrade(url: str | URL | Engine | None = None, revision: str = "head") -> None:
    """Migrate the database at `url` (default `database_url()`) up to `revision`."""
    _run(url, revision, upgrading=True)


def downgrade(url: str | URL | Engine | None = None, revision: str = "base") -> None:
    """Migrate the database at `url` (default `database_url()`) down to `revision`."""
    _run(url, revision, upgrading=False)


def current_revision(url: str | URL | Engine) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if not isinstance(url, Engine):
            engine.dispose()
