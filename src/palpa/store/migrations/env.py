"""Alembic environment: runs on the connection given in `config.attributes`, else on `sqlalchemy.url`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from palpa.store.models import Base

config = context.config
target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Run the migrations online (offline SQL generation is not supported)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    from palpa.store.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _migrate(conn)
    finally:
        engine.dispose()


run()
