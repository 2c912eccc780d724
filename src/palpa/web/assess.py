"""POST /api/assess: the shared assess use case over HTTP, stored when tied to an episode."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from palpa.codec import CaseError, assessment_to_dict
from palpa.core.knowledge import KnowledgeBase
from palpa.service import assess_json_case
from palpa.store import NotFoundError
from palpa.web.deps import MAX_RECORD_ID, Caller, RecordId, Uow, commit_audited
from palpa.web.schemas import nul_path

router = APIRouter(prefix="/api", tags=["assess"])
CASE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "description": "a contract case (see docs/contract)"}}}}}


async def raw_body(request: Request) -> bytes:
    """The request body as bytes."""
    return await request.body()


@router.post("/assess", openapi_extra=CASE_BODY, responses={401: {}, 403: {}, 404: {}, 422: {}})
def assess_case(request: Request, who: Caller, uow: Uow, body: Annotated[bytes, Depends(raw_body)],
                episode_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None) -> JSONResponse:
    """Assess a contract case; with `episode_id` the assessment is stored with its knowledge version."""
    kb: KnowledgeBase = request.app.state.knowledge
    try:
        assessment = assessment_to_dict(assess_json_case(body, kb), kb)
    except CaseError as exc:
        raise HTTPException(422, str(exc)) from None
    headers = {}
    if episode_id is not None:
        if uow.episodes.get(who.clinic_id, episode_id) is None:
            raise NotFoundError("episode", episode_id)
        case = orjson.loads(body)
        where = nul_path(case, "case")
        if where:
            raise HTTPException(422, f"field '{where}': text may not contain the NUL character (\\u0000)")
        row = uow.assessments.save(who.clinic_id, assessment, case=case, episode_id=episode_id,
                                   knowledge_version=kb.version)
        commit_audited(uow, who, "create", "assessment", row.id)
        headers["Location"] = f"/api/assessments/{row.id}"
        headers["X-Assessment-Id"] = str(row.id)
    return JSONResponse(assessment, headers=headers)


@router.get("/assessments/{assessment_id}", responses={401: {}, 403: {}, 404: {}})
def get_assessment(assessment_id: RecordId, who: Caller, uow: Uow) -> dict[str, Any]:
    """A stored assessment with its case and knowledge version."""
    row = uow.assessments.get(who.clinic_id, assessment_id)
    if row is None:
        raise NotFoundError("assessment", assessment_id)
    commit_audited(uow, who, "read", "assessment", assessment_id)
    return {"id": row.id, "episode_id": row.episode_id, "knowledge_version": row.knowledge_version,
            "created_at": row.created_at.isoformat(), "case": row.case, "assessment": row.assessment}
