"""General phrasings of findings and their context: synonyms, abbreviations, word order, body parts,
misspellings, measurements, quotes and context rules. Each phrasing is written afresh for these tests."""

from __future__ import annotations

import pytest

from palpa.notes import extract

PRESENT = "present"


def statuses(note: str, code: str) -> set[str]:
    """The statuses with which `code` is read in `note`."""
    return {m.status for m in extract(note) if m.code == code}


@pytest.mark.parametrize(("note", "code"), [
    # symptoms carried below the knee: a carrier word, optional aspect, a body part
    ("Sciatica R, L>R, both running to the ankles.", "symptoms_distal_to_knee"),
    ("Pain shoots into the outside of the calf on coughing.", "symptoms_distal_to_knee"),
    ("Leg ache extends to the heel when sitting.", "symptoms_distal_to_knee"),
    ("Rep ext in standing peripheralised pain to the L big toe.", "symptoms_distal_to_knee"),
    ("Reduced sensation dorsum L foot and 1st web space.", "symptoms_distal_to_knee"),
    ("P&N into the lateral border of the foot.", "symptoms_distal_to_knee"),
    ("Buttock/hamstring/calf ache on walking.", "symptoms_distal_to_knee"),
    ("Numbness from the umbilicus down.", "symptoms_distal_to_knee"),
    ("Pain down the whole leg.", "symptoms_distal_to_knee"),
    # and below the shoulder
    ("Neck pain referring towards the R fingertips.", "symptoms_distal_to_shoulder"),
    ("Ache travels down the back of the upper arm.", "symptoms_distal_to_shoulder"),
    ("Tingling R middle/ring fingers.", "symptoms_distal_to_shoulder"),
    ("Pain radiating as far as the elbow.", "symptoms_distal_to_shoulder"),
    ("Burning along the forearm.", "symptoms_distal_to_shoulder"),
    # cauda equina
    ("Feels numb when she wipes after the toilet.", "saddle_anesthesia"),
    ("Reports numbness in the 'seat area' since Monday.", "saddle_anesthesia"),
    ("Trouble initiating micturition for 2 days.", "bladder_dysfunction_new"),
    ("New poor urinary stream and straining.", "bladder_dysfunction_new"),
    ("Some fecal incontinance overnight.", "bowel_dysfunction_new"),
    ("Faecal leakage yesterday.", "bowel_dysfunction_new"),
    # suspected DVT
    ("L calf markedly swollen (2.5cm > R) and hot.", "suspected_dvt_signs"),
    ("Red, warm and swollen R calf since the flight.", "suspected_dvt_signs"),
    ("Lower leg aching and tense, tender to touch.", "suspected_dvt_signs"),
    ("Tenderness along the line of the deep veins.", "suspected_dvt_signs"),
    ("Calf circumference 3cm larger than the other side.", "suspected_dvt_signs"),
    # TIA, visual loss, drop attacks, ataxia, face, Lhermitte, unlike-before pain
    ("L hand went weak for about five minutes at breakfast.", "transient_ischaemic_symptoms"),
    ("Couldn't find her words for 10 mins on Tuesday.", "transient_ischaemic_symptoms"),
    ("Vision went grey in the R eye for a few seconds.", "visual_loss"),
    ("Vision went grey in the R eye for a few seconds.", "transient_ischaemic_symptoms"),
    ("Speech slurred, now back to normal.", "transient_ischaemic_symptoms"),
    ("Legs suddenly gave way without blacking out.", "drop_attacks"),
    ("Collapsing to the ground without losing consciousness, twice.", "drop_attacks"),
    ("Unable to do heel-shin on the L.", "ataxia"),
    ("Finger-nose test: overshoots on R.", "ataxia"),
    ("Numbness of the R corner of the mouth.", "facial_numbness"),
    ("L-sided facial numbness this morning.", "facial_numbness"),
    ("Buzzing sensation down her back when looking down.", "lhermitte_sign"),
    ("Says it is like nothing she has had before.", "neck_pain_unlike_any_before"),
    ("Walks staggering to the L.", "gait_disturbance"),
    # trauma, fever, fracture, surgery, wounds
    ("Fell down a full flight of stairs.", "significant_trauma"),
    ("Tackled late by a defender at rugby.", "significant_trauma"),
    ("Twinged her back lifting a washing machine.", "minor_trauma"),
    ("Felt a pop during a heavy squat.", "minor_trauma"),
    ("Stepped awkwardly off the kerb.", "minor_trauma"),
    ("Running a temperature, feels shivery.", "fever_or_systemic_illness"),
    ("Temp: 38.9 on arrival.", "fever_or_systemic_illness"),
    ("Low grade fevers in the evenings.", "fever_or_systemic_illness"),
    ("New L1 burst #.", "fracture_recent_at_site"),
    ("Undisplaced radial head Fx.", "fracture_recent_at_site"),
    ("Day 12 post L TKR.", "recent_surgery_at_site"),
    ("Week 3 post-op ACDF.", "recent_surgery_at_site"),
    ("3/52 post arthroscopic repair.", "recent_surgery_at_site"),
    ("Scar still oozing at the distal end.", "open_wound_or_skin_lesion_at_site"),
    ("Steroid injection into the shoulder 5 days ago.", "recent_infection"),
    # steroids, guarding, lengths, hypomobility, pain/resistance, no improvement
    ("Prednisolone 5mg daily since 2016.", "prolonged_corticosteroid_use"),
    ("Maintenance pred for asthma.", "prolonged_corticosteroid_use"),
    ("Cx rotation guarded.", "muscle_guarding"),
    ("Hamstring length reduced bilaterally.", "reduced_muscle_length"),
    ("Posterior GH glide reduced.", "joint_hypomobility"),
    ("Talocrural AP glide stiff.", "joint_hypomobility"),
    ("1st rib stiff on springing.", "joint_hypomobility"),
    ("Elbow flex lacks 15° passively.", "joint_hypomobility"),
    ("L T6/7 CPA hypomobile.", "segmental_hypomobility"),
    ("C6/7 quite stiff on unilateral PA.", "segmental_hypomobility"),
    ("Resistance met well before pain.", "resistance_before_pain"),
    ("6/52 of physio and no real change.", "no_improvement_after_4_weeks"),
    ("Stiff for over 2 hrs in the mornings.", "inflammatory_back_pain_features"),
    ("Wakes at 4am, has to get up and walk about.", "inflammatory_back_pain_features"),
    ("Pain the same regardless of activity.", "constant_progressive_nonmechanical_pain"),
    ("Numbness creeping upwards over a week.", "progressive_neurological_deficit"),
    ("Decreased sensation over the L4 dermatome.", "radicular_signs"),
    ("Neck extension in sitting pain-free.", "looking_up_does_not_aggravate"),
    ("Looking up doesn't trigger the headache.", "looking_up_does_not_aggravate"),
    ("Can't quite reach 45 degrees to the L.", "unable_to_rotate_neck_45_degrees"),
    ("Hx small cell lung ca.", "history_of_cancer"),
    ("Does not want 'clicking' techniques.", "prefers_no_manipulation"),
])
def test_phrasing_is_read_present(note: str, code: str) -> None:
    assert PRESENT in statuses(note, code), extract(note)


@pytest.mark.parametrize(("note", "code"), [
    ("Referred to the foot and ankle clinic.", "symptoms_distal_to_knee"),
    ("Legs feel weak after walking for 10 minutes, eased by sitting.", "transient_ischaemic_symptoms"),
    ("Tingling in the hands at night for a few minutes, shakes them out.", "transient_ischaemic_symptoms"),
    ("Finds lifting her grandchild difficult.", "minor_trauma"),
    ("Clumsy hands, fumbling with buttons.", "ataxia"),
    ("Thoracic ache, eases with movement.", "inflammatory_back_pain_features"),
    ("Numb fingertips in both hands, worse at night.", "night_pain_unrelieved_by_rest"),
])
def test_phrasing_is_not_read_as(note: str, code: str) -> None:
    assert PRESENT not in statuses(note, code), extract(note)


@pytest.mark.parametrize(("note", "code", "status"), [
    # long-standing or known conditions are not "new"
    ("Erectile difficulties for 8 years, on tadalafil.", "sexual_dysfunction_new", "historical"),
    ("Known urinary incontinence after her hysterectomy.", "bladder_dysfunction_new", "historical"),
    ("Hoarse voice since childhood.", "cranial_nerve_signs", "historical"),
    ("New urinary retention, LBP for 10 years.", "bladder_dysfunction_new", "present"),
    ("Long-standing LBP with new urinary retention.", "bladder_dysfunction_new", "present"),
    # a reason after a weight loss, across a clause break
    ("Lost 6kg over 3/12 - deliberate, via Slimming World.", "unexplained_weight_loss", "negated"),
    ("Wt loss 5kg, not intentional.", "unexplained_weight_loss", "present"),
    ("Lost 7kg over 2/12 without trying, and night sweats.", "fever_or_systemic_illness", "present"),
    # night pain that changes with position
    ("Night pain, though it settles once he changes position.", "night_pain_unrelieved_by_rest", "negated"),
    ("Night pain when lying on her R shoulder.", "night_pain_unrelieved_by_rest", "negated"),
    ("Night pain, nothing helps, can't get comfortable.", "night_pain_unrelieved_by_rest", "present"),
    # jaw pain that is mechanical
    ("Jaw pain when chewing tough foods.", "jaw_claudication", "negated"),
    ("Jaw aches after 2 minutes of eating and eases once she rests.", "jaw_claudication", "present"),
    # planned, offered or declined operations
    ("R TKR planned for next month.", "joint_replacement_at_site", "hypothetical"),
    ("Surgeon discussed L4/5 fusion.", "spinal_fusion_at_site", "hypothetical"),
    ("C5/6 ACDF offered - patient declined.", "spinal_fusion_at_site", "hypothetical"),
    ("TKR 2019, knee stiff.", "joint_replacement_at_site", "present"),
    # a suspected diagnosis of a diagnosed-only code
    ("?PMR - ESR and CRP sent.", "polymyalgia_rheumatica", "hypothetical"),
    ("Probable AS, awaiting MRI SIJs.", "ankylosing_spondylitis", "hypothetical"),
    ("Diagnosed PMR 2021.", "polymyalgia_rheumatica", "present"),
    # after a pregnancy
    ("3/12 postnatal, PGP settled.", "pregnancy", "historical"),
    ("Pregnant 20/40, PGP.", "pregnancy", "present"),
    # former drug use
    ("Ex-IVDA, clean for 6 years.", "intravenous_drug_use", "historical"),
    # a measurement ends a negated list
    ("No pain below the knee, SLR 80 bilat, L5/S1 stiff on PA.", "segmental_hypomobility", "present"),
    ("Denies dizziness, tinnitus, diplopia or dysarthria.", "diplopia", "negated"),
    # "others" ends a backward scope
    ("One pin site red and weeping, the others healed.", "open_wound_or_skin_lesion_at_site", "present"),
    # a DVT sign list stops before another part's signs
    ("Calf swollen and red, hot swollen knee.", "acute_inflammation_at_site", "present"),
    # a short steroid course
    ("Pred 40mg daily for 5 days for asthma.", "prolonged_corticosteroid_use", "negated"),
])
def test_context_status(note: str, code: str, status: str) -> None:
    assert status in statuses(note, code), extract(note)


def test_quoted_words_match_and_spans_stay_exact() -> None:
    note = "Pt reports tingling 'down below' and 'clumsy' hands."
    mentions = extract(note)
    saddle = next(m for m in mentions if m.code == "saddle_anesthesia")
    assert saddle.status == PRESENT and note[saddle.start:saddle.end] == saddle.text
    assert saddle.text == "tingling 'down below"
