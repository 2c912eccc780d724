"""Clinician flows in headless Chromium against a real server: red-flag intake, and a benign episode
from intake to plan, visit, measures, progress chart and handout PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

VIEWPORT = {"width": 1280, "height": 900}


def _page(browser: Any) -> Any:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(10_000)
    return context.new_page()


def _scroll_to(locator: Any) -> None:
    """Put the element at the top of the window (for a screenshot of what follows it)."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")


def _sign_in(page: Any, server: Server, shots: Path | None = None) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/patients")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/patients$"))
    page.get_by_role("textbox", name="Email", exact=True).fill(server.email)
    if shots is not None:
        page.screenshot(path=shots / "sign-in.png")
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def _new_patient_with_episode(page: Any, name: str, born: str, sex: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Sex").select_option(sex)
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_label("Body region of the complaint").select_option("lumbar")
    page.get_by_role("button", name="Open episode and start intake").click()
    expect(page.get_by_role("heading", name=re.compile("Intake assessment"))).to_be_visible()


def test_red_flag_intake_shows_the_emergency_banner(browser: Any, server: Server, shots: Path) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, server, shots)
    page.screenshot(path=shots / "patients.png")
    _new_patient_with_episode(page, "Sam Redflag", "1981-02-03", "male")
    page.get_by_label("Days since the episode began").fill("3")
    page.get_by_label("Pain now, 0-10 (NPRS)").fill("8")
    page.get_by_label("Saddle anesthesia").check()
    # the region drives the questions: neck questions come and go, ticks stay
    region = page.get_by_label("Body region", exact=False).first
    region.select_option("cervical")
    vascular = page.locator("#flag-cervical_arterial_dysfunction")
    expect(vascular).to_contain_text("Neck pain unlike any before")
    region.select_option("lumbar")
    expect(vascular).not_to_contain_text("Neck pain unlike any before")
    expect(page.get_by_label("Saddle anesthesia")).to_be_checked()
    page.get_by_label("Bladder dysfunction new").check()
    note = "Numb down below since this morning, trouble passing urine."
    page.get_by_label("Clinical note (free text)").fill(note)
    _scroll_to(page.get_by_role("heading", name="Findings", exact=True))
    page.screenshot(path=shots / "intake.png")
    page.get_by_role("button", name="Assess").click()
    banner = page.locator("#triage")
    expect(banner).to_contain_text("Emergency: act now")
    expect(banner).to_contain_text("Send to the emergency department today")
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(176, 0, 32)"
    expect(page.get_by_text("No treatment plan")).to_be_visible()
    page.screenshot(path=shots / "assessment-emergency.png")
    page.context.close()


def test_benign_episode_from_plan_to_visit_measures_chart_and_handout(browser: Any, server: Server,
                                                                      shots: Path) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, server)
    _new_patient_with_episode(page, "Lee Benign", "1991-05-14", "female")
    page.get_by_label("Days since the episode began").fill("9")
    page.get_by_label("Pain now, 0-10 (NPRS)").fill("5")
    page.get_by_label("Irritability").select_option("moderate")
    page.get_by_label("Segmental hypomobility").check()
    page.get_by_label("Muscle guarding").check()
    page.get_by_label("FABQ work subscale (0-42)").fill("12")
    page.get_by_label("Hip internal rotation, degrees (more mobile side)").fill("40")
    page.get_by_role("button", name="Assess").click()
    expect(page.locator("#triage")).to_contain_text("No red flags")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("Cat-camel")
    _scroll_to(page.get_by_role("heading", name="Plan", exact=True))
    page.screenshot(path=shots / "assessment-plan.png")

    page.get_by_role("link", name="Record a visit").click()
    expect(page.locator("#f-tech-0-technique")).to_have_value("joint_mobilization")
    page.locator("#f-tech-0-minutes").fill("10")
    page.locator("#f-tech-0-target").fill("L4-L5 central PA")
    page.locator("#f-ex-0-minutes").fill("8")
    for row in ("#f-tech-1-technique", "#f-tech-2-technique", "#f-ex-1-id", "#f-ex-2-id"):
        page.locator(row).select_option("")  # planned but not given at this visit
    page.get_by_label("Pain before (0-10)").fill("6")
    page.get_by_label("Pain after (0-10)").fill("4")
    page.get_by_label("Subjective: what the patient reports").fill("Stiff after sitting at work.")
    page.get_by_role("button", name="Save visit").click()
    expect(page.locator("#billing")).to_contain_text("97140")
    expect(page.locator("#soap")).to_contain_text("L4-L5 central PA")
    page.screenshot(path=shots / "visit.png")

    for measure, answers, expected in (("ODI", ["2"] * 10, "Oswestry Disability Index: 40"),
                                       ("NPRS", ["5"], "Numeric Pain Rating Scale: 5")):
        page.get_by_role("link", name="Enter a measure").first.click()
        page.get_by_role("link", name=measure, exact=True).click()
        for i, answer in enumerate(answers, 1):
            page.get_by_label(f"Item {i}", exact=True).fill(answer)
        expect(page.locator("#score")).to_contain_text(expected)  # the live score, swapped in by htmx
        page.get_by_role("combobox", name="Visit", exact=True).select_option("1")
        page.get_by_role("button", name="Save result").click()
        expect(page.get_by_role("heading", name=re.compile("^Progress"))).to_be_visible()
    expect(page.locator("#chart svg")).to_be_visible()
    expect(page.locator("#chart")).to_contain_text("odi")

    with page.expect_download() as download:
        page.get_by_role("link", name="Patient handout (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        assert b"Cat-camel" in text and b"Abdominal bracing" in text

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="Ada Examplesen (demo)").click()
    page.get_by_role("link", name="Lumbar").first.click()
    page.get_by_role("link", name="Progress").click()
    expect(page.locator("#alerts")).to_be_visible()
    expect(page.locator("#chart svg")).to_be_visible()
    page.screenshot(path=shots / "progress.png", full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.get_by_role("link", name="Patients").first.click()
    page.screenshot(path=shots / "patients-tablet.png")
    page.context.close()
