"""Every contraindication rule restricts its techniques with its findings, and not without them."""

from __future__ import annotations

import pytest

from palpa.core.knowledge import ContraindicationRule
from palpa.knowledge.loader import load_knowledge
from tests.conftest import AssessFn, recommended, statuses
from tests.core.test_red_flags import case_meeting

KB = load_knowledge()


@pytest.mark.parametrize("rule", KB.contraindications, ids=lambda r: r.id)
def test_rule_restricts_its_techniques(rule: ContraindicationRule, run: AssessFn) -> None:
    for codes in [c.codes for c in rule.combos] or [()]:
        a = run(findings=list(codes), **case_meeting(rule.conditions))
        status = statuses(a)
        by_tech = {t["technique"]: t for t in a["techniques"] if t["region"] == a["techniques"][0]["region"]}
        for technique, severity in rule.techniques.items():
            reasons = {r["rule"] for r in by_tech[technique]["reasons"]}
            assert rule.id in reasons, f"{rule.id} missing from {technique}"
            if severity == "absolute":
                assert status[technique] == "contraindicated"
                assert technique not in recommended(a)
            else:
                assert status[technique] != "suitable"
        if rule.affects_triage:
            assert a["triage"]["level"] != "treat"


@pytest.mark.parametrize("rule", [r for r in KB.contraindications if r.combos], ids=lambda r: r.id)
def test_rule_silent_without_its_findings(rule: ContraindicationRule, run: AssessFn) -> None:
    a = run(findings=[], **case_meeting(rule.conditions))
    for t in a["techniques"]:
        assert rule.id not in {r["rule"] for r in t["reasons"]}


def test_region_limited_rule_does_not_apply_elsewhere(run: AssessFn) -> None:
    neck = run(findings=["rheumatoid_arthritis"], region="cervical")
    knee = run(findings=["rheumatoid_arthritis"], region="knee")
    assert statuses(neck)["joint_manipulation"] == "contraindicated"
    assert statuses(knee)["joint_manipulation"] == "caution"


def test_patient_preference_blocks_thrust_without_raising_triage(run: AssessFn) -> None:
    a = run(findings=["segmental_hypomobility", "prefers_no_manipulation"], duration_days=9,
            measures={"fabq_work": 10, "hip_internal_rotation_deg": 40}, irritability="moderate")
    assert a["prediction_rules"][0]["positive"] is True
    assert statuses(a)["joint_manipulation"] == "contraindicated"
    assert "joint_manipulation" not in recommended(a)
    assert a["triage"]["level"] == "treat"


def test_child_neck_thrust_is_a_precaution(run: AssessFn) -> None:
    assert statuses(run(region="cervical", age=15))["joint_manipulation"] == "caution"
    assert statuses(run(region="cervical", age=30))["joint_manipulation"] == "suitable"


def test_refer_for_vascular_review_withholds_neck_mobilization(run: AssessFn) -> None:
    a = run(region="cervical", findings=["dizziness", "joint_hypomobility"], irritability="low")
    assert a["triage"]["level"] == "refer"
    s = statuses(a)
    assert s["joint_mobilization"] == "caution" and "joint_mobilization" not in recommended(a)
    assert s["soft_tissue_mobilization"] != "contraindicated"
    assert a["plan"]["exercise"]


def test_known_dvt_blocks_limb_soft_tissue_work(run: AssessFn) -> None:
    a = run(findings=["deep_vein_thrombosis", "muscle_guarding"], region="knee")
    s = statuses(a)
    for t in ("soft_tissue_mobilization", "myofascial_release", "trigger_point_therapy", "iastm"):
        assert s[t] == "contraindicated"
