"""Intake and assessment pages: the intake form (findings grouped by what they screen for, swapped by
htmx when the region changes), assessing it through the shared use case, storing the assessment with
its episode, and the assessment view (triage banner, red flags, techniques, prediction rules, plan)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palpa.codec import CaseError, assessment_to_dict
from palpa.service import assess_json_case
from palpa.store.models import Episode, Patient
from palpa.web.deps import Uow, commit_audited
from palpa.web.pages.common import Form, Page, PageNotFound, knowledge, render
from palpa.web.pages.forms import FormReader
from palpa.web.pages.intake_groups import finding_groups
from palpa.web.pages.patients import episode_of, patient_of, region_options

router = APIRouter(include_in_schema=False)
SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"))
IRRITABILITY = (("low", "Low"), ("moderate", "Moderate"), ("high", "High"))
START_BACK_ITEMS = 9
# The contract's optional case measures: (field, label, low, high, whole numbers only).
CASE_MEASURES: tuple[tuple[str, str, float, float, bool], ...] = (
    ("fabq_work", "FABQ work subscale (0-42)", 0, 42, True),
    ("fabq_pa", "FABQ physical activity subscale (0-24)", 0, 24, True),
    ("odi_percent", "Oswestry Disability Index, %", 0, 100, False),
    ("ndi_percent", "Neck Disability Index, %", 0, 100, False),
    ("hip_internal_rotation_deg", "Hip internal rotation, degrees (more mobile side)", 0, 90, False),
    ("cervical_extension_rom_deg", "Cervical extension range, degrees", 0, 90, False),
)
_FIELD = re.compile(r"field '([^']+)'")


def age_on(born: dt.date | None, day: dt.date) -> int | None:
    """Whole years from `born` to `day` (None without a date of birth)."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _form_context(request: Request, episode: Episode, patient: Patient, values: dict[str, Any],
                  checked: list[str], errors: dict[str, str]) -> dict[str, Any]:
    kb = knowledge(request)
    chosen = values.get("region")
    region = chosen if isinstance(chosen, str) and chosen in kb.vocabulary.regions else episode.region
    return {"episode": episode, "patient": patient, "values": values, "errors": errors,
            "checked": set(checked), "groups": finding_groups(kb, region), "regions": region_options(request),
            "onsets": [(o, kb.vocabulary.definitions.get(o, o)) for o in kb.vocabulary.onsets],
            "sexes": SEXES, "irritability": IRRITABILITY, "case_measures": CASE_MEASURES,
            "start_back_items": range(1, START_BACK_ITEMS + 1)}


@router.get("/episodes/{episode_id}/intake", response_class=HTMLResponse)
def intake_page(request: Request, episode_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """The intake form for an episode, prefilled with the patient's age, sex and the episode's region."""
    episode, patient = episode_of(uow, who, episode_id)
    commit_audited(uow, who, "read", "episode", episode_id, detail="intake form")
    age = age_on(patient.date_of_birth, dt.date.today())
    values = {"region": episode.region, "age": "" if age is None else str(age),
              "sex": patient.sex if patient.sex in {s for s, _ in SEXES} else "", "onset": "insidious"}
    return render(request, "pages/intake.html", _form_context(request, episode, patient, values, [], {}),
                  who=who)


@router.get("/intake/findings", response_class=HTMLResponse)
def intake_findings(request: Request, who: Page,
                    region: Annotated[str, Query(max_length=50)] = "",
                    findings: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """The findings fieldsets for a region (htmx swaps them in when the region changes), ticks kept."""
    kb = knowledge(request)
    if region not in kb.vocabulary.regions:
        raise PageNotFound("region")
    return render(request, "pages/_findings.html",
                  {"groups": finding_groups(kb, region), "checked": set(findings or ()), "errors": {},
                   "swapped_region": region},
                  who=who)


def read_case(reader: FormReader, kb: Any, case_id: str) -> dict[str, Any]:
    """The contract case the intake form describes; problems are recorded on `reader` by field."""
    case: dict[str, Any] = {"id": case_id}
    case["age"] = reader.integer("age", "the age in years", low=0, high=120, required=True)
    case["sex"] = reader.choice("sex", "sex", [s for s, _ in SEXES], required=True)
    case["region"] = reader.choice("region", "body region", kb.vocabulary.regions, required=True)
    case["duration_days"] = reader.integer("duration_days", "how many days the episode has lasted",
                                           low=0, high=36500, required=True)
    onset = reader.choice("onset", "onset", kb.vocabulary.onsets)
    pain = reader.integer("pain_nprs", "the pain rating", low=0, high=10)
    irritability = reader.choice("irritability", "irritability", [i for i, _ in IRRITABILITY])
    findings = reader.many("findings")
    unknown = [f for f in findings if f not in kb.finding_index]
    if unknown:
        reader.fail("findings", f"Unknown finding code {unknown[0]!r}.")
    measures: dict[str, Any] = {}
    for name, what, low, high, whole in CASE_MEASURES:
        value = (reader.integer(name, what, low=int(low), high=int(high)) if whole
                 else reader.number(name, what, low=low, high=high))
        if value is not None:
            measures[name] = value
    answers = [reader.raw(f"start_back_{i}") for i in range(1, START_BACK_ITEMS + 1)]
    if any(answers):
        if not all(a in ("0", "1") for a in answers):
            reader.fail("start_back_1", "Answer all 9 STarT Back items (agree or disagree), or none.")
        else:
            measures["start_back_items"] = [int(a) for a in answers]
    note = reader.text("note", "the note", max_length=20000)
    optional = {"onset": onset, "pain_nprs": pain, "irritability": irritability, "note": note}
    case.update({k: v for k, v in optional.items() if v is not None})
    if findings:
        case["findings"] = list(dict.fromkeys(findings))
    if measures:
        case["measures"] = measures
    return case


def _case_error_field(problem: str) -> str | None:
    match = _FIELD.search(problem)
    if match is None:
        return None
    field = match.group(1)
    if field.startswith("measures."):
        field = field.removeprefix("measures.")
        return "start_back_1" if field.startswith("start_back_items") else field
    return field.split("[", 1)[0]


@router.post("/episodes/{episode_id}/intake", response_class=HTMLResponse)
def intake_submit(request: Request, episode_id: int, who: Page, uow: Uow, form: Form) -> Response:
    """Assess the intake, store the assessment with the episode and show it; errors keep the input."""
    episode, patient = episode_of(uow, who, episode_id)
    kb = knowledge(request)
    reader = FormReader(form)
    case = read_case(reader, kb, f"episode-{episode_id}-intake-{dt.date.today().isoformat()}")
    assessment: dict[str, Any] | None = None
    if not reader.errors:
        try:
            assessment = assessment_to_dict(assess_json_case(orjson.dumps(case), kb), kb)
        except CaseError as exc:
            reader.fail(_case_error_field(exc.problem) or "note", f"Refused: {exc.problem}.")
    if assessment is None:
        return render(request, "pages/intake.html",
                      _form_context(request, episode, patient, reader.values(), reader.many("findings"),
                                    reader.errors), status_code=422, who=who)
    row = uow.assessments.save(who.clinic_id, assessment, case=case, episode_id=episode_id,
                               knowledge_version=kb.version)
    commit_audited(uow, who, "create", "assessment", row.id)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@router.get("/assessments/{assessment_id}", response_class=HTMLResponse)
def assessment_page(request: Request, assessment_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """A stored assessment: triage banner, red flags, techniques, prediction rules, the plan, sources."""
    row = uow.assessments.get(who.clinic_id, assessment_id)
    if row is None:
        raise PageNotFound("assessment")
    episode = uow.episodes.get(who.clinic_id, row.episode_id) if row.episode_id is not None else None
    patient = patient_of(uow, who, episode.patient_id) if episode is not None else None
    commit_audited(uow, who, "read", "assessment", assessment_id)
    kb = knowledge(request)
    exercises = {e.id: e for e in kb.exercises}
    return render(request, "pages/assessment.html",
                  {"row": row, "a": row.assessment, "case": row.case, "episode": episode, "patient": patient,
                   "definitions": kb.vocabulary.definitions, "exercises": exercises,
                   "flag_names": {k: d.name for k, d in kb.red_flag_definitions.items()}}, who=who)
