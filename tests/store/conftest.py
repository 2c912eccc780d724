"""Store suite backends: every test runs on SQLite and, when PALPA_TEST_POSTGRES_URL is set, PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import UnitOfWork, make_engine, make_session_factory, upgrade
from palpa.store.db import normalize_url

PG_ENV = "PALPA_TEST_POSTGRES_URL"


@dataclass
class Backend:
    """A database server (or SQLite) on which fresh, empty databases can be made and thrown away."""

    name: str
    root: Path | None = None
    pg_url: URL | None = None

    @contextmanager
    def fresh(self) -> Iterator[URL]:
        """An empty database: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
        if self.name == "sqlite":
            assert self.root is not None
            yield normalize_url(f"sqlite:///{self.root / f'{secrets.token_hex(4)}.db'}")
            return
        assert self.pg_url is not None
        schema = f"palpa_test_{secrets.token_hex(6)}"
        admin = make_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                yield self.pg_url.update_query_dict({"options": f"-csearch_path={schema}"})
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        finally:
            admin.dispose()


def make_backend(kind: str, tmp_path_factory: pytest.TempPathFactory, suite: str) -> Backend:
    """SQLite in a temporary folder, or PostgreSQL from PALPA_TEST_POSTGRES_URL (else skip, saying why)."""
    if kind == "sqlite":
        return Backend("sqlite", root=tmp_path_factory.mktemp(suite))
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL {suite} tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return Backend("postgresql", pg_url=normalize_url(url))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    return make_backend(request.param, tmp_path_factory, "store")


@pytest.fixture(scope="session")
def engine(backend: Backend) -> Iterator[Engine]:
    """One migrated database per backend per test session; tests keep apart by using their own clinics."""
    with backend.fresh() as url:
        upgrade(url)
        eng = make_engine(url)
        try:
            yield eng
        finally:
            eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def clinics(factory: sessionmaker[Session]) -> tuple[int, int]:
    """Two new clinics, A and B, committed."""
    with UnitOfWork(factory) as uow:
        a, b = uow.clinics.add("Clinic A"), uow.clinics.add("Clinic B")
        uow.commit()
        return a.id, b.id
