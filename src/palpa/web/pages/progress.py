"""Progress page: each measure against its MCID, the reassessment alerts and the chart (inline SVG)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from palpa.reports.episode import build_report, chart
from palpa.service import stored_episode
from palpa.web.deps import Uow, commit_audited
from palpa.web.pages.common import Page, knowledge, render
from palpa.web.pages.patients import episode_of

router = APIRouter(include_in_schema=False)
CHART_TITLE = "Progress chart: each measure by visit with its MCID band and reassessment alerts"
_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


def inline_svg(svg: bytes, title: str) -> Markup:
    """The chart's SVG for inlining in HTML: prolog dropped, labelled as an image with `title`."""
    text = _PROLOG.sub("", svg.decode("utf-8"), count=1)
    escaped = Markup.escape(title)
    return Markup(text.replace("<svg ", f'<svg role="img" aria-label="{escaped}" ', 1))


@router.get("/episodes/{episode_id}/progress", response_class=HTMLResponse)
def progress_page(request: Request, episode_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """The episode's progress from its stored visits and measures; a record that cannot be used is named."""
    episode, patient = episode_of(uow, who, episode_id)
    kb = knowledge(request)
    report = svg = problem = None
    try:
        report = build_report(stored_episode(uow, who.clinic_id, episode_id, kb), kb)
        if report.episode.measures:
            svg = inline_svg(chart(report, kb, "svg"), CHART_TITLE)
    except ValueError as exc:
        problem = str(exc)
    commit_audited(uow, who, "read", "episode", episode_id, detail="progress")
    names = {k: m.name for k, m in kb.measures.items()}
    return render(request, "pages/progress.html",
                  {"episode": episode, "patient": patient, "report": report, "svg": svg, "problem": problem,
                   "measure_names": names}, who=who)
