"""Clinical prediction rules: counting criteria, unjudgeable criteria, regions."""

from __future__ import annotations

from tests.conftest import AssessFn


def rule(a: dict, rid: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in a["prediction_rules"] if r["id"] == rid)


def test_flynn_all_five(run: AssessFn) -> None:
    a = run(duration_days=9, findings=["segmental_hypomobility"],
            measures={"fabq_work": 12, "hip_internal_rotation_deg": 40})
    r = rule(a, "flynn_lumbar_manipulation")
    assert (r["criteria_met"], r["criteria_total"], r["positive"]) == (5, 5, True)
    assert "24.4" in r["likelihood_ratio"]
    assert "Hancock" in r["validation"]


def test_flynn_missing_measures_count_as_not_met(run: AssessFn) -> None:
    a = run(duration_days=9, findings=["segmental_hypomobility", "symptoms_distal_to_knee"])
    r = rule(a, "flynn_lumbar_manipulation")
    assert r["criteria_met"] == 2 and r["positive"] is False
    unjudged = {c["id"] for c in r["criteria"] if not c["judged"]}
    assert unjudged == {"fabq_work_under_19", "hip_ir_over_35"}


def test_flynn_thresholds_are_strict(run: AssessFn) -> None:
    a = run(duration_days=16, findings=[], measures={"fabq_work": 19, "hip_internal_rotation_deg": 35})
    assert rule(a, "flynn_lumbar_manipulation")["criteria_met"] == 1  # only: no symptoms below knee


def test_cleland_counts_six(run: AssessFn) -> None:
    a = run(region="cervical", duration_days=20,
            findings=["looking_up_does_not_aggravate", "reduced_upper_thoracic_kyphosis"],
            measures={"fabq_pa": 8, "cervical_extension_rom_deg": 25})
    r = rule(a, "cleland_thoracic_manipulation_neck")
    assert (r["criteria_met"], r["criteria_total"], r["positive"]) == (6, 6, True)


def test_rules_apply_only_to_their_regions(run: AssessFn) -> None:
    assert run(region="knee")["prediction_rules"] == []
    assert [r["id"] for r in run(region="cervical")["prediction_rules"]] == [
        "cleland_thoracic_manipulation_neck"]


def test_negative_rule_does_not_forbid_thrust(run: AssessFn) -> None:
    a = run(duration_days=100, findings=["segmental_hypomobility"])
    assert rule(a, "flynn_lumbar_manipulation")["positive"] is False
    thrust = next(t for t in a["techniques"] if t["technique"] == "joint_manipulation")
    assert thrust["status"] == "suitable"
