"""Form reading with errors per field: each reader returns the value or records a message under the field.

Pages show `errors[field]` next to the control and send the submitted values back, so nothing typed is
lost. A blank optional field is None; a blank required field is an error naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TypeVar

from starlette.datastructures import FormData

N = TypeVar("N", int, float)


def _shown(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


class FormReader:
    """Reads typed values from submitted form fields, collecting one error message per field."""

    def __init__(self, form: FormData | Mapping[str, str]) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        """The field as submitted, stripped ('' when absent)."""
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def values(self) -> dict[str, str]:
        """Every single-valued field as submitted (to fill the form again)."""
        return {k: v for k, v in self.form.items() if isinstance(v, str)}

    def many(self, name: str) -> list[str]:
        """Every value of a multi-valued field (checkboxes), in order, blanks dropped."""
        if isinstance(self.form, FormData):
            return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]
        single = self.raw(name)
        return [single] if single else []

    def fail(self, name: str, message: str) -> None:
        """Record an error for a field (the first one given is kept)."""
        self.errors.setdefault(name, message)

    def text(self, name: str, what: str, *, required: bool = False, max_length: int = 200) -> str | None:
        """A text field: required and length-checked."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Enter {what}.")
            return None
        if len(value) > max_length:
            self.fail(name, f"{what[:1].upper()}{what[1:]} must be at most {max_length} characters "
                            f"(it has {len(value)}).")
            return None
        return value

    def integer(self, name: str, what: str, *, low: int, high: int, required: bool = False) -> int | None:
        """A whole number in [low, high]."""
        number = self._number(name, what, int, "a whole number", required)
        return None if number is None else self._within(name, what, int(number), low, high)

    def number(self, name: str, what: str, *, low: float, high: float,
               required: bool = False) -> float | None:
        """A number (decimals allowed) in [low, high]."""
        number = self._number(name, what, float, "a number", required)
        return None if number is None else self._within(name, what, number, low, high)

    def _number(self, name: str, what: str, kind: type[int] | type[float], kind_text: str,
                required: bool) -> float | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Enter {what}.")
            return None
        try:
            return kind(value)
        except ValueError:
            self.fail(name, f"{what[:1].upper()}{what[1:]} must be {kind_text}, not {value!r}.")
            return None

    def _within(self, name: str, what: str, number: N, low: float, high: float) -> N | None:
        if not low <= number <= high:
            self.fail(name, f"{what[:1].upper()}{what[1:]} must be between {_shown(low)} and {_shown(high)}.")
            return None
        return number

    def date(self, name: str, what: str, *, required: bool = False, not_after: dt.date | None = None,
             not_before: dt.date | None = None) -> dt.date | None:
        """An ISO date (YYYY-MM-DD, what a date input sends), optionally within bounds."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Enter {what}.")
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{what[:1].upper()}{what[1:]} must be a date like 2025-03-01.")
            return None
        if not_after is not None and day > not_after:
            self.fail(name, f"{what[:1].upper()}{what[1:]} cannot be after {not_after.isoformat()}.")
            return None
        if not_before is not None and day < not_before:
            self.fail(name, f"{what[:1].upper()}{what[1:]} cannot be before {not_before.isoformat()}.")
            return None
        return day

    def choice(self, name: str, what: str, allowed: Iterable[str], *, required: bool = False) -> str | None:
        """One of the allowed codes."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Choose {what}.")
            return None
        if value not in set(allowed):
            self.fail(name, f"{value!r} is not a valid {what}.")
            return None
        return value

    def lines(self, name: str, *, max_length: int = 2000) -> list[str]:
        """A textarea as its non-blank lines."""
        value = self.raw(name)
        if len(value) > max_length:
            self.fail(name, f"At most {max_length} characters (it has {len(value)}).")
            return []
        return [line.strip() for line in value.splitlines() if line.strip()]
