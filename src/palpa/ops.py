"""Operations use cases behind `palpa db|clinic|user|demo|audit|backup|restore`.

Each opens its own engine and unit of work on `database_url()` (or the URL it is given), records an
audit event for what it writes, and raises OpsError with a one-line message for anything the operator
must fix (unknown clinic, duplicate user, a PostgreSQL URL given to backup...).

A clinic is named by its slug (stored, unique; by default its name slugified:
"Main Street Physio" -> "main-street-physio") or by its id.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from sqlalchemy import select
from sqlalchemy.engine import URL

from palpa.store import UnitOfWork, database_url, make_engine, make_session_factory, upgrade
from palpa.store.db import normalize_url
from palpa.store.models import ROLES, Clinic, Patient
from palpa.store.repositories import slugify

CLI_DETAIL = "palpa {}"
MIN_PASSWORD = 10
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OpsError(Exception):
    """An operation refused with a message for the operator (the CLI exits 2 with it)."""


@contextmanager
def _uow(url: str | URL | None) -> Iterator[UnitOfWork]:
    engine = make_engine(url if url is not None else database_url())
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            yield uow
    finally:
        engine.dispose()


def hash_password(password: str) -> str:
    """An argon2id hash (argon2-cffi defaults)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def generate_password() -> str:
    """A strong random password (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def _find_clinic(uow: UnitOfWork, ref: str) -> Clinic | None:
    if ref.isdigit():
        return uow.clinics.get(int(ref))
    return uow.clinics.by_slug(ref)


# --- database -------------------------------------------------------------------------------------

def upgrade_database(url: str | URL | None = None) -> None:
    """Migrate the database to the latest schema (creating it if needed)."""
    _sqlite_parent(url)
    upgrade(url if url is not None else database_url())


def _sqlite_parent(url: str | URL | None) -> None:
    parsed = normalize_url(url if url is not None else database_url())
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


# --- clinics and users ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ClinicInfo:
    id: int
    name: str
    slug: str


def add_clinic(name: str, slug: str | None = None, url: str | URL | None = None, *,
               phone: str | None = None, email: str | None = None, address: str | None = None) -> ClinicInfo:
    """Create a clinic with a unique slug (default: its name slugified) and optional contact details."""
    name = name.strip()
    if not name:
        raise OpsError("clinic name must not be empty")
    if slug is None:
        slug = slugify(name)
        if not slug:
            raise OpsError(f"clinic name {name!r} has no letters or digits to make a slug from: give --slug")
    if not _SLUG.match(slug) or slug.isdigit():
        raise OpsError(f"slug {slug!r} must be lower-case letters, digits and single hyphens, "
                       "not only digits")
    if email is not None and "@" not in email:
        raise OpsError(f"{email!r} is not an email address")
    with _uow(url) as uow:
        if uow.clinics.by_slug(slug) is not None:
            raise OpsError(f"a clinic with slug {slug!r} already exists")
        clinic = uow.clinics.add(name, slug, phone=phone, email=email, address=address)
        uow.audit.record("create", "clinic", record_id=clinic.id, clinic_id=clinic.id,
                         detail=CLI_DETAIL.format("clinic add"))
        uow.commit()
        return ClinicInfo(clinic.id, clinic.name, clinic.slug)


@dataclass(frozen=True)
class UserInfo:
    id: int
    clinic_id: int
    email: str
    role: str
    password: str | None
    """The generated password (to print once), or None when the caller gave one."""


def add_user(clinic_slug: str, email: str, role: str = "clinician", password: str | None = None,
             url: str | URL | None = None) -> UserInfo:
    """Create a user of a clinic with an argon2-hashed password (generated and returned when not given)."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise OpsError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise OpsError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    generated = None
    if password is None:
        password = generated = generate_password()
    elif len(password) < MIN_PASSWORD:
        raise OpsError(f"password must be at least {MIN_PASSWORD} characters")
    with _uow(url) as uow:
        clinic = _find_clinic(uow, clinic_slug)
        if clinic is None:
            raise OpsError(f"unknown clinic {clinic_slug!r}")
        if uow.users.find_by_email(clinic.id, email) is not None:
            raise OpsError(f"user {email} already exists in clinic {clinic.slug!r}")
        user = uow.users.add(clinic.id, email, hash_password(password), role)
        uow.audit.record("create", "user", record_id=user.id, clinic_id=clinic.id,
                         detail=CLI_DETAIL.format("user add"))
        uow.commit()
        return UserInfo(user.id, clinic.id, user.email, user.role, generated)


# --- demo data ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoResult:
    clinic_name: str
    clinic_slug: str
    clinic_id: int
    email: str
    password: str | None
    """The demo user's password when it was created by this run, else None (it was printed before)."""
    patients_created: int
    patients_total: int


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def seed_demo(url: str | URL | None = None) -> DemoResult:
    """Create (if absent) the demo clinic, clinician and patients with episodes and assessments.

    Idempotent: everything is found again by clinic name, user email and patient external reference.
    """
    from palpa import demo_data
    from palpa.codec import assessment_to_dict
    from palpa.knowledge.loader import load_knowledge
    from palpa.service import assess_json_case

    upgrade_database(url)
    kb = load_knowledge()
    detail = CLI_DETAIL.format("demo")
    with _uow(url) as uow:
        clinic = uow.clinics.by_slug(slugify(demo_data.DEMO_CLINIC_NAME))
        if clinic is None:
            clinic = uow.clinics.add(demo_data.DEMO_CLINIC_NAME, phone=demo_data.DEMO_CLINIC_PHONE,
                                     email=demo_data.DEMO_CLINIC_EMAIL, address=demo_data.DEMO_CLINIC_ADDRESS)
            uow.audit.record("create", "clinic", record_id=clinic.id, clinic_id=clinic.id, detail=detail)
        cid = clinic.id
        password = None
        if uow.users.find_by_email(cid, demo_data.DEMO_USER_EMAIL) is None:
            password = generate_password()
            user = uow.users.add(cid, demo_data.DEMO_USER_EMAIL, hash_password(password), "clinician")
            uow.audit.record("create", "user", record_id=user.id, clinic_id=cid, detail=detail)
        existing = set(uow.session.scalars(
            select(Patient.external_ref).where(Patient.clinic_id == cid,
                                               Patient.external_ref.like(f"{demo_data.DEMO_MARK}%"))))
        created = 0
        for spec in demo_data.PATIENTS:
            if spec["external_ref"] in existing:
                continue
            _seed_patient(uow, cid, spec, kb, assess_json_case, assessment_to_dict, detail)
            created += 1
        uow.commit()
        return DemoResult(clinic.name, clinic.slug, cid, demo_data.DEMO_USER_EMAIL, password, created,
                          len(existing) + created)


def _seed_patient(uow: UnitOfWork, cid: int, spec: dict[str, Any], kb: Any, assess_case: Any,
                  to_dict: Any, detail: str) -> None:
    audit = uow.audit.record
    patient = uow.patients.add(cid, spec["name"], _date(spec["date_of_birth"]), spec["sex"],
                               spec["external_ref"])
    audit("create", "patient", record_id=patient.id, clinic_id=cid, detail=detail)
    ep = spec["episode"]
    episode = uow.episodes.add(cid, patient.id, ep["region"], _date(ep["start_date"]))
    audit("create", "episode", record_id=episode.id, clinic_id=cid, detail=detail)
    case = spec["case"]
    assessment = to_dict(assess_case(orjson.dumps(case), kb), kb)
    stored = uow.assessments.save(cid, assessment, case=case, episode_id=episode.id,
                                  knowledge_version=assessment.get("knowledge_version") or kb.version)
    audit("create", "assessment", record_id=stored.id, clinic_id=cid, detail=detail)
    for visit in spec.get("visits", ()):
        row = uow.visits.add(cid, episode.id, int(visit["number"]), _date(visit["date"]), dict(visit))
        audit("create", "visit", record_id=row.id, clinic_id=cid, detail=detail)
    for m in spec.get("measures", ()):
        res = uow.measures.add(cid, episode.id, m["measure"], {"score": m["score"]}, _date(m["date"]),
                               m.get("visit"))
        audit("create", "measure_result", record_id=res.id, clinic_id=cid, detail=detail)


# --- audit export ---------------------------------------------------------------------------------

def parse_since(text: str) -> dt.datetime:
    """An ISO 8601 date or date-time; naive values are taken as UTC. OpsError when unreadable."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise OpsError(f"--since {text!r} is not an ISO 8601 date or date-time "
                       "(e.g. 2025-03-01 or 2025-03-01T09:30:00Z)") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def export_audit(since: dt.datetime, out: BinaryIO, url: str | URL | None = None,
                 clinic_id: int | None = None) -> int:
    """Write events at or after `since` as NDJSON in time order; the export itself is then audited."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    count = 0
    with _uow(url) as uow:
        for event in uow.audit.since(since, clinic_id=clinic_id):
            out.write(orjson.dumps(event.as_dict()) + b"\n")
            count += 1
        out.flush()
        uow.session.rollback()
        uow.audit.record("export", "audit_event", clinic_id=clinic_id,
                         detail=f"palpa audit export --since {since.isoformat()}: {count} events")
        uow.commit()
    return count


# --- backup and restore (SQLite) ------------------------------------------------------------------

def _sqlite_path(url: str | URL | None, what: str) -> Path:
    parsed = normalize_url(url if url is not None else database_url())
    if parsed.get_backend_name() != "sqlite":
        tool = "pg_dump" if what == "backup" else "pg_restore (or psql for a plain pg_dump file)"
        raise OpsError(f"palpa {what} works on the embedded SQLite database only; "
                       f"for {parsed.get_backend_name()} use {tool}")
    if parsed.database in (None, "", ":memory:"):
        raise OpsError(f"cannot {what} an in-memory SQLite database")
    return Path(parsed.database)


def _copy(src: Path, dst: Path) -> None:
    source = sqlite3.connect(src)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def backup(path: str | Path, url: str | URL | None = None) -> Path:
    """Copy the SQLite database to `path` with the online backup API (safe while the service runs)."""
    db = _sqlite_path(url, "backup")
    if not db.exists():
        raise OpsError(f"no database at {db}; run `palpa db upgrade` first")
    dest = Path(path)
    if dest.resolve() == db.resolve():
        raise OpsError("the backup file must not be the database itself")
    if dest.exists():
        raise OpsError(f"{dest} already exists; choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _copy(db, dest)
    with _uow(url) as uow:
        uow.audit.record("export", "database", detail=f"palpa backup to {dest.name}")
        uow.commit()
    return dest


def restore(path: str | Path, url: str | URL | None = None) -> Path:
    """Replace the SQLite database's content with the backup at `path` (online backup API)."""
    db = _sqlite_path(url, "restore")
    src = Path(path)
    if not src.is_file():
        raise OpsError(f"no backup file at {src}")
    try:
        check = sqlite3.connect(src)
        try:
            ok = check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            check.close()
    except sqlite3.DatabaseError as err:
        raise OpsError(f"{src} is not a SQLite database: {err}") from None
    if not ok or "alembic_version" not in tables or "patient" not in tables:
        raise OpsError(f"{src} is not a Palpa backup (integrity check failed or tables missing)")
    db.parent.mkdir(parents=True, exist_ok=True)
    _copy(src, db)
    with _uow(url) as uow:
        uow.audit.record("update", "database", detail=f"palpa restore from {src.name}")
        uow.commit()
    return db
