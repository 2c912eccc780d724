"""Shared repository machinery: pages, clinic-scoped get, versioned update and delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from palpa.store.errors import ConflictError, NotFoundError
from palpa.store.models import Episode, MeasureResult, Patient, Visit, utcnow

T = TypeVar("T")
V = TypeVar("V", Patient, Episode, Visit)
MAX_PAGE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: the items, the total number matching, and the window asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int


def versioned_update(session: Session, model: type[V], label: str, clinic_id: int, record_id: int,
                      expected: int, changes: Mapping[str, Any], allowed: frozenset[str]) -> V:
    """Apply `changes` iff the stored version is `expected`; else ConflictError (NotFoundError if absent)."""
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot update {label} field(s): {', '.join(sorted(unknown))}")
    values = dict(changes, version=expected + 1)
    if hasattr(model, "updated_at"):
        values["updated_at"] = utcnow()
    stmt = (update(model)
            .where(model.id == record_id, model.clinic_id == clinic_id, model.version == expected)
            .values(**values).execution_options(synchronize_session=False))
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        stored = session.scalar(select(model.version).where(model.id == record_id,
                                                            model.clinic_id == clinic_id))
        if stored is None:
            raise NotFoundError(label, record_id)
        raise ConflictError(label, record_id, expected, stored)
    obj = session.get(model, record_id, populate_existing=True)
    assert obj is not None
    return obj


def delete_scoped(session: Session, model: type[Patient | Episode | Visit | MeasureResult], label: str,
            clinic_id: int, record_id: int) -> None:
    """Delete the record of `clinic_id` (children go by ON DELETE CASCADE); NotFoundError if absent."""
    stmt = delete(model).where(model.id == record_id, model.clinic_id == clinic_id)
    if session.execute(stmt.execution_options(synchronize_session=False)).rowcount != 1:  # type: ignore[attr-defined]
        raise NotFoundError(label, record_id)


def get_scoped(session: Session, model: type[T], clinic_id: int, record_id: int) -> T | None:
    """The record with `record_id` if it belongs to `clinic_id`, else None."""
    obj = session.get(model, record_id)
    return obj if obj is not None and getattr(obj, "clinic_id", None) == clinic_id else None


class Repository:
    """A repository working in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _page(self, stmt: Select[Any], limit: int, offset: int) -> Page[Any]:
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise ValueError(f"limit must be in 1..{MAX_PAGE} and offset >= 0")
        total = self.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        items = list(self.session.scalars(stmt.limit(limit).offset(offset)))
        return Page(items, total, limit, offset)
