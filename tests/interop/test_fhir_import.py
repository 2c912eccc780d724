"""FHIR resources -> contract case: age, sex, region, duration, findings, measures, and reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from palpa.codec import decode_case
from palpa.interop.codes import load_code_tables
from palpa.interop.fhir_import import (
    FhirInputError,
    case_from_resources,
    cases_from_bundle,
    patient_id_of,
    read_resources,
)
from palpa.knowledge.loader import load_knowledge

SCT = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
AS_OF = date(2025, 6, 1)
ACTIVE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                      "code": "active"}]}
RESOLVED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "resolved"}]}
REFUTED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                       "code": "refuted"}]}


def patient(pid: str = "p1", gender: str = "female", born: str = "1980-07-15") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": born}


def condition(rid: str, system: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": {"reference": "Patient/p1"},
            "clinicalStatus": ACTIVE, "code": {"coding": [{"system": system, "code": code}]}, **extra}


def observation(rid: str, system: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": system, "code": code}]}, **extra}


def low_back(**extra: Any) -> dict[str, Any]:
    return condition("c-lbp", SCT, "279039007", onsetDateTime="2025-05-02", **extra)


def test_patient_and_complaint_give_age_sex_region_and_duration() -> None:
    got = case_from_resources("p1", [patient(), low_back()], as_of=AS_OF)
    assert got.case == {"id": "p1", "age": 44, "sex": "female", "region": "lumbar", "duration_days": 30}
    assert got.unmapped == ()
    decode_case(orjson.dumps(got.case), load_knowledge())


def test_body_site_sets_the_region_and_icd10_prefix_codes_map() -> None:
    neck = condition("c1", ICD, "M54.2", onsetDateTime="2025-05-25",
                     bodySite=[{"coding": [{"system": SCT, "code": "122494005"}]}])
    cancer = condition("c2", ICD, "Z85.46")  # personal history of prostate cancer: under Z85
    got = case_from_resources("p1", [patient(gender="male"), neck, cancer], as_of=AS_OF)
    assert got.case is not None
    assert got.case["region"] == "cervical" and got.case["duration_days"] == 7
    assert got.case["findings"] == ["history_of_cancer"]


def test_findings_from_conditions_and_observations_refuted_and_resolved_are_not_findings() -> None:
    resources = [
        patient(), low_back(),
        condition("c-op", SCT, "64859006"),                                   # osteoporosis
        condition("c-ra", SCT, "69896004", clinicalStatus=RESOLVED),          # resolved: not present
        condition("c-ca", SCT, "363346000", verificationStatus=REFUTED),      # refuted: not present
        observation("o-dz", SCT, "404640003"),                                # dizziness, no value: present
        observation("o-ny", SCT, "563001", valueBoolean=False),               # nystagmus: absent
        observation("o-na", SCT, "422587007",                                 # nausea: coded "No"
                    valueCodeableConcept={"coding": [{"system": SCT, "code": "373067005"}]}),
        observation("o-wl", SCT, "448765001", valueCodeableConcept={"text": "absent"}),
        observation("o-ft", SCT, "386661006", status="entered-in-error"),     # fever: ignored
    ]
    got = case_from_resources("p1", resources, as_of=AS_OF)
    assert got.case is not None
    assert set(got.case["findings"]) == {"osteoporosis", "dizziness"}
    assert got.unmapped == ()


def test_measures_and_nprs_latest_value_wins_and_ndi_points_become_percent() -> None:
    resources = [
        patient(), low_back(),
        observation("n1", LOINC, "72514-3", effectiveDateTime="2025-05-10", valueInteger=7),
        observation("n2", LOINC, "72514-3", effectiveDateTime="2025-05-20", valueQuantity={"value": 4}),
        observation("odi", LOINC, "97909-6", effectiveDateTime="2025-05-20", valueQuantity={"value": 36}),
        observation("ndi", LOINC, "82237-9", valueQuantity={"value": 12}),
        observation("fw", "https://palpa.dev/fhir/CodeSystem/measure", "fabq_work", valueInteger=31),
        observation("irr", "https://palpa.dev/fhir/CodeSystem/case-field", "irritability",
                    valueCodeableConcept={"coding": [{"system": "https://palpa.dev/fhir/CodeSystem/case-field",
                                                      "code": "high"}]}),
    ]
    got = case_from_resources("p1", resources, as_of=AS_OF)
    assert got.case is not None
    assert got.case["pain_nprs"] == 4 and got.case["irritability"] == "high"
    assert got.case["measures"] == {"fabq_work": 31, "ndi_percent": 24, "odi_percent": 36}


def test_startback_questionnaire_response_gives_the_nine_items() -> None:
    items = [{"linkId": str(i), "answer": [{"valueInteger": i % 2}]} for i in range(1, 10)]
    qr = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "completed",
          "subject": {"reference": "Patient/p1"},
          "questionnaire": "https://palpa.dev/fhir/Questionnaire/startback", "item": items}
    got = case_from_resources("p1", [patient(), low_back(), qr], as_of=AS_OF)
    assert got.case is not None
    assert got.case["measures"]["start_back_items"] == [1, 0, 1, 0, 1, 0, 1, 0, 1]


def test_unknown_codes_are_reported_never_dropped() -> None:
    odd = condition("c-odd", SCT, "999999999", onsetDateTime="2025-01-01")
    obs = observation("o-odd", LOINC, "1234-5", valueQuantity={"value": 3})
    psfs = observation("o-psfs", "https://palpa.dev/fhir/CodeSystem/measure", "palpa-psfs",
                       valueQuantity={"value": 6})
    got = case_from_resources("p1", [patient(), low_back(), odd, obs, psfs], as_of=AS_OF)
    assert got.case is not None and "findings" not in got.case
    by_id = {u.resource_id: u for u in got.unmapped}
    assert by_id["c-odd"].field == "Condition.code" and by_id["c-odd"].code == "999999999"
    assert by_id["c-odd"].system == SCT
    assert by_id["o-odd"].field == "Observation.code"
    assert "psfs" in by_id["o-psfs"].reason


def test_unknown_gender_and_missing_region_give_no_case_with_reasons() -> None:
    got = case_from_resources("p1", [patient(gender="unknown"), low_back()], as_of=AS_OF)
    assert got.case is None and any("gender" in p for p in got.problems)
    got = case_from_resources("p1", [patient()], as_of=AS_OF)
    assert got.case is None and any("no region" in p for p in got.problems)
    got = case_from_resources("p1", [low_back()], as_of=AS_OF)
    assert got.case is None and any("no Patient" in p for p in got.problems)


def test_a_measure_out_of_range_is_dropped_and_said_not_the_whole_case() -> None:
    bad = observation("odi", LOINC, "97909-6", valueQuantity={"value": 140})
    got = case_from_resources("p1", [patient(), low_back(), bad], as_of=AS_OF)
    assert got.case is not None and "measures" not in got.case
    assert any("odi_percent" in p for p in got.problems)


def test_partial_birth_date_and_missing_onset_are_assumptions_in_problems() -> None:
    lbp = condition("c-lbp", SCT, "279039007", recordedDate="2025-05-22")
    got = case_from_resources("p1", [patient(born="1980"), lbp], as_of=AS_OF)
    assert got.case is not None and got.case["age"] == 45 and got.case["duration_days"] == 10
    assert any("partial" in p for p in got.problems) and any("recordedDate" in p for p in got.problems)


def test_patient_id_of_reads_patient_and_references() -> None:
    assert patient_id_of(patient("x")) == "x"
    assert patient_id_of({"resourceType": "Observation", "subject": {"reference": "Patient/42"}}) == "42"
    assert patient_id_of({"resourceType": "Observation",
                          "subject": {"reference": "https://ehr/fhir/Patient/7/_history/3"}}) == "7"
    assert patient_id_of({"resourceType": "Practitioner", "id": "dr"}) is None


def test_bundle_groups_patients_through_full_urls() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:a", "resource": patient("a")},
        {"fullUrl": "urn:uuid:b", "resource": patient("b", gender="male", born="1950-01-01")},
        {"resource": {**low_back(), "subject": {"reference": "urn:uuid:a"}}},
        {"resource": {**condition("x", ICD, "M54.2", onsetDateTime="2025-05-01"),
                      "subject": {"reference": "urn:uuid:b"}}},
    ]}
    cases = cases_from_bundle(bundle, as_of=AS_OF)
    got = [(c.patient_id, c.case and c.case["region"]) for c in cases]
    assert got == [("a", "lumbar"), ("b", "cervical")]


@pytest.mark.parametrize(("bundle", "field"), [
    ({"resourceType": "Patient"}, "resourceType"),
    ({"resourceType": "Bundle", "entry": {}}, "entry"),
    ({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}, "entry[0].resource"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}, "entry[0].resource.resourceType"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]},
     "entry[0].resource.id"),
])
def test_bad_bundles_name_the_field(bundle: dict[str, Any], field: str) -> None:
    with pytest.raises(FhirInputError, match=f"field '{field.replace('[', '.').replace(']', '.')}'"):
        cases_from_bundle(bundle)


def test_read_resources_reads_ndjson_and_names_the_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "r.ndjson"
    good.write_bytes(orjson.dumps(patient()) + b"\n\n" + orjson.dumps(low_back()) + b"\n")
    assert [r["resourceType"] for r in read_resources(good)] == ["Patient", "Condition"]
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(orjson.dumps(patient()) + b"\n{not json\n")
    with pytest.raises(FhirInputError, match="line 2: not valid JSON"):
        list(read_resources(bad))


def test_every_code_the_import_reads_comes_from_the_tables() -> None:
    tables = load_code_tables()
    assert tables.findings_for(SCT, "64859006") == ("osteoporosis",)
    assert tables.findings_for(ICD, "M81.0") == ("osteoporosis",)
    assert tables.findings_for(ICD, "M8") == ()
    assert tables.complaint_region(ICD, "M54.50") == "lumbar"
