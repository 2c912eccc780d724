"""The append-only audit trail: events can be recorded and read, never changed (the database refuses too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import select

from palpa.store._base import Repository
from palpa.store.models import AUDIT_ACTIONS, AuditEvent, utcnow


class AuditRepository(Repository):
    """Audit events; deliberately has no update or delete."""

    def record(self, action: str, record_type: str, *, record_id: int | str | None = None,
               user_id: int | None = None, clinic_id: int | None = None, remote_addr: str | None = None,
               detail: str | None = None, at: dt.datetime | None = None) -> AuditEvent:
        """Append one event (committed with the unit of work it belongs to)."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"audit action must be one of {', '.join(AUDIT_ACTIONS)}, not {action!r}")
        event = AuditEvent(at=at or utcnow(), action=action, record_type=record_type,
                           record_id=None if record_id is None else str(record_id), user_id=user_id,
                           clinic_id=clinic_id, remote_addr=remote_addr, detail=detail)
        self.session.add(event)
        self.session.flush()
        return event

    def since(self, at: dt.datetime, *, clinic_id: int | None = None,
              batch: int = 1000) -> Iterator[AuditEvent]:
        """Stream events at or after `at` in time order (ties by id), optionally of one clinic only."""
        stmt = select(AuditEvent).where(AuditEvent.at >= at)
        if clinic_id is not None:
            stmt = stmt.where(AuditEvent.clinic_id == clinic_id)
        stmt = stmt.order_by(AuditEvent.at, AuditEvent.id).execution_options(yield_per=batch)
        yield from self.session.scalars(stmt)
