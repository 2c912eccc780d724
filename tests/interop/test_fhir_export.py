"""Episode -> FHIR R4 Bundle (validated by fhir.resources) -> import -> the same case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from palpa.codec import assessment_to_dict
from palpa.core.episode import Episode, Intake
from palpa.demo_data import PATIENTS
from palpa.interop import fhir_export
from palpa.interop.codes import load_code_tables
from palpa.interop.fhir_export import ExportError, PatientDetails, birth_date_for_age, bundle_for_episode
from palpa.interop.fhir_import import cases_from_bundle
from palpa.knowledge.episode_loader import load_episode
from palpa.knowledge.loader import load_knowledge
from palpa.service import assess_json_case

ROOT = Path(__file__).resolve().parents[2]
DEMO_EPISODE = ROOT / "src" / "palpa" / "data" / "demo_episode.json"
CASES = sorted(p for p in (ROOT / "tests" / "cases").glob("*.json") if not p.name.endswith(".expected.json"))
START = date(2025, 3, 3)


def assess(case: dict[str, Any]) -> dict[str, Any]:
    kb = load_knowledge()
    return assessment_to_dict(assess_json_case(orjson.dumps(case), kb), kb)


def intake_episode(case: dict[str, Any]) -> Episode:
    """An episode with no visits yet: the intake only."""
    return Episode(id=f"ep-{case['id']}", patient_ref=case["id"], region=case["region"], start=START,
                   intake=Intake(summary="intake"))


def details(case: dict[str, Any], on: date) -> PatientDetails:
    return PatientDetails(id=f"pt-{case['id']}", birth_date=birth_date_for_age(case["age"], on),
                          sex=case["sex"], name="Test Patient")


def codings(node: Any) -> Iterator[dict[str, Any]]:
    """Every Coding in a JSON tree."""
    if isinstance(node, dict):
        if "system" in node and "code" in node and isinstance(node["code"], str):
            yield node
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from codings(value)


def demo() -> tuple[Episode, dict[str, Any], dict[str, Any], dict[str, Any]]:
    kb = load_knowledge()
    episode = load_episode(DEMO_EPISODE, kb)
    case = PATIENTS[0]["case"]
    assessment = assess(case)
    bundle = bundle_for_episode(episode, case, assessment, details(case, episode.start))
    return episode, case, assessment, bundle


def test_demo_episode_round_trips_through_a_valid_bundle() -> None:
    episode, case, assessment, bundle = demo()
    Bundle.model_validate(bundle)  # R4 models accept it
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1 and "CarePlan" in kinds
    assert kinds.count("Procedure") == sum(len(v.techniques) for v in episode.visits)
    [imported] = cases_from_bundle(bundle, as_of=episode.start)
    got = imported.case
    assert got is not None and imported.unmapped == ()
    for key in ("age", "sex", "region", "duration_days", "onset", "irritability"):
        assert got[key] == case[key], key
    new_findings = {f for v in episode.visits for f in v.new_findings}
    assert set(got["findings"]) == {f["code"] for f in assessment["findings"]} | new_findings
    # the intake measures, plus the newest episode scores: NPRS and ODI (LOINC) are read back
    latest = {m.measure: m.score for m in sorted(episode.measures, key=lambda m: m.date)}
    assert got["measures"] == {**case["measures"], "odi_percent": latest["odi"]}
    assert got["pain_nprs"] == latest["nprs"]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_test_case_round_trips_and_is_triaged_the_same(path: Path) -> None:
    case = orjson.loads(path.read_bytes())
    assessment = assess(case)
    bundle = bundle_for_episode(intake_episode(case), case, assessment, details(case, START))
    [imported] = cases_from_bundle(orjson.loads(orjson.dumps(bundle)), as_of=START)
    got = imported.case
    assert got is not None, imported.problems
    assert imported.unmapped == ()
    for key in ("age", "sex", "region", "duration_days", "pain_nprs", "irritability", "measures"):
        assert got.get(key) == case.get(key), key
    assert got.get("onset", "insidious") == case.get("onset", "insidious")
    assert set(got.get("findings", [])) == {f["code"] for f in assessment["findings"]}
    again = assess(got)
    assert again["triage"]["level"] == assessment["triage"]["level"]
    assert [f["id"] for f in again["red_flags"]] == [f["id"] for f in assessment["red_flags"]]
    issues = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"]
    flagged = sorted(i["code"]["coding"][0]["code"] for i in issues)
    assert flagged == sorted(f["id"] for f in assessment["red_flags"])


def test_every_emitted_code_is_in_the_tables() -> None:
    t = load_code_tables()
    vocab = load_knowledge().vocabulary
    table: set[tuple[str, str]] = set()
    for group in (*t.finding_codings.values(), *t.region_body_sites.values(),
                  *t.region_complaints.values(), *t.technique_codings.values()):
        table.update((c["system"], c["code"]) for c in group)
    table.update((c["system"], c["code"]) for c in t.measure_codings.values())
    table.update((m.coding["system"], m.coding["code"]) for m in t.case_measures.values())
    table.update((c["system"], c["code"]) for c in t.care_activities.values())
    table.update((t.palpa.red_flag, f) for f in vocab.red_flags)
    table.update((t.palpa.case_field, c) for c in ("irritability", "low", "moderate", "high"))
    table.update((t.system_urls["cpt"], c) for c in ("97110",))
    fhir_core = {(fhir_export.CLINICAL, "active"), (fhir_export.VERIFICATION, "confirmed"),
                 (fhir_export.CONDITION_CATEGORY, "problem-list-item"),
                 (fhir_export.OBSERVATION_CATEGORY, "exam"), (fhir_export.OBSERVATION_CATEGORY, "survey"),
                 (fhir_export.UCUM, "{score}"), (fhir_export.UCUM, "%"), (fhir_export.UCUM, "deg")}
    bundles = [demo()[3]]
    for path in CASES[::5]:
        case = orjson.loads(path.read_bytes())
        bundles.append(bundle_for_episode(intake_episode(case), case, assess(case), details(case, START)))
    seen = {(c["system"], c["code"]) for b in bundles for c in codings(b)}
    assert seen - table - fhir_core == set()
    unverified = {(t.system_urls["snomed"], "267064002")}  # read on import, never written
    assert not seen & unverified


def test_standard_codes_written_are_verified_in_the_table() -> None:
    import yaml

    data = yaml.safe_load((ROOT / "src" / "palpa" / "interop" / "codes.yaml").read_text())
    t = load_code_tables()
    unverified = {(t.system_urls[c["system"]], c["code"])
                  for section in (data["findings"], data["techniques"])
                  for entry in section.values() for c in entry["codes"] if not c["verified"]}
    groups = (*t.finding_codings.values(), *t.technique_codings.values())
    written = {(c["system"], c["code"]) for group in groups for c in group}
    assert not written & unverified


def test_the_same_input_gives_the_same_bundle() -> None:
    assert demo()[3] == demo()[3]


def test_inputs_that_disagree_are_refused_naming_the_field() -> None:
    episode, case, assessment, _ = demo()
    with pytest.raises(ExportError, match="field 'region'"):
        bundle_for_episode(episode, {**case, "region": "cervical"}, assessment, details(case, episode.start))
    with pytest.raises(ExportError, match="field 'case_id'"):
        bundle_for_episode(episode, case, {**assessment, "case_id": "other"}, details(case, episode.start))
