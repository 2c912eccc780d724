"""More general phrasings: negation and status said AFTER a finding, a later status overriding an earlier
mention, long-standing conditions, lay words for red flags, and the literal below-knee/below-shoulder rule.
Each phrasing is written afresh for these tests."""

from __future__ import annotations

import pytest

from palpa.notes import extract, present_findings


def statuses(note: str, code: str) -> set[str]:
    """The statuses with which `code` is read in `note`."""
    return {m.status for m in extract(note) if m.code == code}


def present(note: str) -> set[str]:
    """The codes read as present in `note`."""
    return {m.code for m in present_findings(note)}


@pytest.mark.parametrize(("note", "code"), [
    # a status after the finding, with a verb between
    ("Bladder and bowel function remains normal.", "bladder_dysfunction_new"),
    ("B&B both unaffected per pt.", "bowel_dysfunction_new"),
    ("Bladder and bowels working normally.", "bladder_dysfunction_new"),
    ("Waterworks fine.", "bladder_dysfunction_new"),
    ("Swallowing is fine, no choking.", "dysphagia"),
    # a status word before the finding
    ("Reports intact bladder and bowel control.", "bowel_dysfunction_new"),
    ("Normal B&B function.", "bladder_dysfunction_new"),
    # a screened list closed by its verdict
    ("Asked re dizziness, double vision, slurred speech, swallowing difficulty, drop attacks, nausea, "
     "facial numbness, nystagmus, ataxia: all negative.", "ataxia"),
    ("Asked re dizziness, double vision, slurred speech, swallowing difficulty, drop attacks, nausea, "
     "facial numbness, nystagmus, ataxia: all negative.", "facial_numbness"),
    # a condition dated to a past life event or unchanged for years
    ("Mild stress incontinence since her first baby, no change.", "bladder_dysfunction_new"),
    ("Urge incontinence after prostatectomy in 2015.", "bladder_dysfunction_new"),
    ("Stress incontinence (10 yrs), unchanged.", "bladder_dysfunction_new"),
    # an aneurysm followed on surveillance is not a new pulsatile mass
    ("4 cm AAA under annual surveillance, stable.", "pulsatile_abdominal_mass"),
])
def test_a_finding_said_normal_or_long_standing_is_not_present(note: str, code: str) -> None:
    assert statuses(note, code), f"{code} not read at all in {note!r}"
    assert "present" not in statuses(note, code)


@pytest.mark.parametrize(("note", "code"), [
    ("Admitted with slurred speech and a hoarse voice. On discharge: voice back to normal.",
     "cranial_nerve_signs"),
    ("Initially dysphagic to fluids. Day 5: swallow now safe on SALT review.", "dysphagia"),
    ("Broad-based gait on arrival. At discharge gait is steady with a stick.", "gait_disturbance"),
])
def test_a_later_status_overrides_an_earlier_mention(note: str, code: str) -> None:
    assert code not in present(note)


def test_a_later_present_mention_stands_after_an_earlier_normal_one() -> None:
    note = "Swallow normal on Monday. Today new difficulty swallowing solids."
    assert "dysphagia" in present(note)


def test_a_status_does_not_erase_a_different_finding() -> None:
    note = "Broad-based gait and slurred speech. Swallow normal."
    assert {"gait_disturbance", "dysarthria"} <= present(note)


@pytest.mark.parametrize(("note", "code"), [
    # cauda equina in the patient's words
    ("Says her bottom and inner thighs feel numb like after the dentist.", "saddle_anesthesia"),
    ("'My bum and the insides of my legs are dead.'", "saddle_anesthesia"),
    ("Pins and needles in the perineum and around the scrotum.", "sexual_dysfunction_new"),
    ("Reduced sensation during intercourse this week.", "sexual_dysfunction_new"),
    ("Says his erections have stopped working since the back went.", "sexual_dysfunction_new"),
    ("Couldn't feel himself passing a motion this morning.", "bowel_dysfunction_new"),
    ("Decreased perineal and anal sensation on PR.", "bowel_dysfunction_new"),
    ("Decreased perineal and anal sensation on PR.", "saddle_anesthesia"),
    ("New waterworks problems - can't tell when she needs to go.", "bladder_dysfunction_new"),
    # vision
    ("Homonymous hemianopia on confrontation.", "visual_loss"),
    ("A shadow came down over her right eye on waking.", "visual_loss"),
    ("Can't see out of the L eye since this morning.", "visual_loss"),
    ("Vision in the R eye went black for a few minutes.", "visual_loss"),
    ("Veil over his L eye lasting about 5 mins, then cleared.", "transient_ischaemic_symptoms"),
    # posterior circulation and cranial nerves
    ("Reduced light touch over the R cheek.", "facial_numbness"),
    ("V3 distribution numbness on the L.", "facial_numbness"),
    ("Her L hand has become clumsy this week.", "ataxia"),
    ("Overshoots when reaching for the cup.", "ataxia"),
    ("Feels swimmy when he stands up.", "dizziness"),
    ("Says the whole room was tilting.", "dizziness"),
    ("Knees just buckled in the kitchen, did not black out.", "drop_attacks"),
    ("Legs went from under her, no LOC, straight back up.", "drop_attacks"),
    ("Chokes when drinking tea.", "dysphagia"),
    ("Water goes down the wrong way.", "dysphagia"),
    ("L eyelid droopy, L pupil constricted.", "horner_signs"),
    ("Voice gone croaky over the last week.", "cranial_nerve_signs"),
    ("Headache was the worst she has ever had.", "sudden_severe_headache"),
    ("Like being struck over the head with a hammer.", "sudden_severe_headache"),
    ("Instantaneous severe frontal headache while lifting.", "sudden_severe_headache"),
    ("He has never had neck pain like this.", "neck_pain_unlike_any_before"),
    ("'Nothing like my normal stiff neck.'", "neck_pain_unlike_any_before"),
    ("Posterior circulation infarct last year.", "neurological_disease"),
    # vascular
    ("Pulsating mass felt above the umbilicus.", "pulsatile_abdominal_mass"),
    ("Can feel a pulsing in his belly when lying flat.", "pulsatile_abdominal_mass"),
    ("L calf circumference 2.5 cm more than R, warm.", "suspected_dvt_signs"),
    ("R calf increased swelling (+2 cm vs L), tender.", "suspected_dvt_signs"),
    ("His left calf's gone hot since the flight.", "suspected_dvt_signs"),
    # spinal cord: both legs, progression, gait
    ("Weakness both legs since Friday.", "bilateral_leg_neurological_symptoms"),
    ("Reduced pin prick over both feet.", "bilateral_leg_neurological_symptoms"),
    ("Says it feels like walking on sponge.", "gait_disturbance"),
    ("Grip getting progressively weaker.", "progressive_neurological_deficit"),
])
def test_general_phrasings_are_read_present(note: str, code: str) -> None:
    assert "present" in statuses(note, code)


@pytest.mark.parametrize(("note", "code"), [
    # the literal definition: any leg symptoms below the knee, any arm symptoms below the shoulder
    ("Swollen, bruised medial ankle after inversion.", "symptoms_distal_to_knee"),
    ("Heel pain first thing in the morning.", "symptoms_distal_to_knee"),
    ("Big toe MTPJ hot and swollen.", "symptoms_distal_to_knee"),
    ("Numb from the knees down.", "symptoms_distal_to_knee"),
    ("Rolled his ankle on a step yesterday.", "symptoms_distal_to_knee"),
    ("Golfer's elbow R.", "symptoms_distal_to_shoulder"),
    ("Aching over the back of the wrist.", "symptoms_distal_to_shoulder"),
    ("Knuckles stiff and swollen in the mornings.", "symptoms_distal_to_shoulder"),
    ("Trigger thumb L.", "symptoms_distal_to_shoulder"),
    ("Tingling in both hands at night.", "symptoms_distal_to_shoulder"),
])
def test_local_symptoms_below_knee_or_shoulder_count(note: str, code: str) -> None:
    assert "present" in statuses(note, code)


def test_a_dvt_sign_is_also_a_symptom_below_the_knee() -> None:
    codes = present("R calf hot, swollen and tender.")
    assert {"suspected_dvt_signs", "symptoms_distal_to_knee"} <= codes


@pytest.mark.parametrize(("note", "code"), [
    ("No swelling around the ankle.", "symptoms_distal_to_knee"),
    ("Hand and wrist NAD.", "symptoms_distal_to_shoulder"),
    ("Tight calf muscles, soleus length reduced.", "symptoms_distal_to_knee"),
    ("Referred to the foot and ankle clinic.", "symptoms_distal_to_knee"),
])
def test_not_every_mention_of_a_distal_part_is_a_symptom(note: str, code: str) -> None:
    assert code not in present(note)
