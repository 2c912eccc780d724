"""Patients and their episodes of care: CRUD scoped to the caller's clinic, audited, version-checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from palpa.store import NotFoundError
from palpa.store.models import Episode, Patient
from palpa.web.deps import Caller, RecordId, Uow, commit_audited, expected_version
from palpa.web.schemas import (
    INT32_MAX,
    NO_NUL,
    EpisodeIn,
    EpisodeOut,
    EpisodePatch,
    IsoDate,
    PatientIn,
    PatientOut,
    PatientPage,
    PatientPatch,
)

router = APIRouter(prefix="/api", tags=["patients"])
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}}
# Writes also answer 400 when the body is not JSON at all (and PATCH when If-Match is not an ETag).
BODY_ERRORS: dict[int | str, dict[str, object]] = {**ERRORS, 400: {}}
EDIT_ERRORS: dict[int | str, dict[str, object]] = {**BODY_ERRORS, 409: {}, 428: {}}


def _patient(uow: Uow, who: Caller, patient_id: int) -> Patient:
    patient = uow.patients.get(who.clinic_id, patient_id)
    if patient is None:
        raise NotFoundError("patient", patient_id)
    return patient


def _episode(uow: Uow, who: Caller, episode_id: int) -> Episode:
    episode = uow.episodes.get(who.clinic_id, episode_id)
    if episode is None:
        raise NotFoundError("episode", episode_id)
    return episode


@router.get("/patients", response_model=PatientPage, responses=ERRORS)
def list_patients(who: Caller, uow: Uow,
                  name: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
                  born_from: IsoDate | None = None, born_to: IsoDate | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0) -> PatientPage:
    """Patients of the clinic by name, filtered by name substring and date-of-birth range."""
    page = uow.patients.list(who.clinic_id, name=name, born_from=born_from, born_to=born_to,
                             limit=limit, offset=offset)
    commit_audited(uow, who, "read", "patient", detail=f"list of {len(page.items)}")
    return PatientPage(items=[PatientOut.model_validate(p) for p in page.items], total=page.total,
                       limit=page.limit, offset=page.offset)


@router.post("/patients", status_code=201, response_model=PatientOut, responses=BODY_ERRORS)
def create_patient(body: PatientIn, who: Caller, uow: Uow, response: Response) -> PatientOut:
    """Create a patient."""
    patient = uow.patients.add(who.clinic_id, **body.model_dump())
    commit_audited(uow, who, "create", "patient", patient.id, response=response, version=patient.version,
                   location=f"/api/patients/{patient.id}")
    return PatientOut.model_validate(patient)


@router.get("/patients/{patient_id}", response_model=PatientOut, responses=ERRORS)
def get_patient(patient_id: RecordId, who: Caller, uow: Uow, response: Response) -> PatientOut:
    """One patient; the ETag is its version."""
    patient = _patient(uow, who, patient_id)
    commit_audited(uow, who, "read", "patient", patient_id, response=response, version=patient.version)
    return PatientOut.model_validate(patient)


@router.patch("/patients/{patient_id}", response_model=PatientOut, responses=EDIT_ERRORS)
def update_patient(patient_id: RecordId, body: PatientPatch, request: Request, who: Caller, uow: Uow,
                   response: Response) -> PatientOut:
    """Change a patient; 409 if it changed since the version given."""
    version = expected_version(request, body.version)
    patient = uow.patients.update(who.clinic_id, patient_id, version,
                                  **body.model_dump(exclude_unset=True, exclude={"version"}))
    commit_audited(uow, who, "update", "patient", patient_id, response=response, version=patient.version)
    return PatientOut.model_validate(patient)


@router.delete("/patients/{patient_id}", status_code=204, responses=ERRORS)
def delete_patient(patient_id: RecordId, who: Caller, uow: Uow) -> Response:
    """Delete a patient with all their records."""
    uow.patients.delete(who.clinic_id, patient_id)
    commit_audited(uow, who, "delete", "patient", patient_id)
    return Response(status_code=204)


@router.get("/patients/{patient_id}/episodes", response_model=list[EpisodeOut], responses=ERRORS)
def list_episodes(patient_id: RecordId, who: Caller, uow: Uow) -> list[EpisodeOut]:
    """The patient's episodes, oldest first."""
    _patient(uow, who, patient_id)
    episodes = uow.episodes.list_for_patient(who.clinic_id, patient_id)
    commit_audited(uow, who, "read", "episode", detail=f"list for patient {patient_id}")
    return [EpisodeOut.model_validate(e) for e in episodes]


@router.post("/patients/{patient_id}/episodes", status_code=201, response_model=EpisodeOut,
             responses=BODY_ERRORS)
def create_episode(patient_id: RecordId, body: EpisodeIn, who: Caller, uow: Uow,
                   response: Response) -> EpisodeOut:
    """Open an episode of care for the patient."""
    episode = uow.episodes.add(who.clinic_id, patient_id, **body.model_dump())
    commit_audited(uow, who, "create", "episode", episode.id, response=response, version=episode.version,
                   location=f"/api/episodes/{episode.id}")
    return EpisodeOut.model_validate(episode)


@router.get("/episodes/{episode_id}", response_model=EpisodeOut, responses=ERRORS)
def get_episode(episode_id: RecordId, who: Caller, uow: Uow, response: Response) -> EpisodeOut:
    """One episode."""
    episode = _episode(uow, who, episode_id)
    commit_audited(uow, who, "read", "episode", episode_id, response=response, version=episode.version)
    return EpisodeOut.model_validate(episode)


@router.patch("/episodes/{episode_id}", response_model=EpisodeOut, responses=EDIT_ERRORS)
def update_episode(episode_id: RecordId, body: EpisodePatch, request: Request, who: Caller, uow: Uow,
                   response: Response) -> EpisodeOut:
    """Change an episode; 409 if it changed since the version given."""
    version = expected_version(request, body.version)
    episode = uow.episodes.update(who.clinic_id, episode_id, version,
                                  **body.model_dump(exclude_unset=True, exclude={"version"}))
    commit_audited(uow, who, "update", "episode", episode_id, response=response, version=episode.version)
    return EpisodeOut.model_validate(episode)


@router.delete("/episodes/{episode_id}", status_code=204, responses=ERRORS)
def delete_episode(episode_id: RecordId, who: Caller, uow: Uow) -> Response:
    """Delete an episode with its visits, measures and assessments."""
    uow.episodes.delete(who.clinic_id, episode_id)
    commit_audited(uow, who, "delete", "episode", episode_id)
    return Response(status_code=204)
