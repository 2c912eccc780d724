"""Patient pages: the list with name search and pages, a new patient, one patient with their episodes,
a new episode, deleting a patient (after confirming), and an episode's overview."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palpa.store.models import Episode, Patient
from palpa.web.deps import Uow, commit_audited
from palpa.web.pages.common import Form, Page, PageNotFound, knowledge, label, render
from palpa.web.pages.forms import FormReader

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"))


def patient_of(uow: Uow, who: Page, patient_id: int) -> Patient:
    """The caller's clinic's patient, else PageNotFound."""
    patient = uow.patients.get(who.clinic_id, patient_id)
    if patient is None:
        raise PageNotFound("patient")
    return patient


def episode_of(uow: Uow, who: Page, episode_id: int) -> tuple[Episode, Patient]:
    """The caller's clinic's episode and its patient, else PageNotFound."""
    episode = uow.episodes.get(who.clinic_id, episode_id)
    if episode is None:
        raise PageNotFound("episode")
    return episode, patient_of(uow, who, episode.patient_id)


def region_options(request: Request) -> list[tuple[str, str]]:
    """(code, 'Lumbar - low back, L1-L5') for every region of the vocabulary."""
    vocab = knowledge(request).vocabulary
    return [(r, f"{label(r)} - {vocab.definitions.get(r, '')}".rstrip(" -")) for r in vocab.regions]


@router.get("/patients", response_class=HTMLResponse)
def patient_list(request: Request, who: Page, uow: Uow,
                 q: Annotated[str, Query(max_length=200)] = "",
                 page: Annotated[int, Query(ge=1, le=100000)] = 1) -> HTMLResponse:
    """The clinic's patients by name, filtered by a name search, PAGE_SIZE a page."""
    found = uow.patients.list(who.clinic_id, name=q.strip() or None, limit=PAGE_SIZE,
                              offset=(page - 1) * PAGE_SIZE)
    commit_audited(uow, who, "read", "patient", detail=f"list of {len(found.items)}")
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render(request, "pages/patients.html",
                  {"patients": found.items, "total": found.total, "q": q, "page": page, "pages": pages},
                  who=who)


@router.get("/patients/new", response_class=HTMLResponse)
def new_patient_page(request: Request, who: Page) -> HTMLResponse:
    """The new-patient form."""
    return render(request, "pages/patient_new.html", {"values": {}, "errors": {}, "sexes": SEXES}, who=who)


@router.post("/patients/new", response_class=HTMLResponse)
def new_patient(request: Request, who: Page, uow: Uow, form: Form) -> Response:
    """Create a patient; with an error the form comes back filled, the error by the field."""
    reader = FormReader(form)
    name = reader.text("name", "the patient's name", required=True)
    born = reader.date("date_of_birth", "the date of birth", not_after=dt.date.today(),
                       not_before=dt.date(1880, 1, 1))
    sex = reader.choice("sex", "sex", [s for s, _ in SEXES])
    ref = reader.text("external_ref", "the record number", max_length=100)
    if reader.errors or name is None:
        return render(request, "pages/patient_new.html",
                      {"values": reader.values(), "errors": reader.errors, "sexes": SEXES},
                      status_code=422, who=who)
    patient = uow.patients.add(who.clinic_id, name, born, sex, ref)
    commit_audited(uow, who, "create", "patient", patient.id)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(request: Request, patient_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """One patient, their episodes and the new-episode form."""
    patient = patient_of(uow, who, patient_id)
    episodes = uow.episodes.list_for_patient(who.clinic_id, patient_id)
    commit_audited(uow, who, "read", "patient", patient_id)
    return render(request, "pages/patient.html",
                  {"patient": patient, "episodes": episodes, "regions": region_options(request),
                   "values": {"start_date": dt.date.today().isoformat()}, "errors": {}}, who=who)


@router.post("/patients/{patient_id}/episodes", response_class=HTMLResponse)
def new_episode(request: Request, patient_id: int, who: Page, uow: Uow, form: Form) -> Response:
    """Open an episode for the patient and go to its intake form."""
    patient = patient_of(uow, who, patient_id)
    reader = FormReader(form)
    region = reader.choice("region", "body region", knowledge(request).vocabulary.regions, required=True)
    start = reader.date("start_date", "the start date", required=True,
                        not_after=dt.date.today() + dt.timedelta(days=366))
    if reader.errors or region is None or start is None:
        episodes = uow.episodes.list_for_patient(who.clinic_id, patient_id)
        return render(request, "pages/patient.html",
                      {"patient": patient, "episodes": episodes, "regions": region_options(request),
                       "values": reader.values(), "errors": reader.errors}, status_code=422, who=who)
    episode = uow.episodes.add(who.clinic_id, patient_id, region, start)
    commit_audited(uow, who, "create", "episode", episode.id)
    return RedirectResponse(f"/episodes/{episode.id}/intake", status_code=303)


@router.get("/patients/{patient_id}/delete", response_class=HTMLResponse)
def confirm_delete(request: Request, patient_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """Ask before deleting a patient and everything recorded for them."""
    patient = patient_of(uow, who, patient_id)
    episodes = uow.episodes.list_for_patient(who.clinic_id, patient_id)
    commit_audited(uow, who, "read", "patient", patient_id, detail="delete confirmation")
    return render(request, "pages/patient_delete.html", {"patient": patient, "episodes": episodes}, who=who)


@router.post("/patients/{patient_id}/delete")
def delete_patient(patient_id: int, who: Page, uow: Uow, form: Form) -> Response:
    """Delete the patient with all their records, only when the confirmation box was ticked."""
    patient_of(uow, who, patient_id)
    if form.get("confirm") != "yes":
        return RedirectResponse(f"/patients/{patient_id}/delete", status_code=303)
    uow.patients.delete(who.clinic_id, patient_id)
    commit_audited(uow, who, "delete", "patient", patient_id)
    return RedirectResponse("/patients", status_code=303)


@router.get("/episodes/{episode_id}", response_class=HTMLResponse)
def episode_page(request: Request, episode_id: int, who: Page, uow: Uow) -> HTMLResponse:
    """An episode: its assessments, visits and measure results, with links to each next step."""
    episode, patient = episode_of(uow, who, episode_id)
    assessments = uow.assessments.list_for_episode(who.clinic_id, episode_id)
    visits = uow.visits.list_for_episode(who.clinic_id, episode_id)
    measures = uow.measures.list_for_episode(who.clinic_id, episode_id)
    commit_audited(uow, who, "read", "episode", episode_id)
    return render(request, "pages/episode.html",
                  {"episode": episode, "patient": patient, "assessments": assessments, "visits": visits,
                   "measures": measures,
                   "measure_names": {k: m.name for k, m in knowledge(request).measures.items()}},
                  who=who)
