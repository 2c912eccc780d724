"""Fourth round of general phrasings: struggling to swallow, hesitancy when passing urine, vision going
dark for seconds, losing one's speech for minutes, things going double, veering when walking, headaches
described with commas, falls counted before 'without blacking out', and normal voiding after surgery
overriding pre-operative retention. Each phrasing is written afresh for these tests."""

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
    # swallowing as an effort
    ("Has been struggling with swallowing since Friday.", "dysphagia"),
    ("Struggles to swallow anything thicker than soup.", "dysphagia"),
    ("Says he can barely swallow his morning pills.", "dysphagia"),
    ("Having a hard time swallowing her dinner.", "dysphagia"),
    ("Swallowing takes an effort - straining to swallow water.", "dysphagia"),
    # hesitancy written as how urine is passed
    ("Hesitant when passing water over the past two days.", "bladder_dysfunction_new"),
    ("Now slow to pass urine in the mornings.", "bladder_dysfunction_new"),
    ("Reports hesitation passing urine since the back went.", "bladder_dysfunction_new"),
    ("Delayed voiding noted this week.", "bladder_dysfunction_new"),
    # vision going dark, and lost speech, for an unnumbered or approximate time
    ("Vision in her R eye turned grey for a few seconds.", "transient_ischaemic_symptoms"),
    ("Sight went black for minutes, then came back.", "transient_ischaemic_symptoms"),
    ("His L eye going dark, then back to normal.", "transient_ischaemic_symptoms"),
    ("Lost his speech for about 10 mins on Tuesday.", "transient_ischaemic_symptoms"),
    ("Losing the ability to speak for ~2 minutes, twice.", "transient_ischaemic_symptoms"),
    ("Lost her words for several minutes at dinner.", "transient_ischaemic_symptoms"),
    ("Vision in her R eye turned grey for a few seconds.", "visual_loss"),
    ("Sight going blank then back to normal within a minute.", "visual_loss"),
    # double vision in lay words
    ("Things going double when he reads.", "diplopia"),
    ("Says the TV turns double when she tilts her head back.", "diplopia"),
    ("Sees things double on looking left.", "diplopia"),
    ("Everything becomes double after a few minutes of driving.", "diplopia"),
    # veering or lurching to one side is a coordination sign as well as a gait disturbance
    ("Drifting towards the R on walking.", "ataxia"),
    ("Wife notices him veering to one side.", "ataxia"),
    ("A lurching gait since the weekend.", "ataxia"),
    ("Drifting towards the R on walking.", "gait_disturbance"),
    # sudden headache with commas between its words, or a comma before 'the worst'
    ("Sudden, severe headache at the gym.", "sudden_severe_headache"),
    ("An explosive, blinding, frontal headache on Sunday.", "sudden_severe_headache"),
    ("Occipital headache - the worst of her life.", "sudden_severe_headache"),
    ("Headache: worst ever, came on while lifting.", "sudden_severe_headache"),
    # falls counted or dated before 'without blacking out'
    ("Has fallen three times this month without losing consciousness.", "drop_attacks"),
    ("Fell again yesterday, with no warning.", "drop_attacks"),
    ("Collapsed twice at home without passing out.", "drop_attacks"),
    ("Dropped suddenly in the kitchen without any LOC.", "drop_attacks"),
])
def test_fourth_round_phrasings_are_read_present(note: str, code: str) -> None:
    assert code in present(note)


@pytest.mark.parametrize(("note", "code"), [
    # normal voiding after an operation overrides pre-operative retention
    ("Pre-op urinary retention; catheter out day 3, passing urine normally.", "bladder_dysfunction_new"),
    ("Admitted in retention of urine. Post-decompression: voiding without difficulty.",
     "bladder_dysfunction_new"),
    ("Had acute urinary retention pre-op; micturition now normal.", "bladder_dysfunction_new"),
    ("Bladder retention before surgery, bladder function is normal since TWOC.", "bladder_dysfunction_new"),
    # a fall with its mechanism is not a drop attack; a short headache is not sudden and severe
    ("Fell off a ladder at work, no LOC.", "drop_attacks"),
    ("Slipped on ice and fell onto her wrist, no LOC.", "drop_attacks"),
    ("Sudden onset of neck pain, no headache.", "sudden_severe_headache"),
    # swallowing, passing urine and sight said to be fine
    ("Swallowing without difficulty, no struggle to swallow.", "dysphagia"),
    ("Voiding normally, no hesitancy.", "bladder_dysfunction_new"),
])
def test_fourth_round_lookalikes_are_not_read_present(note: str, code: str) -> None:
    assert code not in present(note)


def test_normal_voiding_resolves_only_the_bladder() -> None:
    note = "Pre-op saddle numbness and urinary retention. Post-op: now voiding normally; saddle still numb."
    assert statuses(note, "bladder_dysfunction_new") == {"historical", "negated"}
    assert "saddle_anesthesia" in present(note)


@pytest.mark.parametrize(("note", "code"), [
    # a muscle grade, then a higher grade at an earlier visit
    ("Quads 3/5, was 5/5 at last visit.", "progressive_neurological_deficit"),
    ("TA 1/5 R (3/5 last session).", "progressive_neurological_deficit"),
    ("Grip 4-/5 (5/5 previous review).", "progressive_neurological_deficit"),
    ("EHL 0/5 (from 2/5 last week).", "progressive_neurological_deficit"),
    # numbness or weakness said to be getting worse
    ("Tingling in both hands, getting progressively worse.", "progressive_neurological_deficit"),
    ("L foot numb and getting worse by the day.", "progressive_neurological_deficit"),
    ("Weakness in his R leg, which is getting worse.", "progressive_neurological_deficit"),
    # walking as if drunk, in the patient's or a relative's words
    ("Daughter says she walks as if she's drunk.", "gait_disturbance"),
    ("Walking a bit like I'm tipsy, he says.", "gait_disturbance"),
    ("Moves like a drunk down the corridor.", "gait_disturbance"),
    # pain tied to meals with a comma or an adjective between
    ("Interscapular ache, worse after heavy meals.", "abdominal_or_visceral_symptoms"),
    ("R upper back pain which flares after greasy food.", "abdominal_or_visceral_symptoms"),
    ("Pain, better after eating.", "abdominal_or_visceral_symptoms"),
    # symptoms retreating towards the spine
    ("Calf pain withdrew into the thigh after 10 REIL.", "centralization"),
    ("Arm symptoms have retreated to the shoulder with retraction.", "centralization"),
    ("Buttock pain receded into the low back.", "centralization"),
    # midline tenderness, neck rotation in degrees
    ("Tender in the midline at T11.", "midline_spinal_tenderness"),
    ("TTP centrally over L1.", "midline_spinal_tenderness"),
    ("Turns his head only about 20° to the R.", "unable_to_rotate_neck_45_degrees"),
    ("Can only rotate her neck ~35 deg either way.", "unable_to_rotate_neck_45_degrees"),
    # skin broken over the site
    ("Skin is cracked and split over the knuckles.", "open_wound_or_skin_lesion_at_site"),
    ("Dermatitis patch weeping over the lumbar region.", "open_wound_or_skin_lesion_at_site"),
    ("Psoriasis bleeding over the elbow.", "open_wound_or_skin_lesion_at_site"),
    # a single metastasis at a level
    ("Sclerotic met T9 on bone scan.", "bone_metastasis_at_site"),
    ("Solitary met in L4 from breast ca.", "bone_metastasis_at_site"),
    ("Bony met noted at the sacrum.", "bone_metastasis_at_site"),
    # no position or activity alters the pain
    ("No posture changes the pain, day or night.", "constant_progressive_nonmechanical_pain"),
    ("Not any movement or rest eases it.", "constant_progressive_nonmechanical_pain"),
    ("No activity alters it at all.", "constant_progressive_nonmechanical_pain"),
])
def test_fourth_round_other_findings_are_read_present(note: str, code: str) -> None:
    assert code in present(note)


@pytest.mark.parametrize(("note", "code"), [
    # a grade that has improved since the last visit is not a progressive deficit
    ("DF 4/5 (3/5 last week).", "progressive_neurological_deficit"),
    ("EHL 5/5, was 4/5 at last visit.", "progressive_neurological_deficit"),
    # pain getting worse without a neurological word
    ("Knee pain, getting worse on stairs.", "progressive_neurological_deficit"),
    ("Skin intact over the elbow.", "open_wound_or_skin_lesion_at_site"),
    ("Turns her head 70° to the L.", "unable_to_rotate_neck_45_degrees"),
])
def test_fourth_round_other_lookalikes_are_not_read_present(note: str, code: str) -> None:
    assert code not in present(note)


def test_an_earlier_grade_leaves_the_current_grade_read_as_weakness() -> None:
    found = present("Ankle DF 2/5 (was 4/5 last wk).")
    assert {"major_motor_weakness", "progressive_neurological_deficit"} <= found


@pytest.mark.parametrize(("note", "code"), [
    # a fall from a height given approximately
    ("Fell about 3 m from a roof last week.", "significant_trauma"),
    ("Fell nearly 10 ft off scaffolding.", "significant_trauma"),
    ("Fell approx. 1.5 metres from a wall onto concrete.", "significant_trauma"),
    # awake at night with the pain whatever the position
    ("Awake most nights with it regardless of position.", "night_pain_unrelieved_by_rest"),
    ("Up half the night with the pain, whatever posture she lies in.", "night_pain_unrelieved_by_rest"),
    ("Awake every night with it no matter what position he tries.", "night_pain_unrelieved_by_rest"),
])
def test_fourth_round_trauma_and_night_pain_are_read_present(note: str, code: str) -> None:
    assert code in present(note)


def test_a_fall_from_an_approximate_height_is_not_minor_trauma() -> None:
    found = present("Fell ~4m off a ladder onto her side.")
    assert "significant_trauma" in found
    assert "minor_trauma" not in found
