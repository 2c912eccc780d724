"""Patient pages: list with search and pages, validation keeps input, clinic isolation, audit, delete."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import select
from starlette.testclient import TestClient

from palpa.store import UnitOfWork
from palpa.store.models import AuditEvent
from tests.web.pages.conftest import OTHER, Seeded, csrf


def _events(app: FastAPI, action: str, record_type: str, record_id: int | None = None) -> int:
    with UnitOfWork(app.state.session_factory) as uow:
        stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.record_type == record_type)
        if record_id is not None:
            stmt = stmt.where(AuditEvent.record_id == str(record_id))
        return len(list(uow.session.scalars(stmt)))


def test_list_searches_by_name_and_pages(pages_app: FastAPI, seeded: Seeded, clinician: TestClient) -> None:
    with UnitOfWork(pages_app.state.session_factory) as uow:
        for i in range(23):
            uow.patients.add(seeded.clinic_a, f"Pager Person {i:02d}")
        uow.commit()
    first = clinician.get("/patients?q=pager")
    assert first.status_code == 200
    assert "23 patients matching" in first.text
    assert first.text.count("Pager Person") == 20 and "Page 1 of 2" in first.text
    second = clinician.get("/patients?q=PAGER&page=2")
    assert second.text.count("Pager Person") == 3 and "Pager Person 22" in second.text
    assert "Page Clinic B Patient" not in clinician.get("/patients?q=patient").text


def test_new_patient_error_is_shown_by_the_field_and_the_input_is_kept(clinician: TestClient) -> None:
    r = clinician.post("/patients/new", data={"csrf_token": csrf(clinician), "name": "Ines Keepme",
                                              "date_of_birth": "1990-13-45", "external_ref": "R-77"})
    assert r.status_code == 422
    assert 'value="Ines Keepme"' in r.text and 'value="R-77"' in r.text
    field = r.text.split('id="f-date_of_birth"')[1].split("</div>")[0]
    assert 'aria-invalid="true"' in field
    assert 'id="err-date_of_birth"' in field and "must be a date like 2025-03-01" in field
    r = clinician.post("/patients/new", data={"csrf_token": csrf(clinician), "name": "  "})
    assert 'id="err-name"' in r.text and "Enter the patient&#39;s name." in r.text


def test_create_patient_and_episode_then_land_on_the_intake(pages_app: FastAPI,
                                                            clinician: TestClient) -> None:
    r = clinician.post("/patients/new", data={"csrf_token": csrf(clinician), "name": "Olu Newpatient",
                                              "date_of_birth": "1985-06-01", "sex": "male"},
                       follow_redirects=False)
    assert r.status_code == 303
    patient_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert _events(pages_app, "create", "patient", patient_id) == 1
    page = clinician.get(r.headers["location"])
    assert "Olu Newpatient" in page.text and "No episodes yet." in page.text
    assert _events(pages_app, "read", "patient", patient_id) == 1
    bad = clinician.post(f"/patients/{patient_id}/episodes",
                         data={"csrf_token": csrf(clinician), "region": "spleen", "start_date": "2025-02-03"})
    assert bad.status_code == 422 and "&#39;spleen&#39; is not a valid body region." in bad.text
    assert 'value="2025-02-03"' in bad.text
    r = clinician.post(f"/patients/{patient_id}/episodes",
                       data={"csrf_token": csrf(clinician), "region": "cervical", "start_date": "2025-02-03"},
                       follow_redirects=False)
    assert re.fullmatch(r"/episodes/\d+/intake", r.headers["location"])
    intake = clinician.get(r.headers["location"])
    assert intake.status_code == 200
    age = dt.date.today().year - 1985 - ((dt.date.today().month, dt.date.today().day) < (6, 1))
    assert f'id="f-age" name="age" type="number" value="{age}"' in intake.text


def test_another_clinics_records_are_404_pages(seeded: Seeded, clinician: TestClient) -> None:
    for path in (f"/patients/{seeded.patient_b}", f"/episodes/{seeded.episode_b}",
                 f"/episodes/{seeded.episode_b}/intake", f"/episodes/{seeded.episode_b}/progress",
                 f"/episodes/{seeded.episode_b}/visits/new", f"/episodes/{seeded.episode_b}/handout.pdf",
                 f"/patients/{seeded.patient_b}/delete"):
        r = clinician.get(path)
        assert r.status_code == 404, path
        assert "There is no such" in r.text
    r = clinician.post(f"/patients/{seeded.patient_b}/delete", data={"csrf_token": csrf(clinician),
                                                                     "confirm": "yes"})
    assert r.status_code == 404


def test_delete_needs_the_confirmation(pages_app: FastAPI, seeded: Seeded, clinician: TestClient) -> None:
    with UnitOfWork(pages_app.state.session_factory) as uow:
        patient_id = uow.patients.add(seeded.clinic_a, "Dana Deleteme").id
        uow.commit()
    ask = clinician.get(f"/patients/{patient_id}/delete")
    assert "Delete Dana Deleteme?" in ask.text and 'name="confirm"' in ask.text
    r = clinician.post(f"/patients/{patient_id}/delete", data={"csrf_token": csrf(clinician)},
                       follow_redirects=False)
    assert r.headers["location"] == f"/patients/{patient_id}/delete"
    assert clinician.get(f"/patients/{patient_id}").status_code == 200
    r = clinician.post(f"/patients/{patient_id}/delete",
                       data={"csrf_token": csrf(clinician), "confirm": "yes"}, follow_redirects=False)
    assert r.headers["location"] == "/patients"
    assert clinician.get(f"/patients/{patient_id}").status_code == 404
    assert _events(pages_app, "delete", "patient", patient_id) == 1


def test_audit_page_is_for_admins(make_client: Callable[[str | None], TestClient],
                                  clinician: TestClient) -> None:
    assert clinician.get("/audit").status_code == 403
    admin = make_client("admin@a.test")
    page = admin.get("/audit?action=sign_in")
    assert page.status_code == 200
    assert "admin@a.test" in page.text and "sign_in" in page.text
    assert OTHER not in page.text
