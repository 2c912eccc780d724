"""Intake and assessment pages: region-aware findings, htmx swap, validation keeps input, storage, views."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.testclient import TestClient

from palpa.store import UnitOfWork
from tests.web.pages.conftest import Seeded, csrf

RED_FLAG_CASE = {"age": "44", "sex": "male", "region": "lumbar", "duration_days": "3", "onset": "insidious",
                 "pain_nprs": "8", "irritability": "high"}
BENIGN_CASE = {"age": "34", "sex": "female", "region": "lumbar", "duration_days": "9", "onset": "insidious",
               "pain_nprs": "5", "irritability": "moderate", "fabq_work": "12",
               "hip_internal_rotation_deg": "40"}


def _main_groups(html: str) -> str:
    """The intake's findings outside the collapsed 'other findings' group."""
    return html.split('id="group-other"')[0]


def test_intake_groups_findings_by_what_they_screen_for_and_by_region(seeded: Seeded,
                                                                     clinician: TestClient) -> None:
    lumbar = clinician.get(f"/episodes/{seeded.episode_a}/intake").text
    assert "<legend>Screening: Suspected cauda equina syndrome</legend>" in lumbar
    assert "reduced or altered sensation in the perineum, buttocks or inner thighs" in lumbar
    assert 'value="saddle_anesthesia"' in _main_groups(lumbar)
    assert 'value="neck_pain_unlike_any_before"' not in _main_groups(lumbar)
    assert 'value="neck_pain_unlike_any_before"' in lumbar  # still recordable, in the collapsed group
    cervical = clinician.get("/intake/findings?region=cervical&findings=dizziness",
                             headers={"HX-Request": "true"}).text
    assert 'value="neck_pain_unlike_any_before"' in _main_groups(cervical)
    assert re.search(r'value="dizziness" checked', cervical)
    assert clinician.get("/intake/findings?region=spleen").status_code == 404


def test_intake_error_keeps_every_input_and_shows_the_error_by_the_field(seeded: Seeded,
                                                                        clinician: TestClient) -> None:
    data = RED_FLAG_CASE | {"csrf_token": csrf(clinician), "age": "200", "note": "Numb saddle <b>area</b>",
                            "findings": ["saddle_anesthesia", "bladder_dysfunction_new"]}
    r = clinician.post(f"/episodes/{seeded.episode_a}/intake", data=data)
    assert r.status_code == 422
    age = r.text.split('id="f-age"')[1].split("</div>")[0]
    assert 'value="200"' in age and "The age in years must be between 0 and 120." in age
    assert "Numb saddle &lt;b&gt;area&lt;/b&gt;</textarea>" in r.text
    assert 'value="saddle_anesthesia" checked' in r.text
    assert 'value="bladder_dysfunction_new" checked' in r.text
    assert '<option value="high" selected>' in r.text
    data = BENIGN_CASE | {"csrf_token": csrf(clinician), "fabq_work": "43"}
    r = clinician.post(f"/episodes/{seeded.episode_a}/intake", data=data)
    assert r.status_code == 422 and 'id="err-fabq_work"' in r.text


def test_red_flag_intake_is_stored_and_shows_the_emergency_banner(pages_app: FastAPI, seeded: Seeded,
                                                                  clinician: TestClient) -> None:
    data = RED_FLAG_CASE | {"csrf_token": csrf(clinician), "findings": ["saddle_anesthesia",
                                                                        "bladder_dysfunction_new"]}
    r = clinician.post(f"/episodes/{seeded.episode_a}/intake", data=data, follow_redirects=False)
    assert r.status_code == 303
    assessment_id = int(r.headers["location"].rsplit("/", 1)[1])
    with UnitOfWork(pages_app.state.session_factory) as uow:
        row = uow.assessments.get(seeded.clinic_a, assessment_id)
        assert row is not None and row.episode_id == seeded.episode_a and row.triage_level == "emergency"
        assert row.case["findings"] == ["saddle_anesthesia", "bladder_dysfunction_new"]
    page = clinician.get(r.headers["location"]).text
    banner = page.split('id="triage"')[1].split("</section>")[0]
    assert 'class="banner emergency" role="alert"' in page
    assert "Emergency: act now" in banner
    assert "Send to the emergency department today" in banner
    assert "Suspected cauda equina syndrome" in page and "[finucane2020_red_flags]" in page
    assert "No treatment plan" in page


def test_benign_intake_shows_techniques_prediction_rules_and_plan(seeded: Seeded,
                                                                  clinician: TestClient) -> None:
    findings = ["segmental_hypomobility", "muscle_guarding"]
    data = BENIGN_CASE | {"csrf_token": csrf(clinician), "findings": findings,
                          "note": "Pt denies bladder change. Worse with sitting."}
    r = clinician.post(f"/episodes/{seeded.episode_a}/intake", data=data)
    assert r.status_code == 200
    page = r.text
    assert 'class="banner treat"' in page
    techniques = page.split('id="techniques"')[1].split("</table>")[0]
    assert "Joint mobilization" in techniques and "status-recommended" in techniques
    assert "Grade I-II oscillations" in techniques
    assert "Lumbopelvic manipulation rule (Flynn 2002; Childs 2004): 5 of 5" in page
    plan = page.split('id="plan"')[1].split("</section>")[0]
    assert "Cat-camel" in plan and "Reassess by visit 3" in plan
    assert "read as <strong>negated</strong>" in page
    assert "Page Clinic B" not in page
