"""SOAP notes of recorded visits: every section from the record, billing lines and the signature line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from palpa.core.billing import Billing, bill_recorded_visit
from palpa.core.episode import Episode
from palpa.core.knowledge import KnowledgeBase
from palpa.core.progress import Trigger, reassessment_triggers
from palpa.core.screening import red_flag_codes
from palpa.core.soap import build_soap, render_text, soap_note, technique_line
from palpa.knowledge.episode_loader import (
    load_billing,
    load_episode,
    load_progress_rules,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "palpa" / "data" / "demo_episode.json"
MEASURES = {"nprs": (2.0, False), "odi": (10.0, False)}
LABELS = {"nprs": "NPRS", "odi": "ODI", "joint_mobilization": "joint mobilization",
          "lumbar": "lumbar spine", "lumbar_bird_dog": "Bird dog"}


@pytest.fixture(scope="module")
def example(kb: KnowledgeBase) -> Episode:
    return load_episode(EXAMPLE, kb)


@pytest.fixture(scope="module")
def triggers(example: Episode, kb: KnowledgeBase) -> list[Trigger]:
    return reassessment_triggers(example, MEASURES, red_flag_codes(kb), load_progress_rules())


def bill(episode: Episode, number: int) -> Billing:
    return bill_recorded_visit(episode.visit(number), load_billing(), "cms_8_minute")


def note(episode: Episode, number: int, triggers: list[Trigger], kb: KnowledgeBase,
         fmt: str = "markdown") -> str:
    names = {c: e.name for c, e in load_billing().codes.items()}
    return soap_note(episode, number, MEASURES, triggers, bill(episode, number), fmt,  # type: ignore[arg-type]
                     red_flag_codes=red_flag_codes(kb), labels=LABELS, code_names=names)


def test_markdown_note_of_the_first_visit(example: Episode, triggers: list[Trigger],
                                          kb: KnowledgeBase) -> None:
    md = note(example, 1, triggers, kb)
    assert md.startswith("# SOAP note - episode ep-lbp-0142, visit 1, 2025-03-03\n")
    for heading in ("## S - Subjective", "## O - Objective", "## A - Assessment", "## P - Plan",
                    "## Billing"):
        assert heading in md
    # S: complaint and NPRS; O: measures, techniques with parameters, exercise, response
    assert "- Complaint: Central low back pain" in md
    assert "- Pain (NPRS 0-10): 6" in md
    assert "- Outcome measures: NPRS 6; ODI 42" in md
    assert ("- Manual therapy: Joint mobilization, lumbar spine, L4-L5 central PA, grade III, "
            "3 x 60 s, 8 min") in md
    assert "- Exercise: lumbar prone press up, 2 sets of 10, 8 min" in md
    assert "- Within-session response: NPRS 6 -> 4; Standing flexion" in md
    # A and P
    assert "- Impression: Subacute non-specific low back pain" in md
    assert "- Skilled care needed because: Graded joint mobilization" in md
    assert "- Home program: Prone press-up: 2 sets of 10, twice a day; Walk 10-15 minutes daily" in md
    assert "- Referral: none" in md
    # billing as Medicare asks: codes, units, timed minutes, total treatment time, signature
    assert "- CPT 97162 PT evaluation, moderate complexity: 1 unit(s) (untimed)" in md
    assert "- CPT 97140 Manual therapy: 1 unit(s) (14 min)" in md
    assert "- CPT 97110 Therapeutic exercise: 0 unit(s) (8 min)" in md
    assert "- Timed code treatment minutes: 22; timed units: 1 (CMS 8-minute (total-time) rule)" in md
    assert "- Total treatment time: 52 min (includes 30 min untimed)" in md
    assert md.rstrip().endswith("Treating clinician: A. Rivera, PT    Signature: ____________________"
                                "    Date: 2025-03-03")


def test_visit_4_shows_progress_against_mcids_and_the_trigger(
        example: Episode, triggers: list[Trigger], kb: KnowledgeBase) -> None:
    md = note(example, 4, triggers, kb)
    assert ("- Progress, NPRS: 6 (visit 1) -> 4 (visit 4), 2 better against an MCID of 2: "
            "improved") in md
    assert ("- Progress, ODI: 42 (visit 1) -> 35 (visit 4), 7 better against an MCID of 10: "
            "no meaningful change") in md
    assert "- Reassessment trigger (no_meaningful_change): ODI" not in md  # raw measure id is kept
    assert "Reassessment trigger (no_meaningful_change): odi 42 at visit 1 -> 35" in md
    assert "[palpa_progress_synthesis]" in md
    assert "- Reassess: Re-evaluate (97164)" in md
    assert "- Since last visit: better - Pain lower day to day" in md


def test_visit_2_records_the_adverse_event(example: Episode, triggers: list[Trigger],
                                           kb: KnowledgeBase) -> None:
    md = note(example, 2, triggers, kb)
    assert ("- Adverse event: Local low back soreness and stiffness after the first session "
            "(long minor; onset 6 h, lasted 60 h)") in md
    assert "Reassessment trigger (soreness_beyond_48h)" in md
    assert "- Reassess: Reduce the dose" in md


def test_plain_text_note(example: Episode, triggers: list[Trigger], kb: KnowledgeBase) -> None:
    text = note(example, 3, triggers, kb, fmt="text")
    lines = text.splitlines()
    assert lines[0] == "SOAP note - episode ep-lbp-0142, visit 3, 2025-03-10"
    assert set(lines[1]) == {"="}
    for heading in ("SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN", "BILLING"):
        assert heading in lines
    assert "  Screening, new findings: reduced muscle length" in lines
    assert "  CPT 97530 Therapeutic activities (Lifting from the floor with a hip hinge): 8 min" in lines
    assert "  CPT 97530 Therapeutic activities: 0 unit(s) (8 min)" in lines
    assert "#" not in text


def test_red_flag_findings_are_marked_and_missing_documentation_is_shown(
        example: Episode, kb: KnowledgeBase) -> None:
    v3 = dataclasses.replace(example.visit(3), new_findings=frozenset({"saddle_anesthesia"}),
                             skilled_care="")
    ep = dataclasses.replace(example, visits=tuple(v3 if v.number == 3 else v for v in example.visits))
    found = reassessment_triggers(ep, MEASURES, red_flag_codes(kb), load_progress_rules())
    soap = build_soap(ep, 3, MEASURES, found, bill(ep, 3), red_flag_codes=red_flag_codes(kb))
    assert "Screening, new findings: saddle anesthesia [RED FLAG]" in soap.subjective
    assert any(line.startswith("Reassessment trigger (new_red_flag)") for line in soap.assessment)
    assert "Skilled care needed because: NOT DOCUMENTED - add before signing" in soap.assessment
    assert soap.plan[2].startswith("Reassess: Stop manual therapy today")
    assert render_text(soap).count("NOT DOCUMENTED") == 1


def test_technique_line_parts() -> None:
    from palpa.core.episode import TechniqueApplied
    assert technique_line(TechniqueApplied("joint_manipulation", "lumbar", 3, grade="V", sets=1,
                                           duration_text="1 thrust")) == \
        "Joint manipulation, lumbar, grade V, 1 x 1 thrust, 3 min"
    assert technique_line(TechniqueApplied("iastm", "elbow", 6, duration_text="4 minutes")) == \
        "Iastm, elbow, 4 minutes, 6 min"


def test_unknown_format_and_visit_are_errors(example: Episode, triggers: list[Trigger],
                                             kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="fmt"):
        note(example, 1, triggers, kb, fmt="html")
    with pytest.raises(KeyError, match="no visit 9"):
        note(example, 9, triggers, kb)
