"""Database location, URL handling, pragmas and migrations up and down."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from palpa.store import database_url, downgrade, make_engine, upgrade
from palpa.store.db import MIGRATIONS, current_revision, normalize_url
from palpa.store.models import Base

from .conftest import Backend

TABLES = {"clinic", "user_account", "patient", "episode", "assessment", "visit", "measure_result",
          "audit_event"}


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALPA_DATABASE_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql://u@h/db"


def test_database_url_defaults_to_sqlite_in_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PALPA_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'palpa' / 'palpa.db'}"
    assert (tmp_path / "data" / "palpa").is_dir()


def test_database_url_falls_back_to_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PALPA_DATABASE_URL", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert database_url().endswith(f"{tmp_path}/.local/share/palpa/palpa.db")


@pytest.mark.parametrize("url", ["postgresql://u@h:5432/db", "postgres://u@h:5432/db",
                                 "postgresql+psycopg://u@h:5432/db"])
def test_postgres_urls_use_psycopg3(url: str) -> None:
    assert normalize_url(url).drivername == "postgresql+psycopg"


HEAD = sorted(p.name.split("_")[0] for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))[-1]


def test_migrations_folder_ships_in_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()


def test_migrations_up_from_empty_and_down_to_base(backend: Backend) -> None:
    with backend.fresh() as url:
        assert current_revision(url) is None
        upgrade(url)
        assert current_revision(url) == HEAD
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) >= TABLES
            downgrade(url)
            assert current_revision(url) is None
            with engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            upgrade(url)
            assert current_revision(url) == HEAD
        finally:
            engine.dispose()


def test_migration_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        insp = inspect(conn)
        for table in Base.metadata.sorted_tables:
            migrated = {c["name"] for c in insp.get_columns(table.name)}
            assert migrated == {c.name for c in table.columns}, table.name


def test_sqlite_pragmas(backend: Backend, engine: Engine) -> None:
    if backend.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
