"""Request models (strict: no string is accepted for a number, no unknown field) and response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _iso_date(value: object) -> object:
    """A date from an ISO 8601 'YYYY-MM-DD' string only (never a number read as a timestamp)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("a date must be a string YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None


# JSON has no date type: dates alone are read from ISO strings; every other field stays strict.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
# Text of a query parameter: any character but NUL.
NO_NUL = "^[^\\x00]*$"
# Version and visit numbers are stored as 32-bit integers; ids as 64-bit ones.
INT32_MAX = 2**31 - 1
Version = Annotated[int, Field(ge=1, le=INT32_MAX)]
Count = Annotated[int, Field(ge=1, le=INT32_MAX)]
ClinicId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def nul_path(value: Any, where: str) -> str | None:
    """The path of the first text (key or value) holding NUL, which PostgreSQL cannot store; else None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = nul_path(key, f"{where}.{key!r}") or nul_path(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{where}[{index}]")
            if found:
                return found
    return None


class StrictModel(BaseModel):
    """Base of every request body."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_character(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                where = nul_path(value, str(key))
                if where:
                    raise ValueError(f"field '{where}': text may not contain the NUL character (\\u0000)")
        return data


class SignIn(StrictModel):
    """Credentials; the clinic (its slug, or `clinic_id`) is needed only when the email is used in
    several clinics."""

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]
    clinic: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    clinic_id: ClinicId | None = None


class ErrorOut(BaseModel):
    """An error: a message, or (for a request that fails validation) a list of errors naming each field."""

    detail: str | list[dict[str, Any]]


class SignedIn(BaseModel):
    """The signed-in user, a bearer token for programs and the CSRF token for cookie writes."""

    user_id: int
    clinic_id: int
    clinic: str
    email: str
    role: str
    api_token: str
    csrf_token: str


class PatientIn(StrictModel):
    """A new patient."""

    name: Name
    date_of_birth: IsoDate | None = None
    sex: Annotated[str, Field(max_length=20)] | None = None
    external_ref: Annotated[str, Field(max_length=100)] | None = None


class PatientPatch(StrictModel):
    """Changes to a patient; `version` (or If-Match) is the version being edited."""

    name: Name | None = None
    date_of_birth: IsoDate | None = None
    sex: Annotated[str, Field(max_length=20)] | None = None
    external_ref: Annotated[str, Field(max_length=100)] | None = None
    version: Version | None = None


class PatientOut(BaseModel):
    """A patient."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    date_of_birth: dt.date | None
    sex: str | None
    external_ref: str | None
    version: int


class PatientPage(BaseModel):
    """One page of patients."""

    items: list[PatientOut]
    total: int
    limit: int
    offset: int


class EpisodeIn(StrictModel):
    """A new episode of care."""

    region: Annotated[str, Field(min_length=1, max_length=50)]
    start_date: IsoDate
    status: Annotated[str, Field(min_length=1, max_length=20)] = "open"


class EpisodePatch(StrictModel):
    """Changes to an episode."""

    region: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    start_date: IsoDate | None = None
    status: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    version: Version | None = None


class EpisodeOut(BaseModel):
    """An episode."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    region: str
    start_date: dt.date
    status: str
    version: int


class VisitIn(StrictModel):
    """A new visit."""

    number: Count
    date: IsoDate
    data: dict[str, Any] = Field(default_factory=dict)


class VisitPatch(StrictModel):
    """Changes to a visit."""

    number: Count | None = None
    date: IsoDate | None = None
    data: dict[str, Any] | None = None
    version: Version | None = None


class VisitOut(BaseModel):
    """A visit."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    episode_id: int
    number: int
    date: dt.date
    data: dict[str, Any]
    version: int


class MeasureIn(StrictModel):
    """A new outcome-measure result."""

    measure_id: Annotated[str, Field(min_length=1, max_length=50)]
    score: dict[str, Any]
    date: IsoDate
    visit_number: Count | None = None


class MeasureOut(BaseModel):
    """An outcome-measure result."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    episode_id: int
    measure_id: str
    score: dict[str, Any]
    date: dt.date
    visit_number: int | None


class AuditOut(BaseModel):
    """An audit event."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    user_id: int | None
    clinic_id: int | None
    action: str
    record_type: str
    record_id: str | None
    remote_addr: str | None
    detail: str | None
