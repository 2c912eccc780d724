"""Audit page: the clinic's audit trail, newest first, for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from palpa.store.models import AUDIT_ACTIONS, AuditEvent, User
from palpa.web.deps import Uow
from palpa.web.pages.common import AdminPage, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, who: AdminPage, uow: Uow,
               page: Annotated[int, Query(ge=1, le=100000)] = 1,
               action: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    """Audit events of the admin's clinic, newest first, PAGE_SIZE a page, optionally of one action."""
    where = [AuditEvent.clinic_id == who.clinic_id]
    if action in AUDIT_ACTIONS:
        where.append(AuditEvent.action == action)
    total = uow.session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    events = list(uow.session.scalars(select(AuditEvent).where(*where)
                                      .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    users = select(User.id, User.email).where(User.clinic_id == who.clinic_id)
    emails: dict[int, str] = {row[0]: row[1] for row in uow.session.execute(users)}
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "pages/audit.html",
                  {"events": events, "emails": emails, "page": page, "pages": pages, "total": total,
                   "action": action if action in AUDIT_ACTIONS else "", "actions": AUDIT_ACTIONS}, who=who)
