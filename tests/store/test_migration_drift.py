"""The migrations build exactly the schema the models declare, and each one steps down and up again cleanly.

`test_db.py` already runs the whole chain up from empty, down to base and up again; here the schema at
head is compared with the models by Alembic's autogenerate (types and server defaults included), and
every revision is taken one step down and back up on its own, the schema after that round trip being
the same as the one it first built. Whatever revisions exist are walked, so new migrations are covered
without editing this file.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from palpa.store import downgrade, make_engine, upgrade
from palpa.store.db import alembic_config, current_revision
from palpa.store.models import Base

from .conftest import Backend

# Nothing is ignored: on both SQLite and PostgreSQL, Alembic 1.x compares types and server defaults of
# this schema without false positives (checked by the test below returning an empty diff).
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "compare_server_default": True}


def _revisions() -> list[tuple[str, str]]:
    """(revision, the revision below it or "base") from the first migration to head; history is linear."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, f"migration history has several heads: {script.get_heads()}"
    steps = []
    for rev in script.walk_revisions():
        down = rev.down_revision
        assert down is None or isinstance(down, str), f"merge revision {rev.revision} is not supported"
        steps.append((rev.revision, down or "base"))
    return steps[::-1]


def _describe(diff: Any) -> str:
    """One readable line per autogenerate difference: the operation, table and column or index."""
    if isinstance(diff, list):
        return "; ".join(_describe(d) for d in diff)
    op, *rest = diff
    names = [getattr(x, "name", x) for x in rest if isinstance(x, str) or hasattr(x, "name")]
    return f"{op} {' '.join(str(n) for n in names[:3])}"


def _drift(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=COMPARE_OPTIONS)
        return [_describe(d) for d in compare_metadata(context, Base.metadata)]


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables with their columns (type, nullability, default), keys, indexes and unique constraints."""
    with engine.connect() as conn:
        insp = inspect(conn)
        out: dict[str, Any] = {}
        for table in sorted(insp.get_table_names()):
            out[table] = {
                "columns": sorted((c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                                  for c in insp.get_columns(table)),
                "primary_key": sorted(insp.get_pk_constraint(table)["constrained_columns"]),
                "foreign_keys": sorted((tuple(fk["constrained_columns"]), fk["referred_table"],
                                        tuple(fk["referred_columns"]), str(fk.get("options", {})))
                                       for fk in insp.get_foreign_keys(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in insp.get_indexes(table)),
                "unique": sorted((u["name"], tuple(u["column_names"]))
                                 for u in insp.get_unique_constraints(table)),
            }
        return out


def test_models_match_migrations_at_head(backend: Backend) -> None:
    with backend.fresh() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            assert _drift(engine) == []
        finally:
            engine.dispose()


def test_each_migration_steps_down_and_up_to_the_same_schema(backend: Backend) -> None:
    steps = _revisions()
    assert steps and steps[0][1] == "base"
    with backend.fresh() as url:
        engine = make_engine(url)
        try:
            for revision, below in steps:
                upgrade(engine, revision)
                built = _schema(engine)
                downgrade(engine, below)
                assert current_revision(engine) == (None if below == "base" else below)
                assert _schema(engine) != built, f"downgrading {revision} changed nothing"
                upgrade(engine, revision)
                assert current_revision(engine) == revision
                assert _schema(engine) == built, f"{revision} down and up again left a different schema"
        finally:
            engine.dispose()
