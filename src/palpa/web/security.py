"""Password hashing (argon2), random tokens stored as hashes, and sign-in rate limiting."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from palpa.store.auth_repo import SignInFailureRepository
from palpa.store.models import utcnow

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("palpa-dummy-password-for-constant-time")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True iff `password` matches; takes as long when there is no user (`password_hash` None)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


class SignInLimiter:
    """At most `max_failures` failed sign-ins per (address, email) within `window` seconds.

    The failures live in the database (table sign_in_failure, keyed by a hash), so the limit holds
    across worker processes and restarts; each call runs in its own short transaction.
    """

    def __init__(self, session_factory: sessionmaker[Session], max_failures: int = 5,
                 window: float = 300.0, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.session_factory, self.max_failures, self.clock = session_factory, max_failures, clock
        self.window = dt.timedelta(seconds=window)

    @staticmethod
    def _key(key: tuple[str, str]) -> str:
        return token_hash("\x1f".join((key[0], key[1].strip().lower())))

    def retry_after(self, key: tuple[str, str]) -> int:
        """Seconds until another attempt is allowed for `key`; 0 when allowed now."""
        now = self.clock()
        with self.session_factory() as session:
            count, oldest = SignInFailureRepository(session).recent(self._key(key), now - self.window)
        if count < self.max_failures or oldest is None:
            return 0
        return max(1, math.ceil((oldest + self.window - now).total_seconds()))

    def fail(self, key: tuple[str, str]) -> None:
        """Record a failed attempt."""
        now = self.clock()
        with self.session_factory() as session:
            SignInFailureRepository(session).add(self._key(key), now, now - self.window)
            session.commit()

    def reset(self, key: tuple[str, str]) -> None:
        """Forget the failures of `key` (after a successful sign-in)."""
        with self.session_factory() as session:
            SignInFailureRepository(session).clear(self._key(key))
            session.commit()
