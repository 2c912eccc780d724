"""Third round of general phrasings: lay and quoted wordings of red flags (cauda equina, brainstem and
cranial nerve signs, giant cell arteritis, DVT), abbreviations with their gloss, spelling slips, verdicts
after a dash, observers who are not relatives, and a resolved status overriding an earlier mention.
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
    # saddle numbness: lay likenesses, the anus, sacral dermatomes and perianal testing
    ("Says her bottom feels like she has had a local anaesthetic.", "saddle_anesthesia"),
    ("Back passage 'feels like it's frozen' since Tuesday.", "saddle_anesthesia"),
    ("Tingling around his anus when he sits.", "saddle_anesthesia"),
    ("Altered LT over S2-S4 on the L.", "saddle_anesthesia"),
    ("Decreased sensation to pin prick in the saddle area.", "saddle_anesthesia"),
    ("Perineal sensation to light touch is diminished.", "saddle_anesthesia"),
    ("S4/5 sensation reduced bilaterally.", "saddle_anesthesia"),
    # bladder: leaking, a stream that won't start, straining, no sense of fullness, a large residual
    ("Has been leaking urine since Sunday.", "bladder_dysfunction_new"),
    ("Dribbling small amounts of wee without noticing.", "bladder_dysfunction_new"),
    ("Can't get started with her stream this morning.", "bladder_dysfunction_new"),
    ("Says his wee won't start unless he pushes.", "bladder_dysfunction_new"),
    ("Has to strain to pass urine for 2 days.", "bladder_dysfunction_new"),
    ("Doesn't know when her bladder is full any more.", "bladder_dysfunction_new"),
    ("Unable to tell if his bladder is full.", "bladder_dysfunction_new"),
    ("PVR 380 ml on scan.", "bladder_dysfunction_new"),
    ("Residual volume of 600mls after voiding.", "bladder_dysfunction_new"),
    # sexual: ED with its gloss, new-onset ED
    ("Reports ED (erectile dysfunction) for a week.", "sexual_dysfunction_new"),
    ("New-onset ED since the back went.", "sexual_dysfunction_new"),
    # both legs
    ("Shooting pain into both legs since lifting.", "bilateral_leg_neurological_symptoms"),
    ("Sciatica affecting both thighs.", "bilateral_leg_neurological_symptoms"),
    ("Numbness in both feet, below the knees.", "symptoms_distal_to_knee"),
    # speech: patient and relative wordings, spelling slips
    ("Wife says he sounds like he's drunk on the phone.", "dysarthria"),
    ("His words keep coming out all wrong.", "dysarthria"),
    ("Speach slurred since yesterday.", "dysarthria"),
    ("Talking as if she were drunk, per daughter.", "dysarthria"),
    ("Her speech has been a bit garbled this week.", "dysarthria"),
    # swallowing
    ("Finding it hard to swallow her tablets.", "dysphagia"),
    ("Swallowing solids has been difficult since the neck pain began.", "dysphagia"),
    ("Bread sticks in his throat.", "dysphagia"),
    ("Keeps choking on her coffee.", "dysphagia"),
    ("Tablets catching when he swallows.", "dysphagia"),
    # vision: part of the field, a shadow or curtain across it
    ("Lost the top half of the vision in his L eye this morning.", "visual_loss"),
    ("A dark curtain covering the lower part of her sight in the R eye.", "visual_loss"),
    ("Shadow coming across the left half of his vision.", "visual_loss"),
    # giant cell arteritis: jaw pain with meals, tender temples, tender scalp on combing
    ("Ache in the jaw by the end of each meal, goes off when she rests.", "jaw_claudication"),
    ("Jaw aches halfway through his food.", "jaw_claudication"),
    ("R temple is very tender to touch.", "scalp_tenderness"),
    ("Scalp sore when she brushes her hair.", "scalp_tenderness"),
    ("Sore scalp for 2 weeks.", "scalp_tenderness"),
    # DVT: a tight calf with a DVT sign, 'has been', bigger than the other side
    ("R calf feels tight and warm to touch.", "suspected_dvt_signs"),
    ("L calf has been red and hot since the flight.", "suspected_dvt_signs"),
    ("Calf is swollen, more swollen than the other leg.", "suspected_dvt_signs"),
    # double vision in lay words
    ("Sees two of everything when she looks up.", "diplopia"),
    ("Things look doubled when he turns his eyes to the R.", "diplopia"),
    # cranial nerves: uvula, facial droop by side, a crooked smile, eye closure
    ("Uvula deviated to the L on 'ahh'.", "cranial_nerve_signs"),
    ("Her face has dropped on the L side.", "cranial_nerve_signs"),
    ("Left side of his face sagging today.", "cranial_nerve_signs"),
    ("Lopsided smile noticed by husband.", "cranial_nerve_signs"),
    ("Can't close her R eye fully.", "cranial_nerve_signs"),
    # facial numbness in lay words
    ("Lips feel like she's just been to the dentist.", "facial_numbness"),
    ("Cheek feels as if it had an injection.", "facial_numbness"),
    # transient deficits by a duration before the episode
    ("A 20-minute episode of L arm weakness yesterday.", "transient_ischaemic_symptoms"),
    ("Two 5 min spells of slurred speech this week.", "transient_ischaemic_symptoms"),
    # drop attacks
    ("Her knees have just gone twice with no loss of consciousness.", "drop_attacks"),
    ("Dropped to her knees without warning in the kitchen.", "drop_attacks"),
    # neck pain unlike any before, in the patient's words
    ("Says his neck hurts like he has never felt before.", "neck_pain_unlike_any_before"),
    ("'I get a sore neck now and then but this is completely different.'", "neck_pain_unlike_any_before"),
    # residual problems after a resolved stroke stay present
    ("Dysarthria resolved; ongoing dysphagia for solids.", "dysphagia"),
])
def test_general_phrasings_are_read_present(note: str, code: str) -> None:
    assert code in present(note), extract(note)


@pytest.mark.parametrize(("note", "code"), [
    # a verdict after a dash or colon
    ("Bladder + bowels - no change.", "bladder_dysfunction_new"),
    ("B&B - normal.", "bowel_dysfunction_new"),
    ("Bladder/bowel: no problems, saddle sensation intact.", "bladder_dysfunction_new"),
    ("Waterworks - all fine.", "bladder_dysfunction_new"),
    ("Double vision - nil new.", "diplopia"),
    # a resolved status overrides earlier mentions of the same finding
    ("Admitted with slurred speech and double vision. Diplopia and dysarthria have since resolved.",
     "diplopia"),
    ("Admitted with slurred speech and double vision. Diplopia and dysarthria have since resolved.",
     "dysarthria"),
    ("Came in with a thunderclap headache and vomiting; headache and nausea since settled.",
     "sudden_severe_headache"),
    # a bare ED is the emergency department, not erectile dysfunction
    ("Sent to ED for a scan.", "sexual_dysfunction_new"),
    ("New ED attendance after the fall.", "sexual_dysfunction_new"),
    # a tight calf on muscle-length testing is not a DVT
    ("Calf tight on stretch, no swelling.", "suspected_dvt_signs"),
    # passing urine normally is not a leak
    ("Passing urine normally.", "bladder_dysfunction_new"),
    # a small post-void residual is not retention
    ("Post-void residual 50 ml.", "bladder_dysfunction_new"),
    # speech and swallowing said to be normal
    ("Speech not slurred, swallowing fine.", "dysarthria"),
    ("Food not sticking.", "dysphagia"),
])
def test_general_phrasings_are_not_read_present(note: str, code: str) -> None:
    assert code not in present(note), extract(note)


@pytest.mark.parametrize(("note", "code"), [
    ("Wife has also noticed his eyes jumping when he looks to the side.", "nystagmus"),
    ("Her son says her speech has been slurred since the weekend.", "dysarthria"),
    ("Partner has seen him drop to the floor without LOC twice.", "drop_attacks"),
])
def test_an_observer_is_not_a_relative_with_the_finding(note: str, code: str) -> None:
    assert statuses(note, code) == {"present"}


@pytest.mark.parametrize(("note", "code"), [
    ("Constant pain, no position gives relief, breathless on exertion lately.", "chest_pain_or_dyspnea"),
    ("No painkillers touch it, and SOB walking up the hill.", "chest_pain_or_dyspnea"),
])
def test_no_relief_does_not_negate_what_follows(note: str, code: str) -> None:
    assert code in present(note), extract(note)


def test_an_outpatient_physiotherapy_department_is_not_osteoporosis() -> None:
    assert "osteoporosis" not in present("Referred to OP PT for neck pain.")


@pytest.mark.parametrize(("note", "code"), [
    # trauma mechanisms and neck rotation in degrees or fractions of range
    ("Big late tackle in the second half.", "significant_trauma"),
    ("Collapsed scrum at training on Tuesday.", "recent_neck_trauma"),
    ("Went straight down clutching his neck after the hit.", "recent_neck_trauma"),
    ("Slipped down a flight of 12 steps at the station.", "significant_trauma"),
    ("Cx rotation ~35 deg R and 40 deg L.", "unable_to_rotate_neck_45_degrees"),
    ("Can only turn about a third of the way to the R.", "unable_to_rotate_neck_45_degrees"),
    ("Twisted R ankle stepping down off a bus.", "minor_trauma"),
    ("Back went while lifting his father out of the bath.", "minor_trauma"),
    # injected drug use stated as current practice
    ("Currently injecting, shares needles.", "intravenous_drug_use"),
    # worsening neurology: grades now and before, spreading up, foot slapping, toes catching
    ("TA now 2/5, was 4/5 last week.", "progressive_neurological_deficit"),
    ("Quads 4/5 two weeks ago, now 3/5.", "progressive_neurological_deficit"),
    ("Numbness has crept up into the thigh.", "progressive_neurological_deficit"),
    ("Legs getting progressively weaker over 3 days.", "progressive_neurological_deficit"),
    ("Both legs have become heavy and numb.", "bilateral_leg_neurological_symptoms"),
    ("R foot has started slapping on the floor.", "major_motor_weakness"),
    ("Keeps catching her L toes on the kerb.", "major_motor_weakness"),
    ("Numb patch over the R big toe.", "symptoms_distal_to_knee"),
    ("Numb from the mid-thigh down on both sides.", "symptoms_distal_to_knee"),
    # myelopathy: gait with feet apart, numb fingers of both hands
    ("Walks with his legs wide apart now.", "gait_disturbance"),
    ("Gait has become wide-based.", "gait_disturbance"),
    ("Tingling in all the fingers of both hands.", "bilateral_hand_paresthesia_or_clumsiness"),
    # a new spinal deformity in lay words
    ("Daughter says her back looks much more hunched.", "structural_deformity"),
    ("New thoracic angulation seen on inspection.", "structural_deformity"),
    ("He is now stooped, which he was not before.", "structural_deformity"),
])
def test_serious_pathology_phrasings_are_read_present(note: str, code: str) -> None:
    assert code in present(note), extract(note)


@pytest.mark.parametrize(("note", "code"), [
    ("Neck rotation 70 deg both ways.", "unable_to_rotate_neck_45_degrees"),
    ("Numb patch over the L little toe.", "symptoms_distal_to_shoulder"),
    ("Injecting insulin twice daily.", "intravenous_drug_use"),
    # a scope ends at 'until' and at 'there is'; 'has been excluded' negates
    ("Please do not mobilise until a fracture has been excluded.", "fracture_recent_at_site"),
    ("No history of trauma, and there is a new gibbus at T8.", "significant_trauma"),
])
def test_serious_pathology_lookalikes_are_not_read_present(note: str, code: str) -> None:
    assert code not in present(note), extract(note)


def test_a_scope_ends_at_there_is() -> None:
    assert "structural_deformity" in present("No history of trauma, and there is a new gibbus at T8.")


def test_a_scope_ends_at_until() -> None:
    note = "No lifting until the DVT has been treated; calf still hot and swollen."
    assert statuses(note, "deep_vein_thrombosis") != {"negated"}
