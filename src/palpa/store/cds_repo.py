"""CDS Hooks feedback: store what clinicians did with cards, read it back per service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from palpa.store._base import Repository
from palpa.store.models import CdsFeedback


class CdsFeedbackRepository(Repository):
    """Feedback items, newest first when read; the CDS client is not a clinic user, so nothing is scoped."""

    def add(self, service_id: str, card_uuid: str, outcome: str, outcome_at: dt.datetime,
            accepted_suggestions: Sequence[str] | None = None,
            override_reason: dict[str, Any] | None = None) -> CdsFeedback:
        """Store one feedback item (outcome 'accepted' or 'overridden'; `outcome_at` timezone-aware)."""
        row = CdsFeedback(service_id=service_id, card_uuid=card_uuid, outcome=outcome, outcome_at=outcome_at,
                          accepted_suggestions=list(accepted_suggestions) if accepted_suggestions else None,
                          override_reason=override_reason)
        self.session.add(row)
        self.session.flush()
        return row

    def for_service(self, service_id: str, limit: int = 100) -> list[CdsFeedback]:
        """The latest `limit` feedback items of one service, newest first."""
        stmt = (select(CdsFeedback).where(CdsFeedback.service_id == service_id)
                .order_by(CdsFeedback.received_at.desc(), CdsFeedback.id.desc()).limit(limit))
        return list(self.session.scalars(stmt))

    def for_card(self, card_uuid: str) -> list[CdsFeedback]:
        """Every feedback item about one card, oldest first."""
        stmt = select(CdsFeedback).where(CdsFeedback.card_uuid == card_uuid).order_by(CdsFeedback.id)
        return list(self.session.scalars(stmt))
