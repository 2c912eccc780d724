"""The patient handout as HTML, built from real assessments."""

from __future__ import annotations

import argparse
import copy
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from markupsafe import escape
from tests.conftest import AssessFn

from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.patient_language import load_patient_language
from palpa.reports import handout_cli
from palpa.reports.handout import (
    ClinicContact,
    HandoutError,
    build_handout,
    render_handout_html,
)

CLINIC = ClinicContact("Main Street Physio", phone="+1 555 0100", email="hello@mainstreet.example",
                       address="12 Main Street, Springfield")
LOW_BACK = {"region": "lumbar", "duration_days": 9, "irritability": "moderate",
            "findings": ["segmental_hypomobility", "muscle_guarding"]}
NECK = {"region": "cervical", "age": 56, "duration_days": 200, "irritability": "low",
        "findings": ["resistance_before_pain", "joint_hypomobility", "myofascial_trigger_points"]}
CES = {"region": "lumbar", "duration_days": 3, "findings": ["saddle_anesthesia", "bladder_dysfunction_new"]}
REFER = {"region": "lumbar", "duration_days": 60, "findings": ["inflammatory_back_pain_features"]}


def html_of(assessment: dict[str, Any], kb: KnowledgeBase, **kw: Any) -> str:
    return render_handout_html(build_handout(assessment, kb, CLINIC, issued=date(2025, 3, 4), **kw))


def e(text: str) -> str:
    return str(escape(text))


def test_home_program_shows_each_exercise_name_instructions_dose_and_progression(
        run: AssessFn, kb: KnowledgeBase) -> None:
    a = run(**LOW_BACK)
    exercises = a["plan"]["exercise"]
    assert exercises
    html = html_of(a, kb)
    for ex in exercises:
        for field in ("name", "instructions", "dose", "progression", "regression"):
            assert e(ex[field]) in html, (ex["id"], field)
    # the always-given home-program line is kept too
    assert e("Stay active: keep up walking and daily activities within comfort.") in html


def test_education_topics_of_the_plan_are_shown_and_the_soreness_section_replaces_its_topic(
        run: AssessFn, kb: KnowledgeBase) -> None:
    a = run(**LOW_BACK)
    pl = load_patient_language()
    html = html_of(a, kb)
    shown = [t for t in a["plan"]["education"] if t["id"] not in pl.soreness_replaces_topics]
    assert len(shown) >= 5
    for topic in shown:
        assert e(topic["title"]) in html and e(topic["text"]) in html, topic["id"]
    for topic in a["plan"]["education"]:
        if topic["id"] in pl.soreness_replaces_topics:
            assert e(topic["text"]) not in html
    assert e(pl.soreness.text) in html
    assert "Senstad 1997" in html and "Cagnie 2004" in html  # the soreness section's sources


def test_planned_techniques_are_explained_in_plain_words_with_where(run: AssessFn, kb: KnowledgeBase) -> None:
    a = run(**NECK)
    pl = load_patient_language()
    planned = {(m["technique"], m["region"]) for m in a["plan"]["manual_therapy"]}
    assert ("joint_manipulation", "thoracic") in planned  # the thoracic thrust for neck pain
    h = build_handout(a, kb, CLINIC)
    names = {t.name: t for t in h.techniques}
    for code, region in planned:
        item = names[pl.techniques[code].name]
        assert item.text == pl.techniques[code].text and pl.regions[region] in item.areas
    unplanned = set(kb.vocabulary.techniques) - {code for code, _ in planned}
    html = render_handout_html(h)
    for code in unplanned:
        assert e(pl.techniques[code].text) not in html


def test_warning_signs_follow_the_region_most_urgent_first(run: AssessFn, kb: KnowledgeBase) -> None:
    pl = load_patient_language()
    ces_sign = pl.red_flags["cauda_equina_syndrome"].groups[0].signs[0]
    stroke_sign = "slurred speech or trouble finding words"
    back = html_of(run(**LOW_BACK), kb)
    neck = html_of(run(**NECK), kb)
    assert e(ces_sign) in back and e(stroke_sign) not in back
    assert e(stroke_sign) in neck and e(ces_sign) not in neck
    for html in (back, neck):
        positions = [html.index(e(pl.actions[level].heading)) for level in ("emergency", "urgent", "refer")]
        assert positions == sorted(positions)
        assert e(pl.actions["emergency"].text) in html


def test_clinic_contact_and_patient_name_are_printed(run: AssessFn, kb: KnowledgeBase) -> None:
    html = html_of(run(**LOW_BACK), kb, patient_name="Ana Silva")
    for value in ("Main Street Physio", "+1 555 0100", "hello@mainstreet.example",
                  "12 Main Street, Springfield", "Ana Silva", "4 March 2025"):
        assert value in html


def test_everything_user_given_is_escaped(run: AssessFn, kb: KnowledgeBase) -> None:
    evil = '<script>alert("x")</script>'
    clinic = ClinicContact(f"Clinic {evil}", phone=f"1 {evil}", email=f"a@b.c{evil}",
                           address=f"<b>{evil}</b>")
    html = render_handout_html(build_handout(run(**LOW_BACK), kb, clinic, patient_name=f"Ana {evil} & Co"))
    assert "<script>" not in html and "<b>" not in html
    assert "Ana &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert "Clinic &lt;script&gt;" in html


def test_an_emergency_case_says_what_to_do_now_and_shows_no_exercises(
        run: AssessFn, kb: KnowledgeBase) -> None:
    a = run(**CES)
    assert a["triage"]["level"] == "emergency" and a["plan"] is None
    pl = load_patient_language()
    h = build_handout(a, kb, CLINIC)
    assert not h.has_plan and h.exercises == () and h.techniques == () and h.soreness is None
    html = render_handout_html(h)
    assert e(pl.now["emergency"].heading) in html and e(pl.now["emergency"].text) in html
    assert e(pl.red_flags["cauda_equina_syndrome"].concern) in html
    assert 'class="exercise"' not in html and "Your home program" not in html
    assert html.index(e(pl.now["emergency"].text)) < html.index("Warning signs")
    assert "Main Street Physio" in html


def test_a_referred_case_keeps_its_plan_and_says_the_doctor_should_check(
        run: AssessFn, kb: KnowledgeBase) -> None:
    a = run(**REFER)
    assert a["triage"]["level"] == "refer" and a["plan"] is not None
    pl = load_patient_language()
    html = html_of(a, kb)
    assert e(pl.now["refer"].text) in html
    assert e(pl.red_flags["inflammatory_arthritis"].concern) in html
    assert all(e(ex["name"]) in html for ex in a["plan"]["exercise"])


def test_a_raised_flag_shows_its_signs_even_outside_their_usual_regions(
        run: AssessFn, kb: KnowledgeBase) -> None:
    a = run(region="shoulder", duration_days=3, findings=["saddle_anesthesia"])  # signs kept for the legs
    pl = load_patient_language()
    html = html_of(a, kb)
    for group in pl.red_flags["cauda_equina_syndrome"].groups:
        assert all(e(sign) in html for sign in group.signs)


@pytest.mark.parametrize("size", ["A4", "Letter"])
def test_print_css_sets_the_page_size(run: AssessFn, kb: KnowledgeBase, size: Any) -> None:
    h = build_handout(run(**LOW_BACK), kb, CLINIC)
    html = render_handout_html(h, size)
    assert f"@page {{ size: {size}; }}" in html
    assert 'counter(page) " of " counter(pages)' in html


def test_an_unknown_page_size_is_refused(run: AssessFn, kb: KnowledgeBase) -> None:
    h = build_handout(run(**LOW_BACK), kb, CLINIC)
    with pytest.raises(HandoutError, match="page_size"):
        render_handout_html(h, "A5")  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "field"), [
    (lambda a: a.pop("plan"), "plan"),
    (lambda a: a["plan"]["exercise"][0].pop("dose"), "plan.exercise[0]"),
    (lambda a: a["triage"].update(level="panic"), "triage.level"),
    (lambda a: a["red_flags"].append({"id": "gout", "urgency": "refer"}), "red_flags[0].id"),
    (lambda a: a["triage"].update(level="emergency"), "plan"),
    (lambda a: a.update(techniques=a["techniques"][:3]), "techniques"),
])
def test_a_malformed_assessment_is_refused_naming_the_field(
        run: AssessFn, kb: KnowledgeBase, change: Any, field: str) -> None:
    a = copy.deepcopy(run(**LOW_BACK))
    change(a)
    with pytest.raises(HandoutError, match=field.replace("[", r"\[").replace("]", r"\]")):
        build_handout(a, kb, CLINIC)


@pytest.mark.parametrize("clinic", [ClinicContact(" "), ClinicContact("Physio", phone="")])
def test_blank_clinic_details_are_refused(run: AssessFn, kb: KnowledgeBase, clinic: ClinicContact) -> None:
    with pytest.raises(HandoutError, match="clinic field"):
        build_handout(run(**LOW_BACK), kb, clinic)


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="palpa")
    handout_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_writes_html_for_a_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.json"
    case.write_bytes(orjson.dumps({"id": "cli-1", "age": 40, "sex": "female", **LOW_BACK}))
    out = tmp_path / "handout.html"
    assert _cli(["handout", str(case), "-o", str(out), "--page-size", "Letter", "--clinic-name", "Main St",
                 "--clinic-phone", "555 0100", "--patient-name", "Ana"]) == 0
    html = out.read_text()
    assert "@page { size: Letter; }" in html and "Main St" in html and "Ana" in html
    assert "Your home program" in html and "written to" in capsys.readouterr().err


@pytest.mark.parametrize(("case", "extra", "message"), [
    ({"id": "c1", "age": 34, "sex": "female", "region": "lumbar", "duration_days": 9,
      "findings": ["numb_toes"]},
     [], "field 'findings[0]': unknown code 'numb_toes'"),
    ({"id": "c2", "age": 34, "sex": "female", "region": "lumbar", "duration_days": 9, "findings": []},
     ["-o", "x.docx"], "must end in .pdf or .html"),
])
def test_cli_refuses_bad_input_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           case: dict[str, Any], extra: list[str], message: str) -> None:
    path = tmp_path / "case.json"
    path.write_bytes(orjson.dumps(case))
    assert _cli(["handout", str(path), "--clinic-name", "X", *extra]) == 2
    assert message in capsys.readouterr().err
