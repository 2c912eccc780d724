"""Handout download: the patient handout of an episode's latest assessment, as PDF or HTML."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from palpa.reports.handout import (
    ClinicContact,
    HandoutError,
    build_handout,
    render_handout_html,
    render_handout_pdf,
)
from palpa.web.deps import Uow, commit_audited
from palpa.web.pages.common import Page, PageNotFound, knowledge, render
from palpa.web.pages.patients import episode_of

router = APIRouter(include_in_schema=False)


@router.get("/episodes/{episode_id}/handout.{fmt}")
def handout(request: Request, episode_id: int, fmt: Literal["pdf", "html"], who: Page, uow: Uow,
            page_size: Annotated[Literal["A4", "Letter"], Query()] = "A4") -> Response:
    """The handout of the episode's latest assessment (404 page when the episode has none)."""
    episode, patient = episode_of(uow, who, episode_id)
    rows = uow.assessments.list_for_episode(who.clinic_id, episode_id)
    if not rows:
        raise PageNotFound("assessment for this episode")
    clinic = uow.clinics.get(who.clinic_id)
    if clinic is None:
        raise PageNotFound("clinic")
    contact = ClinicContact(clinic.name, phone=clinic.phone or None, email=clinic.email or None,
                            address=clinic.address or None)
    try:
        doc = build_handout(rows[-1].assessment, knowledge(request), contact, patient_name=patient.name)
    except HandoutError as exc:
        return render(request, "pages/error.html",
                      {"title": "No handout", "message": f"The handout cannot be made: {exc}"},
                      status_code=422, who=who)
    commit_audited(uow, who, "export", "assessment", rows[-1].id, detail=f"handout {fmt} {page_size}")
    name = f"handout-episode-{episode.id}.{fmt}"
    if fmt == "html":
        return HTMLResponse(render_handout_html(doc, page_size),
                            headers={"Content-Disposition": f'inline; filename="{name}"'})
    return Response(render_handout_pdf(doc, page_size), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
