"""Visit pages: record a visit (techniques applied, minutes, exercises, response) in the shape of a
visit of src/palpa/data/demo_episode.json, and show it with its SOAP note and billing units."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palpa.core.episode import ADVERSE_SEVERITIES, GRADES, Visit, validate_visit
from palpa.core.knowledge import KnowledgeBase
from palpa.core.screening import red_flag_codes
from palpa.knowledge.episode_loader import load_billing
from palpa.reports.episode import build_report
from palpa.service import stored_episode
from palpa.store.models import Episode, Patient
from palpa.web.deps import Uow, commit_audited
from palpa.web.pages.common import Form, Page, PageNotFound, knowledge, label, render
from palpa.web.pages.forms import FormReader
from palpa.web.pages.patients import episode_of, patient_of

router = APIRouter(include_in_schema=False)
MIN_ROWS = 3
MAX_MINUTES = 240
NOT_GIVEN = "Enter the minutes, or choose — as the {} if it was not {}."
SINCE_LAST = (("better", "Better"), ("same", "About the same"), ("worse", "Worse"))


def latest_plan(uow: Uow, clinic_id: int, episode_id: int) -> dict[str, Any] | None:
    """The plan of the episode's latest stored assessment (None if none has a plan)."""
    rows = uow.assessments.list_for_episode(clinic_id, episode_id)
    plan = rows[-1].assessment.get("plan") if rows else None
    return plan if isinstance(plan, dict) else None


def _options(kb: KnowledgeBase, region: str) -> dict[str, Any]:
    exercises = kb.exercises_by_region.get(region) or kb.exercises
    catalogue = load_billing()
    return {
        "techniques": [(t, label(t)) for t in kb.vocabulary.techniques],
        "grades": [(g, g) for g in GRADES],
        "exercise_options": [(e.id, e.name) for e in exercises],
        "evaluation_codes": [(c, f"{c} {v.name}") for c, v in catalogue.codes.items() if not v.timed],
        "since_last": SINCE_LAST,
        "severities": [(s, label(s)) for s in ADVERSE_SEVERITIES],
        "new_finding_options": _new_finding_options(kb),
    }


def _new_finding_options(kb: KnowledgeBase) -> list[tuple[str, str, str]]:
    """(code, label, definition) of every red-flag finding, then the others: what may be new at a visit."""
    flags = red_flag_codes(kb)
    codes = sorted(kb.vocabulary.findings, key=lambda c: (c not in flags, label(c)))
    return [(c, label(c), kb.vocabulary.definitions.get(c, "")) for c in codes]


def _defaults(uow: Uow, who: Page, episode: Episode, number: int) -> tuple[dict[str, str], int, int]:
    """Form values prefilled from the latest plan: its techniques and exercises with their doses."""
    values: dict[str, str] = {"date": dt.date.today().isoformat(), "number": str(number)}
    plan = latest_plan(uow, who.clinic_id, episode.id) or {}
    for i, m in enumerate(plan.get("manual_therapy") or []):
        values[f"tech-{i}-technique"] = str(m.get("technique", ""))
        grades = m.get("grades") or []
        if grades:
            values[f"tech-{i}-grade"] = str(grades[-1])
    for i, e in enumerate(plan.get("exercise") or []):
        values[f"ex-{i}-id"] = str(e.get("id", ""))
        values[f"ex-{i}-dose"] = str(e.get("dose", ""))
    home = plan.get("home_program") or []
    if home:
        values["home_program"] = "\n".join(str(h) for h in home)
    return values, max(MIN_ROWS, len(plan.get("manual_therapy") or []) + 1), \
        max(MIN_ROWS, len(plan.get("exercise") or []) + 1)


def _rows(reader: FormReader, prefix: str) -> int:
    indices = [int(k.split("-")[1]) for k in reader.values() if k.startswith(prefix + "-")
               and k.split("-")[1].isdigit()]
    return max(indices, default=-1) + 1


def read_visit(reader: FormReader, kb: KnowledgeBase, episode: Episode, number: int,
               earliest: dt.date) -> dict[str, Any]:
    """The visit document the form describes; problems are recorded on `reader` by field."""
    data: dict[str, Any] = {"number": number}
    day = reader.date("date", "the visit date", required=True, not_before=earliest,
                      not_after=dt.date.today() + dt.timedelta(days=1))
    data["date"] = day.isoformat() if day else None
    data["clinician"] = reader.text("clinician", "the treating clinician", required=True)
    for key, what in (("complaint", "the patient's report"), ("skilled_care", "why skilled care is needed"),
                      ("next_visit", "the plan for the next visit")):
        value = reader.text(key, what, max_length=2000)
        if value:
            data[key] = value
    status = reader.choice("since_last_status", "change since the last visit", [s for s, _ in SINCE_LAST])
    if status:
        data["since_last"] = {"status": status, "text": reader.text("since_last_text", "what changed",
                                                                    max_length=1000) or ""}
    code = reader.choice("evaluation_code", "evaluation code", [c for c, v in load_billing().codes.items()
                                                                 if not v.timed])
    if code:
        data["evaluation_code"] = code
        data["evaluation_minutes"] = reader.integer("evaluation_minutes", "the evaluation minutes", low=0,
                                                    high=MAX_MINUTES, required=True) or 0
    techniques = []
    for i in range(_rows(reader, "tech")):
        technique = reader.choice(f"tech-{i}-technique", "technique", kb.vocabulary.techniques)
        minutes = reader.integer(f"tech-{i}-minutes", "the minutes", low=0, high=MAX_MINUTES)
        if technique is not None and minutes is None and f"tech-{i}-minutes" not in reader.errors:
            reader.fail(f"tech-{i}-minutes", NOT_GIVEN.format("technique", "given"))
        grade = reader.choice(f"tech-{i}-grade", "grade", GRADES)
        target = reader.text(f"tech-{i}-target", "the target", max_length=200)
        if technique is None:
            if minutes is not None or grade or target:
                reader.fail(f"tech-{i}-technique", "Choose the technique for this row, or clear the row.")
            continue
        item: dict[str, Any] = {"technique": technique, "region": episode.region, "minutes": minutes or 0}
        if grade:
            item["grade"] = grade
        if target:
            item["target"] = target
        techniques.append(item)
    exercises = []
    ids = [e.id for e in kb.exercises]
    for i in range(_rows(reader, "ex")):
        exercise = reader.choice(f"ex-{i}-id", "exercise", ids)
        minutes = reader.integer(f"ex-{i}-minutes", "the minutes", low=0, high=MAX_MINUTES)
        if exercise is not None and minutes is None and f"ex-{i}-minutes" not in reader.errors:
            reader.fail(f"ex-{i}-minutes", NOT_GIVEN.format("exercise", "done"))
        dose = reader.text(f"ex-{i}-dose", "the dose", max_length=200)
        if exercise is None:
            if minutes is not None:
                reader.fail(f"ex-{i}-id", "Choose the exercise for this row, or clear its minutes.")
            continue
        given: dict[str, Any] = {"exercise_id": exercise, "minutes": minutes or 0}
        exercises.append(given | ({"dose": dose} if dose else {}))
    data["techniques"], data["exercises"] = techniques, exercises
    before = reader.integer("nprs_before", "the pain before treatment", low=0, high=10)
    after = reader.integer("nprs_after", "the pain after treatment", low=0, high=10)
    rom = reader.text("rom_change", "the range-of-motion change", max_length=500)
    if before is not None or after is not None or rom:
        data["within_session"] = {k: v for k, v in
                                  (("nprs_before", before), ("nprs_after", after), ("rom_change", rom))
                                  if v is not None}
    description = reader.text("adverse_description", "the adverse event", max_length=1000)
    if description:
        severity = reader.choice("adverse_severity", "severity", ADVERSE_SEVERITIES, required=True)
        onset = reader.number("adverse_onset_hours", "the hours until it began", low=0, high=1000,
                              required=True)
        lasted = reader.number("adverse_duration_hours", "how many hours it lasted", low=0, high=10000,
                               required=True)
        data["adverse_events"] = [{"description": description, "severity": severity, "onset_hours": onset,
                                   "duration_hours": lasted}]
    new = reader.many("new_findings")
    unknown = [c for c in new if c not in kb.vocabulary.findings]
    if unknown:
        reader.fail("new_findings", f"Unknown finding {unknown[0]!r}: choose from the list.")
    elif new:
        data["new_findings"] = sorted(set(new))
    objective = reader.lines("objective")
    if objective:
        data["objective"] = objective
    home = reader.lines("home_program")
    if home:
        data["home_program"] = home
    if not reader.errors:
        try:
            visit = msgspec.convert(data, type=Visit)
            validate_visit(visit, "visit", techniques=kb.vocabulary.techniques, regions=kb.vocabulary.regions,
                           findings=kb.vocabulary.findings)
        except (msgspec.ValidationError, ValueError) as exc:
            reader.fail("clinician", f"The visit was refused: {exc}")
    return data


def _form(request: Request, who: Page, episode: Episode, patient: Patient, values: dict[str, str],
          errors: dict[str, str], tech_rows: int, ex_rows: int, status_code: int = 200,
          new_findings: list[str] | None = None) -> HTMLResponse:
    kb = knowledge(request)
    return render(request, "pages/visit_new.html",
                  {"episode": episode, "patient": patient, "values": values, "errors": errors,
                   "new_findings": new_findings or [],
                   "tech_rows": range(tech_rows), "ex_rows": range(ex_rows)} | _options(kb, episode.region),
                  status_code=status_code, who=who)


def _next_number(uow: Uow, who: Page, episode_id: int) -> tuple[int, dt.date | None]:
    visits = uow.visits.list_for_episode(who.clinic_id, episode_id)
    return (visits[-1].number + 1, visits[-1].date) if visits else (1, None)


@router.get("/episodes/{episode_id}/visits/new", response_class=HTMLResponse)
def new_visit_page(request: Request, episode_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """The visit form, prefilled from the latest plan."""
    episode, patient = episode_of(uow, who, episode_id)
    number, _ = _next_number(uow, who, episode_id)
    values, tech_rows, ex_rows = _defaults(uow, who, episode, number)
    user = uow.users.get(who.clinic_id, who.user_id)
    values["clinician"] = user.email if user else ""
    commit_audited(uow, who, "read", "episode", episode_id, detail="visit form")
    return _form(request, who, episode, patient, values, {}, tech_rows, ex_rows)


@router.post("/episodes/{episode_id}/visits/new", response_class=HTMLResponse)
def new_visit(request: Request, episode_id: int, who: Page, uow: Uow, form: Form) -> Response:
    """Record the visit and show it with its SOAP note and units; errors keep the input."""
    episode, patient = episode_of(uow, who, episode_id)
    reader = FormReader(form)
    number, last_date = _next_number(uow, who, episode_id)
    data = read_visit(reader, knowledge(request), episode, number, last_date or episode.start_date)
    if reader.errors:
        values = reader.values() | {"number": str(number)}
        return _form(request, who, episode, patient, values, reader.errors,
                     max(MIN_ROWS, _rows(reader, "tech")), max(MIN_ROWS, _rows(reader, "ex")), 422,
                     new_findings=reader.many("new_findings"))
    visit = uow.visits.add(who.clinic_id, episode_id, number, dt.date.fromisoformat(data["date"]), data)
    commit_audited(uow, who, "create", "visit", visit.id)
    return RedirectResponse(f"/visits/{visit.id}", status_code=303)


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
def visit_page(request: Request, visit_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """A visit with its SOAP note and billing units (CMS 8-minute rule) from the stored episode."""
    row = uow.visits.get(who.clinic_id, visit_id)
    if row is None:
        raise PageNotFound("visit")
    episode, patient = episode_of(uow, who, row.episode_id)
    patient_of(uow, who, patient.id)
    kb = knowledge(request)
    soap = billing = problem = None
    try:
        report = build_report(stored_episode(uow, who.clinic_id, episode.id, kb), kb, "cms_8_minute", "text")
        soap, billing = report.soap.get(row.number), report.billing.get(row.number)
    except ValueError as exc:
        problem = str(exc)
    commit_audited(uow, who, "read", "visit", visit_id)
    catalogue = load_billing()
    return render(request, "pages/visit.html",
                  {"visit": row, "data": row.data, "episode": episode, "patient": patient, "soap": soap,
                   "billing": billing, "problem": problem,
                   "code_names": {c: v.name for c, v in catalogue.codes.items()},
                   "method_name": catalogue.method_names.get("cms_8_minute", "")}, who=who)
