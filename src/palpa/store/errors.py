"""Errors raised by the store; the web layer maps NotFoundError to 404 and ConflictError to 409."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every store error."""


class NotFoundError(StoreError):
    """The record does not exist in the caller's clinic (records of other clinics are never revealed)."""

    def __init__(self, record: str, record_id: int) -> None:
        self.record, self.record_id = record, record_id
        super().__init__(f"{record} {record_id} not found")


class ConflictError(StoreError):
    """The record was changed by someone else since the caller read it (optimistic locking)."""

    def __init__(self, record: str, record_id: int, expected: int, stored: int) -> None:
        self.record, self.record_id = record, record_id
        self.expected_version, self.stored_version = expected, stored
        super().__init__(
            f"{record} {record_id} was modified by someone else: you edited version {expected}, "
            f"the stored version is {stored}; reload it and apply your changes again"
        )
