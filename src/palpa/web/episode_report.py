"""The episode report over HTTP: summary, progress against MCID, triggers, SOAP notes, units, chart."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from palpa.core.billing import Method
from palpa.core.knowledge import KnowledgeBase
from palpa.reports.episode import EpisodeReport, build_report, chart, report_to_dict
from palpa.service import stored_episode
from palpa.web.deps import Caller, RecordId, Uow, commit_audited

router = APIRouter(prefix="/api", tags=["episode report"])
RULES: dict[str, Method] = {"cms": "cms_8_minute", "ama": "per_code"}
Rule = Annotated[Literal["cms", "ama"], Query(description="cms: Medicare 8-minute rule; ama: per code")]
ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 422: {}}


def _report(request: Request, who: Caller, uow: Uow, episode_id: int, rule: str,
            fmt: Literal["markdown", "text"] = "text") -> EpisodeReport:
    kb: KnowledgeBase = request.app.state.knowledge
    try:
        episode = stored_episode(uow, who.clinic_id, episode_id, kb)
        report = build_report(episode, kb, RULES[rule], fmt)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    commit_audited(uow, who, "read", "episode", episode_id, detail="report")
    return report


@router.get("/episodes/{episode_id}/report", responses=ERRORS)
def episode_report(request: Request, episode_id: RecordId, who: Caller, uow: Uow, rule: Rule = "cms",
                   soap_format: Annotated[Literal["text", "markdown"], Query()] = "text") -> dict[str, Any]:
    """The episode's report built from its stored visits and measures (422 names a record it cannot use)."""
    report = _report(request, who, uow, episode_id, rule, soap_format)
    return report_to_dict(report) | {"chart": {
        "svg": f"/api/episodes/{episode_id}/report/chart.svg",
        "png": f"/api/episodes/{episode_id}/report/chart.png"}}


@router.get("/episodes/{episode_id}/report/chart.{fmt}", responses=ERRORS | {
    200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
def episode_chart(request: Request, episode_id: RecordId, fmt: Literal["svg", "png"], who: Caller,
                  uow: Uow) -> Response:
    """The progress chart: each measure by visit with its MCID band and the reassessment triggers."""
    report = _report(request, who, uow, episode_id, "cms")
    kb: KnowledgeBase = request.app.state.knowledge
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    return Response(chart(report, kb, fmt), media_type=media, headers={"Cache-Control": "no-store"})
