"""Auth tokens: issue, look up by hash, revoke; the raw token is never stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from palpa.store._base import Repository
from palpa.store.models import AuthToken, User, utcnow


class TokenRepository(Repository):
    """Sessions and API tokens, stored as SHA-256 hashes of high-entropy random tokens."""

    def issue(self, user: User, kind: str, token_hash: str, ttl: dt.timedelta,
              csrf_hash: str | None = None) -> AuthToken:
        """Store a new token for `user` valid for `ttl`."""
        now = utcnow()
        row = AuthToken(token_hash=token_hash, user_id=user.id, clinic_id=user.clinic_id, kind=kind,
                        csrf_hash=csrf_hash, created_at=now, expires_at=now + ttl, revoked=False)
        self.session.add(row)
        self.session.flush()
        return row

    def active(self, token_hash: str, kind: str) -> tuple[AuthToken, User] | None:
        """The unrevoked, unexpired token of this kind with its active user, or None."""
        row = self.session.execute(
            select(AuthToken, User).join(User, User.id == AuthToken.user_id)
            .where(AuthToken.token_hash == token_hash, AuthToken.kind == kind,
                   AuthToken.revoked.is_(False), User.active.is_(True))).first()
        if row is None or row[0].expires_at <= utcnow():
            return None
        return row[0], row[1]

    def revoke(self, token_id: int) -> None:
        """Revoke one token."""
        self.session.execute(update(AuthToken).where(AuthToken.id == token_id).values(revoked=True))
