"""Visit, measure, progress and handout pages on one benign lumbar episode, in order."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from palpa.store import UnitOfWork
from tests.web.pages.conftest import Seeded, csrf
from tests.web.pages.test_intake_pages import BENIGN_CASE


@pytest.fixture
def episode_id(pages_app: FastAPI, seeded: Seeded, clinician: TestClient) -> int:
    """A fresh lumbar episode of clinic A with a benign intake assessment (so it has a plan)."""
    with UnitOfWork(pages_app.state.session_factory) as uow:
        patient = uow.patients.add(seeded.clinic_a, "Vera Visits", dt.date(1990, 4, 4), "female")
        start = dt.date.today() - dt.timedelta(days=14)
        episode = uow.episodes.add(seeded.clinic_a, patient.id, "lumbar", start)
        uow.commit()
        eid = episode.id
    findings = ["segmental_hypomobility", "muscle_guarding"]
    data = BENIGN_CASE | {"csrf_token": csrf(clinician), "findings": findings}
    assert clinician.post(f"/episodes/{eid}/intake", data=data).status_code == 200
    return eid


def _visit(client: TestClient, day: dt.date, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"csrf_token": csrf(client), "date": day.isoformat(), "clinician": "A. Rivera, PT",
            "complaint": "Back stiff in the morning", "tech-0-technique": "joint_mobilization",
            "tech-0-grade": "II", "tech-0-minutes": "10", "tech-0-target": "L4-L5 central PA",
            "ex-0-id": "lumbar_cat_camel",
            "ex-0-dose": "10 cycles", "ex-0-minutes": "8", "nprs_before": "6", "nprs_after": "4",
            "home_program": "Cat-camel 10 cycles twice a day\nWalk daily"} | (extra or {})


def test_visit_form_is_prefilled_from_the_plan(episode_id: int, clinician: TestClient) -> None:
    page = clinician.get(f"/episodes/{episode_id}/visits/new").text
    assert "Record visit 1" in page
    row = page.split('id="f-tech-0-technique"')[1].split("</select>")[0]
    assert '<option value="joint_mobilization" selected>' in row
    assert re.search(r'id="f-ex-0-dose" name="ex-0-dose" type="text" value="8-10 slow cycles', page)
    assert "Cat-camel (back rounding and arching): 8-10 slow cycles" in page


def test_visit_errors_are_by_the_field_and_keep_the_input(episode_id: int, clinician: TestClient) -> None:
    data = _visit(clinician, dt.date.today(), {"tech-0-minutes": "", "tech-1-minutes": "5",
                                               "clinician": "B. Keep, PT"})
    r = clinician.post(f"/episodes/{episode_id}/visits/new", data=data)
    assert r.status_code == 422
    assert 'id="err-tech-0-minutes"' in r.text
    assert "Enter the minutes, or choose — as the technique if it was not given." in r.text
    assert 'id="err-tech-1-technique"' in r.text
    assert 'value="B. Keep, PT"' in r.text and 'value="L4-L5 central PA"' in r.text
    assert "Cat-camel 10 cycles twice a day\nWalk daily</textarea>" in r.text


def test_visit_shows_soap_note_and_billing_units_then_measures_chart_and_handout(
        pages_app: FastAPI, seeded: Seeded, episode_id: int, clinician: TestClient) -> None:
    first = dt.date.today() - dt.timedelta(days=7)
    r = clinician.post(f"/episodes/{episode_id}/visits/new", data=_visit(clinician, first),
                       follow_redirects=False)
    assert r.status_code == 303
    page = clinician.get(r.headers["location"]).text
    billing = page.split('id="billing"')[1].split("</table>")[0]
    assert "97140" in billing and "97110" in billing
    assert re.search(r"Total \(18 timed minutes\)</th><td></td><td><strong>1</strong>", billing)
    soap = page.split('id="soap"')[1].split("</pre>")[0]
    assert "Back stiff in the morning" in soap and "L4-L5 central PA" in soap
    r = clinician.post(f"/episodes/{episode_id}/visits/new",
                       data=_visit(clinician, dt.date.today(), {"tech-0-minutes": "15"}))
    assert r.status_code == 200 and "Visit 2" in r.text
    with UnitOfWork(pages_app.state.session_factory) as uow:
        visits = uow.visits.list_for_episode(seeded.clinic_a, episode_id)
        assert [v.number for v in visits] == [1, 2]
        assert visits[0].data["techniques"][0] == {"technique": "joint_mobilization", "region": "lumbar",
                                                   "minutes": 10, "grade": "II", "target": "L4-L5 central PA"}

    form = clinician.get(f"/episodes/{episode_id}/measures/new?measure=odi").text
    assert form.count('name="item-') == 10 and 'hx-post="/measures/odi/score"' in form
    answers = {f"item-{i}": "3" for i in range(1, 11)}
    live = clinician.post("/measures/odi/score", data=answers | {"item-10": ""},
                          headers={"X-CSRF-Token": csrf(clinician)})
    assert "Oswestry Disability Index: 60" in live.text and "1 missing" in live.text
    bad = clinician.post(f"/episodes/{episode_id}/measures/new?measure=odi",
                         data=answers | {"csrf_token": csrf(clinician), "date": first.isoformat(),
                                         "visit_number": "1", "item-4": "9"})
    assert bad.status_code == 422
    item = bad.text.split('id="f-item-4"')[1].split("</div>")[0]
    assert 'value="9"' in item and "9 is out of range 0-5" in item
    assert 'value="3"' in bad.text.split('id="f-item-5"')[1]
    for visit, score in (("1", "3"), ("2", "1")):
        r = clinician.post(f"/episodes/{episode_id}/measures/new?measure=odi",
                           data={f"item-{i}": score for i in range(1, 11)}
                           | {"csrf_token": csrf(clinician), "date": dt.date.today().isoformat(),
                              "visit_number": visit}, follow_redirects=False)
        assert r.headers["location"] == f"/episodes/{episode_id}/progress"
    progress = clinician.get(f"/episodes/{episode_id}/progress").text
    table = progress.split('id="progress"')[1].split("</table>")[0]
    assert "Oswestry Disability Index" in table and "60 (visit 1)" in table and "20 (visit 2)" in table
    assert "Improved" in table
    chart = progress.split('id="chart"')[1]
    assert '<svg role="img" aria-label="Progress chart' in chart and "odi" in chart

    html = clinician.get(f"/episodes/{episode_id}/handout.html")
    assert html.status_code == 200 and "Cat-camel" in html.text and "Page Clinic A" in html.text
    pdf = clinician.get(f"/episodes/{episode_id}/handout.pdf?page_size=Letter")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 5000


def test_progress_names_a_stored_record_it_cannot_use(pages_app: FastAPI, seeded: Seeded,
                                                      clinician: TestClient) -> None:
    with UnitOfWork(pages_app.state.session_factory) as uow:
        uow.visits.add(seeded.clinic_a, seeded.episode_a, 1, dt.date(2025, 1, 6), {"note": "no clinician"})
        uow.commit()
    page = clinician.get(f"/episodes/{seeded.episode_a}/progress")
    assert page.status_code == 200
    assert "Progress cannot be shown:" in page.text and "clinician" in page.text


def test_measure_pages_offer_single_score_instruments_only(episode_id: int, clinician: TestClient) -> None:
    page = clinician.get(f"/episodes/{episode_id}/measures/new").text
    assert "?measure=nprs" in page and "?measure=odi" in page and "?measure=fabq" not in page
    assert clinician.get(f"/episodes/{episode_id}/measures/new?measure=fabq").status_code == 404


def test_new_red_flag_finding_at_a_visit_raises_a_reassessment_alert(
        pages_app: FastAPI, seeded: Seeded, episode_id: int, clinician: TestClient) -> None:
    form = clinician.get(f"/episodes/{episode_id}/visits/new").text
    assert form.index('value="saddle_anesthesia"') < form.index('value="segmental_hypomobility"')
    bad = clinician.post(f"/episodes/{episode_id}/visits/new",
                         data=_visit(clinician, dt.date.today(), {"new_findings": "numb_toes"}))
    assert bad.status_code == 422 and "Unknown finding &#39;numb_toes&#39;" in bad.text
    r = clinician.post(f"/episodes/{episode_id}/visits/new",
                       data=_visit(clinician, dt.date.today(), {"new_findings": "saddle_anesthesia"}),
                       follow_redirects=False)
    assert r.status_code == 303
    with UnitOfWork(pages_app.state.session_factory) as uow:
        [visit] = uow.visits.list_for_episode(seeded.clinic_a, episode_id)
        assert visit.data["new_findings"] == ["saddle_anesthesia"]
    progress = clinician.get(f"/episodes/{episode_id}/progress").text
    assert "New red-flag finding(s) recorded at visit 1: saddle_anesthesia" in progress
    assert "Stop manual therapy today" in progress
