"""A stored episode as a FHIR R4 Bundle (Patient, Condition, Observations, Procedures, CarePlan...)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from palpa.core.knowledge import KnowledgeBase
from palpa.interop.fhir_export import ExportError, PatientDetails, birth_date_for_age, bundle_for_episode
from palpa.service import stored_episode
from palpa.store import NotFoundError
from palpa.web.deps import Caller, RecordId, Uow, commit_audited

router = APIRouter(prefix="/api", tags=["fhir"])
FHIR_JSON = "application/fhir+json"


@router.get("/episodes/{episode_id}/fhir", responses={
    200: {"content": {FHIR_JSON: {}}}, 401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
def episode_bundle(request: Request, episode_id: RecordId, who: Caller, uow: Uow) -> JSONResponse:
    """The episode with its intake case and assessment as a validated R4 collection Bundle.

    409 when the episode has no stored intake assessment (POST /api/assess?episode_id=... first).
    """
    kb: KnowledgeBase = request.app.state.knowledge
    try:
        episode = stored_episode(uow, who.clinic_id, episode_id, kb)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    stored = uow.assessments.list_for_episode(who.clinic_id, episode_id)
    if not stored:
        raise HTTPException(409, f"episode {episode_id} has no stored intake assessment to export; "
                                 "assess its intake case with POST /api/assess?episode_id=...")
    intake = stored[0]
    row = uow.episodes.get(who.clinic_id, episode_id)
    patient = uow.patients.get(who.clinic_id, row.patient_id) if row is not None else None
    if patient is None:
        raise NotFoundError("episode", episode_id)
    case: dict[str, Any] = intake.case
    sex = patient.sex if patient.sex in ("female", "male", "other") else case.get("sex", "other")
    born = patient.date_of_birth or birth_date_for_age(int(case.get("age", 0)), episode.start)
    details = PatientDetails(id=f"patient-{patient.id}", birth_date=born, sex=sex, name=patient.name)
    try:
        bundle = bundle_for_episode(episode, case, intake.assessment, details)
    except ExportError as exc:
        raise HTTPException(422, f"episode {episode_id}: {exc}") from None
    commit_audited(uow, who, "export", "episode", episode_id, detail="fhir")
    return JSONResponse(bundle, media_type=FHIR_JSON)
