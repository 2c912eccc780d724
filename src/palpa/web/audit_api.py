"""GET /api/audit: the clinic's audit trail, for admins only."""

from __future__ import annotations

import datetime as dt
from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query

from palpa.web.deps import Admin, Uow
from palpa.web.schemas import AuditOut

router = APIRouter(prefix="/api", tags=["audit"])
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@router.get("/audit", response_model=list[AuditOut], responses={401: {}, 403: {}})
def list_audit(who: Admin, uow: Uow, since: dt.datetime | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditOut]:
    """Audit events of the admin's clinic at or after `since`, oldest first."""
    start = EPOCH if since is None else (since if since.tzinfo else since.replace(tzinfo=dt.UTC))
    events = islice(uow.audit.since(start, clinic_id=who.clinic_id), limit)
    return [AuditOut.model_validate(e) for e in events]
