"""CDS Hooks: feedback (what clinicians did with cards) and the JWT ids already used by CDS Clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from palpa.store._base import Repository
from palpa.store.models import CdsFeedback, CdsUsedJti


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


class UsedJtiRepository(Repository):
    """JWT ids already accepted from CDS Clients, shared by every worker through the database."""

    def claim(self, key_hash: str, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """True when `key_hash` was not in use (now it is, until `expires_at`); False on a replay.

        Expired entries are dropped first, so an id may be used again once its token has expired.
        """
        self.session.execute(delete(CdsUsedJti).where(CdsUsedJti.expires_at <= now))
        if self.session.get(CdsUsedJti, key_hash) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(CdsUsedJti(key_hash=key_hash, expires_at=expires_at))
        except IntegrityError:  # another worker claimed it between the check and the insert
            return False
        return True
