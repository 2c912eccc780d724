"""Accessibility of the clinician pages in headless Chromium: axe-core (WCAG 2.0/2.1 A and AA rules) finds no
violation on any main page, no page needs sideways scrolling at 320 CSS pixels (reflow), every link of an
error summary leads to an element, forms returned with errors keep what was typed, and the keyboard alone
reaches every control of the sign-in and intake forms with a visible focus indicator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from palpa.ops import add_user
from tests.browser.conftest import Server

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 720}  # WCAG 1.4.10: 1280 CSS pixels at 400% zoom
ADMIN_EMAIL = "a11y-admin@palpa.example"
ADMIN_PASSWORD = "a11y-admin-password-1"
MAX_TABS = 250

_FOCUS_STYLE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), type: e.getAttribute('type') || '', id: e.id,
          text: (e.innerText || e.value || '').trim().slice(0, 40),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
          shadow: s.boxShadow !== 'none'};
}"""


def _context(browser: Any) -> Any:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    return context


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/sign-in")
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def _add_hidden(page: Any, form: str, name: str, value: str) -> None:
    """Add a hidden field to the form, as a tampered or stale form would send."""
    page.locator(form).evaluate("(f, [n, v]) => { const i = document.createElement('input');"
                                " i.type = 'hidden'; i.name = n; i.value = v; f.append(i); }", [name, value])


def _violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA violations of the page as it is now."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")  # htmx swaps done
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def _page_problems(page: Any) -> list[str]:
    """What axe does not check: sideways scrolling at 320 pixels and in-page links that lead nowhere."""
    problems = []
    broken = page.evaluate("""() => [...document.querySelectorAll('a[href^="#"]')].map(a => a.hash)
        .filter(h => h.length > 1 && !document.getElementById(decodeURIComponent(h.slice(1))))""")
    if broken:
        problems.append(f"links to missing elements {broken}")
    page.set_viewport_size(NARROW)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    page.set_viewport_size(VIEWPORT)
    if width > NARROW["width"]:
        problems.append(f"{width} pixels wide in a {NARROW['width']}-pixel window (scrolls sideways)")
    return problems


def _describe(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            targets = "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
            more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
            lines.append(f"{where}: {v['id']} [{v['impact']}] {v['help']} at {targets}{more}")
    return "\n".join(lines)


class Audit:
    """Runs axe on page after page and keeps the violations by page name."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.problems: list[str] = []

    def check(self, name: str) -> None:
        violations = _violations(self.page)
        if violations:
            self.found[name] = violations
        self.problems += [f"{name}: {p}" for p in _page_problems(self.page)]


def test_the_axe_check_reports_a_planted_violation(browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><h1>t</h1><input type="text">'
                     '<p style="color:#aaa;background:#fff">faint</p></main></body></html>')
    assert {v["id"] for v in _violations(page)} >= {"label", "color-contrast"}
    context.close()


def test_axe_finds_no_wcag_violation_on_the_main_pages(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    context = _context(browser)
    page = context.new_page()
    audit = Audit(page)

    page.goto(f"{server.url}/sign-in")
    audit.check("sign-in")
    page.get_by_role("textbox", name="Email", exact=True).fill(server.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value(server.email)
    audit.check("sign-in with an error")

    _sign_in(page, server.url, server.email, server.password)
    audit.check("patient list")

    page.get_by_role("link", name="New patient").click()
    audit.check("new patient")
    page.get_by_label("Date of birth").fill("1970-06-01")
    page.get_by_label("Record number").fill("A11Y-1")
    page.get_by_role("button", name="Create patient").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_label("Date of birth")).to_have_value("1970-06-01")  # nothing typed is lost
    expect(page.get_by_label("Record number")).to_have_value("A11Y-1")
    audit.check("new patient with errors")
    page.get_by_label("Full name").fill("Ira Access")
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_role("heading", name="Ira Access")).to_be_visible()
    audit.check("patient")
    page.get_by_role("link", name="Delete patient…").click()
    audit.check("delete patient confirmation")
    page.go_back()

    page.get_by_label("Body region of the complaint").select_option("lumbar")
    page.get_by_role("button", name="Open episode and start intake").click()
    expect(page.get_by_role("heading", name=re.compile("Intake assessment"))).to_be_visible()
    audit.check("intake (lumbar)")
    region = page.locator("#f-region")
    region.select_option("cervical")
    expect(page.locator("#flag-cervical_arterial_dysfunction")).to_contain_text("Neck pain unlike any before")
    expect(page.get_by_role("status").filter(has_text="Findings now shown")).to_have_text(
        "Findings now shown for the Cervical region; ticked findings are kept.")
    audit.check("intake (cervical)")
    region.select_option("lumbar")
    expect(page.locator("#flag-cervical_arterial_dysfunction")).not_to_contain_text("Neck pain unlike")
    page.get_by_label("Saddle anesthesia").check()
    page.get_by_label("Pain now, 0-10 (NPRS)").fill("8")
    _add_hidden(page, "#intake-form", "findings", "not_a_finding")  # as a tampered or stale form would
    page.get_by_role("button", name="Assess").click()  # days since onset and sex missing
    expect(page.locator("#error-summary")).to_be_focused()  # the summary is read out first
    expect(page.locator("#error-summary")).to_contain_text("Unknown finding code")
    expect(page.get_by_label("Saddle anesthesia")).to_be_checked()
    expect(page.get_by_label("Pain now, 0-10 (NPRS)")).to_have_value("8")
    audit.check("intake with errors")
    page.get_by_label("Days since the episode began").fill("2")
    page.locator("#f-sex").select_option("female")
    page.get_by_label("Bladder dysfunction new").check()
    page.get_by_role("button", name="Assess").click()
    expect(page.locator("#triage")).to_contain_text("Emergency: act now")
    audit.check("assessment (emergency)")

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="Ada Examplesen (demo)").click()
    page.get_by_role("link", name="Lumbar").first.click()
    expect(page.get_by_role("heading", name=re.compile("Lumbar episode"))).to_be_visible()
    audit.check("episode")
    page.locator("a[href^='/assessments/']").first.click()
    expect(page.locator("#plan")).to_be_visible()
    audit.check("assessment (plan)")
    page.get_by_role("link", name="Record a visit").click()
    audit.check("visit form")
    page.get_by_label("Pain before (0-10)").fill("11")
    _add_hidden(page, "form[action$='/visits/new']", "new_findings", "not_a_finding")
    page.get_by_role("button", name="Save visit").click()
    expect(page.locator("#error-summary")).to_contain_text("Unknown finding")
    expect(page.get_by_label("Pain before (0-10)")).to_have_value("11")
    audit.check("visit form with errors")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Lumbar episode").click()
    page.locator("a[href^='/visits/']").first.click()
    expect(page.locator("#soap")).to_be_visible()
    audit.check("visit")
    page.get_by_role("link", name="Enter a measure").click()
    audit.check("measure choice")
    page.get_by_role("link", name="ODI", exact=True).click()
    expect(page.locator("#score")).to_be_visible()
    audit.check("measure entry (ODI)")
    page.get_by_label("Item 1", exact=True).fill("9")
    page.get_by_role("button", name="Save result").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_label("Item 1", exact=True)).to_have_value("9")
    audit.check("measure entry with errors")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Lumbar episode").click()
    page.get_by_role("link", name="Progress").click()
    expect(page.locator("#chart svg")).to_be_visible()
    audit.check("progress")
    context.close()

    add_user(server.clinic_slug, ADMIN_EMAIL, "admin", ADMIN_PASSWORD, url=server.database_url)
    context = _context(browser)
    page = context.new_page()
    audit.page = page
    _sign_in(page, server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Audit").click()
    expect(page.locator("#audit tbody tr").first).to_be_visible()
    audit.check("audit")
    context.close()

    assert not audit.found, "axe-core found WCAG A/AA violations:\n" + _describe(audit.found)
    assert not audit.problems, "\n".join(audit.problems)


def _tab_to_submit(page: Any, submit_name: str) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until the submit button has focus; every stop, in order."""
    # focusing the body moves the sequential focus starting point to the top (autofocus put it elsewhere)
    page.locator("body").evaluate("b => { b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); }")
    stops: list[dict[str, Any]] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_STYLE)
        assert stop is not None, f"focus was lost after {[s['id'] or s['text'] for s in stops]}"
        stops.append(stop)
        if stop["tag"] == "button" and stop["text"] == submit_name:
            return stops
    raise AssertionError(f"{MAX_TABS} presses of Tab did not reach the {submit_name!r} button")


def _invisible(stops: list[dict[str, Any]]) -> list[str]:
    return [f"{s['tag']}#{s['id'] or s['text']}" for s in stops if not (s["outline"] or s["shadow"])]


def test_keyboard_reaches_every_control_of_sign_in_and_intake_with_visible_focus(browser: Any,
                                                                                   server: Server) -> None:
    from playwright.sync_api import expect

    context = _context(browser)
    page = context.new_page()
    page.goto(f"{server.url}/sign-in")
    stops = _tab_to_submit(page, "Sign in")
    assert stops[0]["text"] == "Skip to content"
    assert [s["id"] for s in stops if s["tag"] == "input"] == ["f-email", "f-password", "f-clinic"]
    assert not _invisible(stops), f"no visible focus on {_invisible(stops)}"
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("somebody")  # typing into the focused clinic field proves the keyboard drives it
    expect(page.get_by_label("Clinic")).to_have_value("somebody")

    _sign_in(page, server.url, server.email, server.password)
    page.get_by_role("link", name="Ada Examplesen (demo)").click()
    page.get_by_role("link", name="New intake assessment").first.click()
    expect(page.get_by_role("heading", name=re.compile("Intake assessment"))).to_be_visible()
    stops = _tab_to_submit(page, "Assess")
    ids = [s["id"] for s in stops]
    for control in ("f-region", "f-age", "f-duration_days", "finding-saddle_anesthesia", "f-note"):
        assert control in ids, f"Tab never reached #{control}"
    assert sum(1 for s in stops if s["type"] == "checkbox") >= 10
    assert not _invisible(stops), f"no visible focus on {_invisible(stops)}"
    # a space bar press on a focused finding ticks it
    page.locator("#finding-saddle_anesthesia").focus()
    page.keyboard.press("Space")
    expect(page.locator("#finding-saddle_anesthesia")).to_be_checked()
    context.close()
