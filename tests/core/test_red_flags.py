"""Every red-flag rule fires with its findings and conditions, and not without its findings."""

from __future__ import annotations

from typing import Any

import pytest

from palpa.core.knowledge import Conditions, KnowledgeBase, RedFlagRule
from palpa.knowledge.loader import load_knowledge
from tests.conftest import AssessFn

KB = load_knowledge()
LEVELS = ["treat", "treat_with_precautions", "refer", "urgent", "emergency"]


def case_meeting(conditions: Conditions, default_region: str = "lumbar") -> dict[str, Any]:
    """Case fields that satisfy a rule's non-finding conditions."""
    region = sorted(conditions.regions)[0] if conditions.regions else default_region
    age = conditions.age_min if conditions.age_min is not None else 40
    if conditions.age_max is not None:
        age = min(age, conditions.age_max)
    duration = conditions.duration_min_days if conditions.duration_min_days is not None else 10
    if conditions.duration_max_days is not None:
        duration = min(duration, conditions.duration_max_days)
    onset = sorted(conditions.onsets)[0] if conditions.onsets else "insidious"
    return {"region": region, "age": age, "duration_days": duration, "onset": onset}


def fired(a: dict[str, Any], rule_id: str) -> dict[str, Any] | None:
    for flag in a["red_flags"]:
        if any(r["rule"] == rule_id for r in flag["rules"]):
            return flag
    return None


@pytest.mark.parametrize("rule", KB.red_flag_rules, ids=lambda r: r.id)
def test_rule_fires_with_each_combination(rule: RedFlagRule, run: AssessFn) -> None:
    for combo in rule.combos:
        a = run(findings=list(combo.codes), **case_meeting(rule.conditions))
        flag = fired(a, rule.id)
        assert flag is not None, f"{rule.id} did not fire on {combo.codes}"
        assert flag["id"] == rule.flag
        assert LEVELS.index(flag["urgency"]) >= rule.urgency
        assert LEVELS.index(a["triage"]["level"]) >= rule.urgency
        assert set(combo.codes) <= set(flag["findings"])
        assert flag["source"] in KB.sources


@pytest.mark.parametrize("rule", KB.red_flag_rules, ids=lambda r: r.id)
def test_rule_silent_without_its_findings(rule: RedFlagRule, run: AssessFn) -> None:
    a = run(findings=[], **case_meeting(rule.conditions))
    assert fired(a, rule.id) is None


def test_every_vocabulary_red_flag_has_a_rule(kb: KnowledgeBase) -> None:
    assert {r.flag for r in kb.red_flag_rules} == set(kb.vocabulary.red_flags)


def test_most_urgent_rule_wins_for_a_flag(run: AssessFn) -> None:
    a = run(findings=["history_of_cancer", "unexplained_weight_loss"], region="lumbar")
    flag = next(f for f in a["red_flags"] if f["id"] == "spinal_malignancy")
    assert flag["urgency"] == "urgent"
    assert {r["rule"] for r in flag["rules"]} >= {"cancer_history_with_features",
                                                   "cancer_history_spinal_pain"}


@pytest.mark.parametrize(("findings", "region", "flag", "level"), [
    (["saddle_anesthesia"], "lumbar", "cauda_equina_syndrome", "emergency"),
    (["bladder_dysfunction_new"], "cervical", "spinal_cord_compression", "emergency"),
    (["dizziness", "diplopia"], "cervical", "cervical_arterial_dysfunction", "emergency"),
    (["dysphagia"], "cervical", "cervical_arterial_dysfunction", "emergency"),
    (["pulsatile_abdominal_mass"], "lumbar", "abdominal_aortic_aneurysm", "emergency"),
    (["suspected_dvt_signs"], "knee", "venous_thromboembolism", "emergency"),
    (["acute_inflammation_at_site", "fever_or_systemic_illness"], "knee", "septic_arthritis", "emergency"),
    (["significant_trauma", "midline_spinal_tenderness"], "cervical", "spinal_fracture", "emergency"),
    (["osteoporosis", "minor_trauma"], "thoracic", "spinal_fracture", "urgent"),
    (["upper_motor_neuron_signs"], "cervical", "spinal_cord_compression", "urgent"),
    (["upper_cervical_instability_symptoms", "rheumatoid_arthritis"], "cervical",
     "upper_cervical_instability", "urgent"),
    (["intravenous_drug_use", "fever_or_systemic_illness"], "lumbar", "spinal_infection", "urgent"),
    (["progressive_neurological_deficit"], "lumbar", "progressive_neurological_deficit", "urgent"),
    (["inflammatory_back_pain_features"], "lumbar", "inflammatory_arthritis", "refer"),
    (["abdominal_or_visceral_symptoms"], "thoracic", "visceral_or_cardiac_referral", "refer"),
])
def test_clinical_scenarios(findings: list[str], region: str, flag: str, level: str,
                            run: AssessFn) -> None:
    a = run(findings=findings, region=region, age=45, duration_days=5)
    assert flag in {f["id"] for f in a["red_flags"]}
    assert a["triage"]["level"] == level


def test_giant_cell_arteritis_depends_on_age(run: AssessFn) -> None:
    older = run(findings=["jaw_claudication", "scalp_tenderness"], region="tmj", age=72)
    assert older["triage"]["level"] in ("urgent", "emergency")
    younger = run(findings=["jaw_claudication"], region="tmj", age=30)
    assert younger["triage"]["level"] == "refer"


def test_benign_case_has_no_flags(run: AssessFn) -> None:
    a = run(findings=["joint_hypomobility", "resistance_before_pain"], region="knee")
    assert a["red_flags"] == []
    assert a["triage"]["level"] == "treat"
