"""Properties that must hold for every valid case (hypothesis)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palpa.codec import assessment_to_dict, decode_case
from palpa.core.assess import assess
from palpa.knowledge.loader import load_knowledge

KB = load_knowledge()
V = KB.vocabulary
LEVELS = ["treat", "treat_with_precautions", "refer", "urgent", "emergency"]

findings_st = st.lists(st.sampled_from(V.findings), unique=True, max_size=8)
measures_st = st.fixed_dictionaries({}, optional={
    "fabq_work": st.integers(0, 42), "fabq_pa": st.integers(0, 24),
    "hip_internal_rotation_deg": st.floats(0, 90), "cervical_extension_rom_deg": st.floats(0, 90),
    "odi_percent": st.floats(0, 100), "ndi_percent": st.floats(0, 100),
    "start_back_items": st.lists(st.sampled_from([0, 1]), min_size=9, max_size=9)})
case_st = st.fixed_dictionaries(
    {"id": st.just("p"), "age": st.integers(0, 120), "sex": st.sampled_from(["female", "male", "other"]),
     "region": st.sampled_from(V.regions), "duration_days": st.integers(0, 4000),
     "findings": findings_st},
    optional={"onset": st.sampled_from(V.onsets), "pain_nprs": st.integers(0, 10),
              "irritability": st.sampled_from(["low", "moderate", "high"]), "measures": measures_st})

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(case: dict[str, Any]) -> dict[str, Any]:
    c = decode_case(orjson.dumps(case), KB)
    return orjson.loads(orjson.dumps(assessment_to_dict(assess(c, KB), KB)))


def level(a: dict[str, Any]) -> int:
    return LEVELS.index(a["triage"]["level"])


@SETTINGS
@given(case_st, findings_st)
def test_adding_findings_never_lowers_triage(case: dict[str, Any], extra: list[str]) -> None:
    more = dict(case, findings=sorted(set(case["findings"]) | set(extra)))
    assert level(run(more)) >= level(run(case))


@SETTINGS
@given(case_st)
def test_assessment_invariants(case: dict[str, Any]) -> None:
    a = run(case)
    own = [t for t in a["techniques"] if t["region"] == case["region"]]
    # every vocabulary technique exactly once at the case region
    assert sorted(t["technique"] for t in own) == sorted(V.techniques)
    # every reason and red flag names a source that exists
    for t in a["techniques"]:
        for r in t["reasons"]:
            assert r["source"] in KB.sources
    for f in a["red_flags"]:
        assert f["source"] in KB.sources
        assert f["id"] in V.red_flags
    # emergency/urgent: all contraindicated, no plan
    if a["triage"]["level"] in ("emergency", "urgent"):
        assert all(t["status"] == "contraindicated" for t in a["techniques"])
        assert a["plan"] is None
    else:
        plan = a["plan"]
        assert plan is not None and plan["exercise"] and plan["education"] and plan["home_program"]
    contraindicated = {t["technique"] for t in own if t["status"] == "contraindicated"}
    for t in a["techniques"]:
        if t["status"] == "recommended":
            # never recommend what is contraindicated at the complaint's region
            assert t["technique"] not in contraindicated
            assert t["dose"]["text"]
            assert any(r["kind"] == "indication" for r in t["reasons"])
        if t["technique"] == "joint_mobilization" and t["status"] == "recommended":
            assert t["grades"]
            if a["presentation"]["irritability"] == "high":
                assert set(t["grades"]) <= {"I", "II"}
    # thrust is never recommended at high irritability
    if a["presentation"]["irritability"] == "high":
        assert not any(t["technique"] == "joint_manipulation" and t["status"] == "recommended"
                       for t in a["techniques"])
    # the findings list echoes every structured finding once
    assert sorted(f["code"] for f in a["findings"]) == sorted(case["findings"])
    assert a["case_id"] == case["id"]
