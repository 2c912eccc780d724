"""Measure pages: enter an outcome measure's numbered answers with a live score (htmx) and store the
result on a visit of the episode. Only instruments with one total score are offered here, since the
episode's progress charts a single number per result (the FABQ's two subscales are entered at intake)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palpa.core.measures import MeasureDef, MeasureError, score
from palpa.score_cli import score_to_dict
from palpa.web.deps import Uow, commit_audited
from palpa.web.pages.common import Form, Page, PageNotFound, knowledge, render
from palpa.web.pages.forms import FormReader
from palpa.web.pages.patients import episode_of

router = APIRouter(include_in_schema=False)


def single_score_measures(request: Request) -> dict[str, MeasureDef]:
    """The instruments with one total score, by id."""
    return {k: m for k, m in knowledge(request).measures.items() if m.scoring != "subscales"}


def _measure(request: Request, measure_id: str) -> MeasureDef:
    measure = single_score_measures(request).get(measure_id)
    if measure is None:
        raise PageNotFound("measure")
    return measure


def read_answers(reader: FormReader, measure: MeasureDef) -> list[float | None]:
    """The item answers in order (None for a blank); trailing blanks dropped where the count varies."""
    answers: list[float | None] = []
    for item in range(1, measure.items_max + 1):
        answers.append(reader.number(f"item-{item}", f"item {item}", low=-1000, high=1000))
    if measure.items_min < measure.items_max:
        while len(answers) > measure.items_min and answers[-1] is None:
            answers.pop()
    return answers


def score_answers(measure: MeasureDef, reader: FormReader) -> dict[str, Any] | None:
    """The score as stored (score_to_dict plus the answers), or None with the error on `reader`."""
    answers = read_answers(reader, measure)
    if reader.errors:
        return None
    try:
        result = score(measure, answers)
    except MeasureError as exc:
        message = f"{exc.problem[:1].upper()}{exc.problem[1:]}."
        reader.fail(f"item-{exc.item}" if exc.item else "answers", message)
        return None
    return score_to_dict(measure, result) | {"answers": answers}


@router.get("/episodes/{episode_id}/measures/new", response_class=HTMLResponse)
def new_measure_page(request: Request, episode_id: int, who: Page, uow: Uow,
                     measure: Annotated[str, Query(max_length=50)] = "") -> HTMLResponse:
    """Choose an instrument, then enter its answers."""
    episode, patient = episode_of(uow, who, episode_id)
    chosen = _measure(request, measure) if measure else None
    visits = uow.visits.list_for_episode(who.clinic_id, episode_id)
    commit_audited(uow, who, "read", "episode", episode_id, detail="measure form")
    values = {"date": dt.date.today().isoformat(), "visit_number": str(visits[-1].number) if visits else ""}
    return render(request, "pages/measure_new.html",
                  {"episode": episode, "patient": patient, "measures": single_score_measures(request),
                   "measure": chosen, "visits": visits, "values": values, "errors": {}, "result": None},
                  who=who)


@router.post("/measures/{measure_id}/score", response_class=HTMLResponse)
def live_score(request: Request, measure_id: str, who: Page, form: Form) -> HTMLResponse:
    """The score box for the answers typed so far (htmx swaps it in as the clinician types)."""
    measure = _measure(request, measure_id)
    reader = FormReader(form)
    result = score_answers(measure, reader)
    return render(request, "pages/_score.html",
                  {"measure": measure, "result": result, "errors": reader.errors}, who=who)


@router.post("/episodes/{episode_id}/measures/new", response_class=HTMLResponse)
def new_measure(request: Request, episode_id: int, who: Page, uow: Uow, form: Form,
                measure: Annotated[str, Query(max_length=50)] = "") -> Response:
    """Score and store the result on a visit; errors come back next to the item, input kept."""
    episode, patient = episode_of(uow, who, episode_id)
    chosen = _measure(request, measure)
    visits = uow.visits.list_for_episode(who.clinic_id, episode_id)
    reader = FormReader(form)
    day = reader.date("date", "the date", required=True, not_after=dt.date.today() + dt.timedelta(days=1))
    visit_number = reader.choice("visit_number", "visit", [str(v.number) for v in visits], required=True)
    if not visits:
        reader.fail("visit_number", "Record a visit first: each result belongs to a visit.")
    result = score_answers(chosen, reader)
    if reader.errors or result is None or day is None or visit_number is None:
        return render(request, "pages/measure_new.html",
                      {"episode": episode, "patient": patient, "measures": single_score_measures(request),
                       "measure": chosen, "visits": visits, "values": reader.values(),
                       "errors": reader.errors, "result": result}, status_code=422, who=who)
    row = uow.measures.add(who.clinic_id, episode_id, chosen.id, result, day, int(visit_number))
    commit_audited(uow, who, "create", "measure_result", row.id)
    return RedirectResponse(f"/episodes/{episode_id}/progress", status_code=303)
