"""Visits and outcome-measure results of an episode: CRUD scoped to the caller's clinic, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from palpa.store import NotFoundError
from palpa.store.models import MeasureResult, Visit
from palpa.web.deps import Caller, RecordId, Uow, commit_audited, expected_version
from palpa.web.schemas import NO_NUL, MeasureIn, MeasureOut, VisitIn, VisitOut, VisitPatch

router = APIRouter(prefix="/api", tags=["records"])
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}}
# Writes also answer 400 when the body is not JSON at all (and PATCH when If-Match is not an ETag).
BODY_ERRORS: dict[int | str, dict[str, object]] = {**ERRORS, 400: {}}
EDIT_ERRORS: dict[int | str, dict[str, object]] = {**BODY_ERRORS, 409: {}, 428: {}}


def _require_episode(uow: Uow, who: Caller, episode_id: int) -> None:
    if uow.episodes.get(who.clinic_id, episode_id) is None:
        raise NotFoundError("episode", episode_id)


def _visit(uow: Uow, who: Caller, visit_id: int) -> Visit:
    visit = uow.visits.get(who.clinic_id, visit_id)
    if visit is None:
        raise NotFoundError("visit", visit_id)
    return visit


def _measure(uow: Uow, who: Caller, result_id: int) -> MeasureResult:
    result = uow.measures.get(who.clinic_id, result_id)
    if result is None:
        raise NotFoundError("measure result", result_id)
    return result


@router.get("/episodes/{episode_id}/visits", response_model=list[VisitOut], responses=ERRORS)
def list_visits(episode_id: RecordId, who: Caller, uow: Uow) -> list[VisitOut]:
    """The episode's visits by number."""
    _require_episode(uow, who, episode_id)
    visits = uow.visits.list_for_episode(who.clinic_id, episode_id)
    commit_audited(uow, who, "read", "visit", detail=f"list for episode {episode_id}")
    return [VisitOut.model_validate(v) for v in visits]


@router.post("/episodes/{episode_id}/visits", status_code=201, response_model=VisitOut,
             responses={**BODY_ERRORS, 409: {}})
def create_visit(episode_id: RecordId, body: VisitIn, who: Caller, uow: Uow, response: Response) -> VisitOut:
    """Record a visit; 409 if the episode already has a visit with that number."""
    _require_episode(uow, who, episode_id)
    visit = uow.visits.add(who.clinic_id, episode_id, **body.model_dump())
    commit_audited(uow, who, "create", "visit", visit.id, response=response, version=visit.version,
                   location=f"/api/visits/{visit.id}")
    return VisitOut.model_validate(visit)


@router.get("/visits/{visit_id}", response_model=VisitOut, responses=ERRORS)
def get_visit(visit_id: RecordId, who: Caller, uow: Uow, response: Response) -> VisitOut:
    """One visit; the ETag is its version."""
    visit = _visit(uow, who, visit_id)
    commit_audited(uow, who, "read", "visit", visit_id, response=response, version=visit.version)
    return VisitOut.model_validate(visit)


@router.patch("/visits/{visit_id}", response_model=VisitOut, responses=EDIT_ERRORS)
def update_visit(visit_id: RecordId, body: VisitPatch, request: Request, who: Caller, uow: Uow,
                 response: Response) -> VisitOut:
    """Change a visit; 409 if someone else changed it since the version given."""
    version = expected_version(request, body.version)
    visit = uow.visits.update(who.clinic_id, visit_id, version,
                              **body.model_dump(exclude_unset=True, exclude={"version"}))
    commit_audited(uow, who, "update", "visit", visit_id, response=response, version=visit.version)
    return VisitOut.model_validate(visit)


@router.delete("/visits/{visit_id}", status_code=204, responses=ERRORS)
def delete_visit(visit_id: RecordId, who: Caller, uow: Uow) -> Response:
    """Delete a visit."""
    uow.visits.delete(who.clinic_id, visit_id)
    commit_audited(uow, who, "delete", "visit", visit_id)
    return Response(status_code=204)


@router.get("/episodes/{episode_id}/measures", response_model=list[MeasureOut], responses=ERRORS)
def list_measures(episode_id: RecordId, who: Caller, uow: Uow,
                  measure_id: Annotated[str | None, Query(max_length=50, pattern=NO_NUL)] = None,
                  ) -> list[MeasureOut]:
    """The episode's measure results by date, optionally of one measure."""
    _require_episode(uow, who, episode_id)
    results = uow.measures.list_for_episode(who.clinic_id, episode_id, measure_id)
    commit_audited(uow, who, "read", "measure_result", detail=f"list for episode {episode_id}")
    return [MeasureOut.model_validate(r) for r in results]


@router.post("/episodes/{episode_id}/measures", status_code=201, response_model=MeasureOut,
             responses=BODY_ERRORS)
def create_measure(episode_id: RecordId, body: MeasureIn, who: Caller, uow: Uow,
                   response: Response) -> MeasureOut:
    """Record an outcome-measure result."""
    result = uow.measures.add(who.clinic_id, episode_id, **body.model_dump())
    commit_audited(uow, who, "create", "measure_result", result.id,
                   location=f"/api/measures/{result.id}")
    return MeasureOut.model_validate(result)


@router.get("/measures/{result_id}", response_model=MeasureOut, responses=ERRORS)
def get_measure(result_id: RecordId, who: Caller, uow: Uow) -> MeasureOut:
    """One measure result."""
    result = _measure(uow, who, result_id)
    commit_audited(uow, who, "read", "measure_result", result_id)
    return MeasureOut.model_validate(result)


@router.delete("/measures/{result_id}", status_code=204, responses=ERRORS)
def delete_measure(result_id: RecordId, who: Caller, uow: Uow) -> Response:
    """Delete a measure result."""
    uow.measures.delete(who.clinic_id, result_id)
    commit_audited(uow, who, "delete", "measure_result", result_id)
    return Response(status_code=204)
