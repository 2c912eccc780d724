"""The audit trail is append-only and streams in time order; a unit of work rolls back what is uncommitted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import UnitOfWork
from palpa.store.repositories import AuditRepository

Factory = sessionmaker[Session]
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_audit_since_streams_in_time_order(factory: Factory, clinics: tuple[int, int]) -> None:
    a, b = clinics
    offsets = [5, 1, 3, 0, 4, 2]
    with UnitOfWork(factory) as uow:
        for i in offsets:
            uow.audit.record("read", "patient", record_id=i, user_id=7, clinic_id=a, remote_addr="10.0.0.1",
                             at=T0 + dt.timedelta(minutes=i))
        uow.audit.record("export", "audit", clinic_id=b, at=T0 + dt.timedelta(minutes=9))
        uow.commit()
    with UnitOfWork(factory) as uow:
        events = list(uow.audit.since(T0 + dt.timedelta(minutes=2), clinic_id=a, batch=2))
        assert [e.record_id for e in events] == ["2", "3", "4", "5"]
        assert all(e.at.tzinfo is not None for e in events)
        assert events[0].at == T0 + dt.timedelta(minutes=2)
        line = json.loads(json.dumps(events[0].as_dict()))
        assert line["action"] == "read" and line["clinic_id"] == a and line["remote_addr"] == "10.0.0.1"
        assert line["at"].startswith("2026-03-01T12:02:00")
        assert [e.action for e in uow.audit.since(T0, clinic_id=b)] == ["export"]


def test_audit_has_no_update_or_delete(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    assert not any(hasattr(AuditRepository, name) for name in ("update", "delete", "remove"))
    with UnitOfWork(factory) as uow:
        with pytest.raises(ValueError, match="action"):
            uow.audit.record("peek", "patient")
        event = uow.audit.record("sign_in", "user", user_id=1, clinic_id=a)
        uow.commit()
    for statement in ("UPDATE audit_event SET detail = 'x' WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id"):
        with factory() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement), {"id": event.id})
    with UnitOfWork(factory) as uow:
        assert [e.id for e in uow.audit.since(event.at, clinic_id=a)] == [event.id]


def test_unit_of_work_rolls_back_on_exception(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    with pytest.raises(RuntimeError), UnitOfWork(factory) as uow:
        uow.patients.add(a, "Ghost One")
        raise RuntimeError("boom")
    with UnitOfWork(factory) as uow:
        assert uow.patients.list(a, name="Ghost").total == 0


def test_unit_of_work_rolls_back_when_not_committed(factory: Factory, clinics: tuple[int, int]) -> None:
    a, _ = clinics
    with UnitOfWork(factory) as uow:
        uow.patients.add(a, "Ghost Two")
    with UnitOfWork(factory) as uow:
        assert uow.patients.list(a, name="Ghost").total == 0
        uow.patients.add(a, "Real Person")
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.patients.list(a, name="Real Person").total == 1
