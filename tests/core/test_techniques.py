"""Technique choice, grades and doses."""

from __future__ import annotations

import pytest

from palpa.core.techniques import lower_grades
from tests.conftest import AssessFn, recommended, statuses


@pytest.mark.parametrize(("grades", "steps", "expected"), [
    (("III", "IV"), 1, ("II", "III")),
    (("II", "III"), 1, ("I", "II")),
    (("I", "II"), 1, ("I", "II")),
    (("III", "IV"), 0, ("III", "IV")),
    (("III", "IV"), 2, ("I", "II")),
])
def test_lower_grades(grades: tuple[str, ...], steps: int, expected: tuple[str, ...]) -> None:
    assert lower_grades(grades, steps) == expected


def mobilization(a: dict) -> dict:  # type: ignore[type-arg]
    return next(t for t in a["techniques"] if t["technique"] == "joint_mobilization")


def test_pain_dominant_gets_low_grades(run: AssessFn) -> None:
    a = run(findings=["pain_before_resistance", "joint_hypomobility"], region="shoulder",
            irritability="moderate", duration_days=20)
    assert mobilization(a)["grades"] == ["I", "II"]
    assert mobilization(a)["dose"]["variant"] == "pain"


def test_stiffness_dominant_gets_high_grades(run: AssessFn) -> None:
    a = run(findings=["resistance_before_pain", "joint_hypomobility"], region="shoulder",
            irritability="low", duration_days=200)
    assert mobilization(a)["grades"] == ["III", "IV"]


def test_high_irritability_never_high_grades_nor_thrust(run: AssessFn) -> None:
    a = run(findings=["resistance_before_pain", "segmental_hypomobility"], irritability="high",
            duration_days=5, measures={"fabq_work": 5, "hip_internal_rotation_deg": 45})
    assert set(mobilization(a)["grades"]) <= {"I", "II"}
    assert "joint_manipulation" not in recommended(a)


def test_irritability_inferred_from_pain(run: AssessFn) -> None:
    a = run(findings=["joint_hypomobility"], region="knee", pain_nprs=8)
    assert a["presentation"]["irritability"] == "high"
    assert a["presentation"]["irritability_inferred"] is True


def test_caution_lowers_grade(run: AssessFn) -> None:
    a = run(findings=["resistance_before_pain", "joint_hypomobility", "osteoporosis"],
            region="knee", irritability="low", duration_days=200)
    assert mobilization(a)["grades"] == ["II", "III"]
    assert "Modified" in mobilization(a)["dose"]["text"]


def test_thoracic_thrust_for_neck_pain_is_an_entry_for_thoracic(run: AssessFn) -> None:
    a = run(region="cervical", duration_days=10, irritability="moderate",
            findings=["looking_up_does_not_aggravate", "reduced_upper_thoracic_kyphosis"],
            measures={"fabq_pa": 5})
    rule = a["prediction_rules"][0]
    assert rule["id"] == "cleland_thoracic_manipulation_neck" and rule["positive"]
    thoracic = [t for t in a["techniques"] if t["region"] == "thoracic"]
    assert [t["technique"] for t in thoracic] == ["joint_manipulation"]
    assert thoracic[0]["status"] == "recommended"
    assert statuses(a)["joint_manipulation"] == "suitable"


def test_no_thoracic_thrust_when_neck_thrust_is_restricted(run: AssessFn) -> None:
    a = run(region="cervical", duration_days=10, irritability="moderate",
            findings=["joint_hypomobility", "recent_neck_trauma"])
    assert "joint_manipulation" not in recommended(a)


def test_nerve_mobilization_sliders_when_irritable(run: AssessFn) -> None:
    irritable = run(findings=["positive_neurodynamic_test"], irritability="moderate")
    calm = run(findings=["positive_neurodynamic_test"], irritability="low", duration_days=200)
    pick = lambda a: next(t for t in a["techniques"] if t["technique"] == "nerve_mobilization")  # noqa: E731
    assert pick(irritable)["dose"]["variant"] == "slider"
    assert pick(calm)["dose"]["variant"] == "tensioner"


def test_refer_withholds_thrust_but_keeps_a_plan(run: AssessFn) -> None:
    a = run(findings=["inflammatory_back_pain_features", "segmental_hypomobility"], duration_days=9,
            measures={"fabq_work": 5, "hip_internal_rotation_deg": 45})
    assert a["triage"]["level"] == "refer"
    assert "joint_manipulation" not in recommended(a)
    assert a["plan"] is not None and a["plan"]["while_awaiting_review"]


@pytest.mark.parametrize(("findings", "region", "onset", "technique"), [
    (["myofascial_trigger_points"], "shoulder", "insidious", "trigger_point_therapy"),
    (["muscle_guarding"], "lumbar", "insidious", "soft_tissue_mobilization"),
    (["reduced_muscle_length"], "hip", "insidious", "muscle_energy_technique"),
    (["reduced_muscle_length"], "elbow", "overuse", "iastm"),
    (["radicular_signs"], "cervical", "insidious", "manual_traction"),
    ([], "knee", "post_surgical", "passive_range_of_motion"),
    (["positive_neurodynamic_test"], "lumbar", "insidious", "nerve_mobilization"),
])
def test_indicated_technique_is_recommended(findings: list[str], region: str, onset: str,
                                            technique: str, run: AssessFn) -> None:
    a = run(findings=findings, region=region, onset=onset, irritability="moderate", duration_days=60)
    assert technique in recommended(a)
