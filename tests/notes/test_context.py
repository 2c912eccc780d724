"""ConText rules: negation, family, hypothetical and historical scope, pseudo-cues, lexicon precedence."""

from __future__ import annotations

import pytest

from palpa.notes import Mention, extract


def status(note: str, code: str) -> str:
    """Status of the first mention of `code` in `note` (fails when there is none)."""
    found = [m for m in extract(note) if m.code == code]
    assert found, f"{code} not found in {note!r}: {extract(note)}"
    return found[0].status


def one(note: str, code: str) -> Mention:
    return next(m for m in extract(note) if m.code == code)


# --- negation --------------------------------------------------------------------------------------

@pytest.mark.parametrize("note", [
    "Pt denies saddle anaesthesia.",
    "No saddle numbness.",
    "nil saddle anaes",
    "Negative for saddle anaesthesia",
    "without saddle numbness",
    "No evidence of saddle anaesthesia on testing.",
    "She has not had any saddle numbness.",
])
def test_forward_negation(note: str) -> None:
    assert status(note, "saddle_anesthesia") == "negated"


@pytest.mark.parametrize(("note", "code"), [
    ("Clonus absent.", "upper_motor_neuron_signs"),
    ("Hoffmann's -ve bilaterally.", "upper_motor_neuron_signs"),
    ("B&B NAD.", "bladder_dysfunction_new"),
    ("Saddle anaes - no.", "saddle_anesthesia"),
    ("Fever: nil.", "fever_or_systemic_illness"),
    ("DVT ruled out on scan.", "deep_vein_thrombosis"),
    ("bladder and bowel function normal", "bowel_dysfunction_new"),
    ("Worst headache of my life? Pt says no.", "sudden_severe_headache"),
])
def test_backward_negation(note: str, code: str) -> None:
    assert status(note, code) == "negated"


def test_negation_covers_a_list_of_findings() -> None:
    note = "Denies fever, chills, night sweats, wt loss, saddle anaesthesia, B&B dysfunction."
    mentions = extract(note)
    assert {m.status for m in mentions} == {"negated"}
    codes = {m.code for m in mentions}
    assert {"saddle_anesthesia", "bladder_dysfunction_new", "bowel_dysfunction_new"} <= codes


@pytest.mark.parametrize("note", [
    "No fever. Saddle numbness since today.",
    "No fever; saddle numbness since today.",
    "No fever\nSaddle numbness since today.",
    "No fever - saddle numbness since today.",
    "No fever but saddle numbness since today.",
    "No fever, however saddle numbness since today.",
    "Nil red flags apart from saddle numbness.",
    "No fever, which is reassuring, saddle numbness since today.",
])
def test_scope_ends_at_sentence_boundaries_and_terminations(note: str) -> None:
    assert status(note, "saddle_anesthesia") == "present"


def test_scope_window_is_limited() -> None:
    note = "No pain on walking to the shops and back each day this week with her dog, saddle numbness."
    assert status(note, "saddle_anesthesia") == "present"


def test_abbreviation_dot_does_not_end_the_scope() -> None:
    note = "Safety-netted re CES symptoms e.g. saddle numbness, retention."
    assert status(note, "saddle_anesthesia") == "hypothetical"


# --- family ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("note", "code"), [
    ("Mother had breast cancer.", "history_of_cancer"),
    ("FHx of RA.", "rheumatoid_arthritis"),
    ("Family history of ankylosing spondylitis.", "ankylosing_spondylitis"),
    ("Father died of a ruptured AAA.", "pulsatile_abdominal_mass"),
    ("Sister and mother both have Ehlers-Danlos.", "connective_tissue_disorder"),
    ("Breast cancer in her mother.", "history_of_cancer"),
    ("Osteoporosis runs in the family.", "osteoporosis"),
])
def test_family(note: str, code: str) -> None:
    assert status(note, code) == "family"


def test_relatives_as_companions_are_not_family_cues() -> None:
    note = "Brought in by her daughter, bilateral leg numbness."
    assert status(note, "bilateral_leg_neurological_symptoms") == "present"
    assert status("Lives with her mother, saddle numbness today.", "saddle_anesthesia") == "present"


def test_negation_outranks_family() -> None:
    assert status("No family history of RA.", "rheumatoid_arthritis") == "negated"


# --- hypothetical ------------------------------------------------------------------------------------

@pytest.mark.parametrize("note", [
    "Advised to return if saddle anaesthesia develops.",
    "Safety-netted re saddle numbness.",
    "Safety netted for CES: saddle numbness, bladder retention.",
    "If she develops saddle numbness she will attend A&E.",
    "Should he develop saddle numbness, call 999.",
    "Warned about saddle anaesthesia.",
    "Watch for saddle numbness.",
    "In case of saddle numbness attend ED.",
    "Aware of saddle numbness to report.",
    "To seek help if saddle numbness.",
])
def test_hypothetical(note: str) -> None:
    assert status(note, "saddle_anesthesia") == "hypothetical"


def test_enclosing_cue_covers_each_finding_inside() -> None:
    mentions = extract("Return to ED if saddle anaesthesia or bladder changes develop.")
    assert [(m.code, m.status) for m in mentions] == [
        ("saddle_anesthesia", "hypothetical"), ("bladder_dysfunction_new", "hypothetical")]


# --- historical --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("note", "code"), [
    ("Fever last month, resolved.", "fever_or_systemic_illness"),
    ("Previous episode of saddle numbness which resolved.", "saddle_anesthesia"),
    ("Whiplash 3 yrs ago, fully resolved.", "recent_neck_trauma"),
    ("Saddle numbness as a child.", "saddle_anesthesia"),
    ("DVT 2015.", "deep_vein_thrombosis"),
    ("Stopped warfarin last year.", "anticoagulant_therapy"),
    ("Old fracture L1.", "fracture_recent_at_site"),
])
def test_historical_removes_current_only_findings(note: str, code: str) -> None:
    assert status(note, code) == "historical"


@pytest.mark.parametrize(("note", "code"), [
    ("Hx breast ca 2015, resolved.", "history_of_cancer"),
    ("Previous lymphoma.", "history_of_cancer"),
    ("Osteoporosis diagnosed years ago.", "osteoporosis"),
    ("RA as a child.", "rheumatoid_arthritis"),
    ("Spinal fusion L4/5 in 2012.", "spinal_fusion_at_site"),
    ("TKR 10 years ago.", "joint_replacement_at_site"),
])
def test_chronic_history_stays_present(note: str, code: str) -> None:
    assert status(note, code) == "present"


def test_transient_ischaemic_symptoms_stay_present_when_resolved() -> None:
    assert status("Brief episodes of L arm weakness last week, resolved.", "transient_ischaemic_symptoms") \
        == "present"


# --- pseudo-cues and lexicon precedence --------------------------------------------------------------

@pytest.mark.parametrize(("note", "code"), [
    ("No change in saddle numbness since last week.", "saddle_anesthesia"),
    ("No improvement in bilateral leg pain.", "bilateral_leg_neurological_symptoms"),
    ("No longer able to walk far, unsteady gait.", "gait_disturbance"),
    ("Not only night pain but also weight loss.", "night_pain_unrelieved_by_rest"),
    ("Walks without difficulty, saddle numbness today.", "saddle_anesthesia"),
])
def test_pseudo_cues_trigger_nothing(note: str, code: str) -> None:
    assert status(note, code) == "present"


@pytest.mark.parametrize(("note", "code", "text"), [
    ("No improvement after 4 weeks of physio.", "no_improvement_after_4_weeks",
     "No improvement after 4 weeks of physio"),
    ("Night pain, not eased by rest.", "night_pain_unrelieved_by_rest", "Night pain, not eased by rest"),
    ("No thrust please.", "prefers_no_manipulation", "No thrust please"),
    ("Pt declines manipulation.", "prefers_no_manipulation", "declines manipulation"),
    ("Doesn't want to be cracked.", "prefers_no_manipulation", "Doesn't want to be cracked"),
    ("Unable to rotate neck 45 degrees.", "unable_to_rotate_neck_45_degrees",
     "Unable to rotate neck 45 degrees"),
    ("Can't feel when she needs to pee.", "bladder_dysfunction_new", "Can't feel when she needs to pee"),
    ("Hasn't passed urine since last night.", "bladder_dysfunction_new", "Hasn't passed urine"),
    ("Lost 6kg without trying.", "unexplained_weight_loss", "Lost 6kg without trying"),
    ("Looking up does not aggravate her symptoms.", "looking_up_does_not_aggravate",
     "Looking up does not aggravate her symptoms"),
])
def test_lexicon_match_beats_a_negation_cue_inside_it(note: str, code: str, text: str) -> None:
    m = one(note, code)
    assert (m.status, m.text) == ("present", text)


def test_a_pseudo_cue_inside_a_finding_gives_way() -> None:
    assert status("No change in bowel habit.", "abdominal_or_visceral_symptoms") == "negated"


def test_cue_restricted_to_codes() -> None:
    assert status("Night pain eased by turning over.", "night_pain_unrelieved_by_rest") == "negated"
    assert status("Bilateral leg pain eased by rest.", "bilateral_leg_neurological_symptoms") == "present"
    assert status("Intentional weight loss on a diet.", "unexplained_weight_loss") == "negated"


def test_united_fracture_is_historical() -> None:
    from palpa.notes import present_findings

    healed = "Distal radius fracture 12 weeks ago, united on X-ray, cast off for 6 weeks."
    assert "fracture_recent_at_site" not in {m.code for m in present_findings(healed)}
    recent = "Distal radius fracture 2 weeks ago, in a cast."
    assert "fracture_recent_at_site" in {m.code for m in present_findings(recent)}
