"""Operations commands run in-process on a temporary SQLite database: db, clinic, user, demo, audit,
backup and restore, with operator errors exiting 2 and one line."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, inspect, select

from palpa import demo_data, ops_cli
from palpa.store import UnitOfWork, make_engine, make_session_factory
from palpa.store.models import Assessment, Clinic, Episode, MeasureResult, Patient, User, Visit


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'palpa.db'}"
    monkeypatch.setenv("PALPA_DATABASE_URL", url)
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="palpa")
    sub = parser.add_subparsers(dest="command", required=True)
    ops_cli.add_parsers(sub)
    args = parser.parse_args(list(argv))
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def query(url: str, stmt: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            rows = list(uow.session.scalars(stmt))
            uow.session.expunge_all()  # keep the rows readable after the unit of work rolls back
            return rows
    finally:
        engine.dispose()


def count(url: str, model: Any) -> int:
    return int(query(url, select(func.count()).select_from(model))[0])


def test_db_upgrade_creates_tables(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "db", "upgrade")
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"clinic", "user_account", "patient", "episode", "assessment", "visit", "measure_result",
            "audit_event", "alembic_version"} <= tables
    ok(capsys, "db", "upgrade")  # idempotent


def test_clinic_and_user_add_hashes_with_argon2(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "db", "upgrade")
    assert "main-street-physio" in ok(capsys, "clinic", "add", "Main Street Physio", "--slug",
                                      "main-street-physio")
    out = ok(capsys, "user", "add", "Ana@Example.org", "--clinic", "main-street-physio", "--role", "admin")
    password = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password: "))
    assert len(password) >= 16
    [user] = query(db_url, select(User))
    assert user.email == "ana@example.org" and user.role == "admin"
    assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, password)


def test_clinic_add_with_chosen_slug_and_contact(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "db", "upgrade")
    out = ok(capsys, "clinic", "add", "Main Street Physio", "--slug", "msp", "--phone", "+1 555 0101",
             "--email", "desk@msp.example", "--address", "2 Main St")
    assert "clinic msp created" in out
    [clinic] = query(db_url, select(Clinic))
    assert (clinic.slug, clinic.phone, clinic.email, clinic.address) == (
        "msp", "+1 555 0101", "desk@msp.example", "2 Main St")
    assert "created in clinic msp" in ok(capsys, "user", "add", "ana@example.org", "--clinic", "msp")


def test_user_add_password_from_stdin(db_url: str, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ok(capsys, "db", "upgrade")
    ok(capsys, "clinic", "add", "North Clinic")
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    out = ok(capsys, "user", "add", "bo@example.org", "--clinic", "north-clinic", "--password-stdin")
    assert "password:" not in out
    [user] = query(db_url, select(User))
    assert PasswordHasher().verify(user.password_hash, "correct horse battery")


@pytest.mark.parametrize("argv, message", [
    (("user", "add", "ana@example.org", "--clinic", "main-street-physio"), "already exists"),
    (("user", "add", "x@example.org", "--clinic", "nowhere"), "unknown clinic 'nowhere'"),
    (("user", "add", "not-an-email", "--clinic", "main-street-physio"), "not an email"),
    (("clinic", "add", "Main Street Physio"), "already exists"),
    (("clinic", "add", "Other Place", "--slug", "Else Where"), "lower-case letters"),
    (("clinic", "add", "Main St. Physio", "--slug", "main-street-physio"), "already exists"),
    (("audit", "export", "--since", "last tuesday"), "not an ISO 8601"),
])
def test_operator_errors_exit_2_with_one_line(db_url: str, capsys: pytest.CaptureFixture[str],
                                              argv: tuple[str, ...], message: str) -> None:
    ok(capsys, "db", "upgrade")
    ok(capsys, "clinic", "add", "Main Street Physio")
    ok(capsys, "user", "add", "ana@example.org", "--clinic", "main-street-physio")
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("palpa: ") and err.count("\n") == 1 and message in err


def test_demo_seeds_five_patients_idempotently(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(capsys, "demo")
    assert "Palpa Demo Clinic" in out and "demo@palpa.example" in out
    password = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password: "))
    [user] = query(db_url, select(User))
    assert user.role == "clinician" and PasswordHasher().verify(user.password_hash, password)
    again = ok(capsys, "demo")
    assert password not in again and "0 created now" in again
    assert count(db_url, User) == 1
    assert count(db_url, Patient) == len(demo_data.PATIENTS) == 5
    assert count(db_url, Episode) == 5
    regions = set(query(db_url, select(Episode.region)))
    assert {"lumbar", "cervical", "shoulder", "ankle_foot"} <= regions
    assessments = query(db_url, select(Assessment))
    assert len(assessments) == 5
    for a in assessments:
        assert a.knowledge_version and a.knowledge_version == a.assessment["knowledge_version"]
        assert a.episode_id is not None and a.triage_level
    assert count(db_url, Visit) == len(demo_data.LUMBAR_VISITS)
    assert count(db_url, MeasureResult) == len(demo_data.LUMBAR_MEASURES)
    assert all(name.endswith("(demo)") for name in query(db_url, select(Patient.name)))


def export(capsys: pytest.CaptureFixture[str], since: str) -> list[dict[str, Any]]:
    out = ok(capsys, "audit", "export", "--since", since)
    return [json.loads(line) for line in out.splitlines()]


def test_audit_export_ndjson_in_time_order_and_since(db_url: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "db", "upgrade")
    ok(capsys, "clinic", "add", "Main Street Physio")
    ok(capsys, "user", "add", "ana@example.org", "--clinic", "main-street-physio")
    time.sleep(0.01)
    cut = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    ok(capsys, "user", "add", "bo@example.org", "--clinic", "main-street-physio")
    everything = export(capsys, "2000-01-01")
    assert [(e["action"], e["record_type"]) for e in everything] == [
        ("create", "clinic"), ("create", "user"), ("create", "user")]
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)
    newer = export(capsys, cut.isoformat())
    # the previous export is itself audited, after the cut
    assert [(e["action"], e["record_type"]) for e in newer] == [("create", "user"), ("export", "audit_event")]
    assert all(dt.datetime.fromisoformat(e["at"]) >= cut for e in newer)
    out_file = Path(db_url.removeprefix("sqlite:///")).with_name("audit.ndjson")
    ok(capsys, "audit", "export", "--since", cut.isoformat(), "--out", str(out_file))
    assert len(out_file.read_bytes().splitlines()) == 3


def test_backup_then_restore_round_trips(db_url: str, capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    ok(capsys, "demo")
    backup_file = tmp_path / "backups" / "palpa-backup.db"
    ok(capsys, "backup", str(backup_file))
    assert backup_file.is_file()
    code, _, err = run(capsys, "backup", str(backup_file))
    assert code == 2 and "already exists" in err
    engine = make_engine(db_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            clinic_id = query(db_url, select(Patient.clinic_id))[0]
            uow.patients.add(clinic_id, "Late Addition (demo)")
            uow.commit()
    finally:
        engine.dispose()
    assert count(db_url, Patient) == 6
    ok(capsys, "restore", str(backup_file))
    assert count(db_url, Patient) == 5
    assert "Late Addition (demo)" not in query(db_url, select(Patient.name))
    assert count(db_url, Visit) == len(demo_data.LUMBAR_VISITS)
    not_db = tmp_path / "junk.db"
    not_db.write_bytes(b"not a database at all" * 100)
    code, _, err = run(capsys, "restore", str(not_db))
    assert code == 2 and "not a SQLite database" in err
    assert count(db_url, Patient) == 5


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_backup_and_restore_refuse_postgresql(command: str, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PALPA_DATABASE_URL", "postgresql://palpa@127.0.0.1:5432/palpa")
    target = tmp_path / "x.db"
    target.write_bytes(b"")
    code, out, err = run(capsys, command, str(target))
    assert code == 2 and out == ""
    assert "SQLite" in err and ("pg_dump" in err or "pg_restore" in err) and err.count("\n") == 1
