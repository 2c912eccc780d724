"""Auth tokens (issue, look up by hash, revoke; the raw token is never stored) and sign-in failures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update

from palpa.store._base import Repository
from palpa.store.models import AuthToken, SignInFailure, User, utcnow


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


class SignInFailureRepository(Repository):
    """Failed sign-in attempts per key hash, kept in the database so that every worker sees them."""

    def recent(self, key_hash: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
        """How many failures `key_hash` has since `since`, and the oldest of them."""
        count, oldest = self.session.execute(
            select(func.count(), func.min(SignInFailure.at))
            .where(SignInFailure.key_hash == key_hash, SignInFailure.at > since)).one()
        return int(count), oldest

    def add(self, key_hash: str, at: dt.datetime, prune_before: dt.datetime) -> None:
        """Record a failure at `at`, dropping this key's failures older than `prune_before`."""
        self.session.execute(delete(SignInFailure).where(SignInFailure.key_hash == key_hash,
                                                         SignInFailure.at <= prune_before))
        self.session.add(SignInFailure(key_hash=key_hash, at=at))
        self.session.flush()

    def clear(self, key_hash: str) -> None:
        """Forget every failure of `key_hash`."""
        self.session.execute(delete(SignInFailure).where(SignInFailure.key_hash == key_hash))
