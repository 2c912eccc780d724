"""An episode of care as a FHIR R4 collection Bundle, validated with fhir.resources (R4B models).

Patient; the complaint Condition (body site, onset); a Condition or Observation per present
finding; an Observation per measure result (the case's and the episode's); a Procedure per
technique applied at each visit (SNOMED CT where the table has a verified concept, CPT, Palpa);
a CarePlan from the assessment's plan; a QuestionnaireResponse for the STarT Back answers; a
DetectedIssue per red flag. Codes come from codes.yaml; resource ids are uuid5 of stable keys,
so the same input always gives the same Bundle. `palpa.interop.fhir_import` reads it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from palpa.core.episode import Episode
from palpa.interop.codes import CodeTables, Coding, load_code_tables
from palpa.knowledge.episode_loader import load_billing
from palpa.knowledge.loader import load_knowledge

# FHIR R4 code systems for resource status and category (hl7.org/fhir/R4, terminology bindings)
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
SEVERITY = {"emergency": "high", "urgent": "high", "refer": "moderate"}  # DetectedIssue.severity

Sex = Literal["female", "male", "other"]


class ExportError(ValueError):
    """Inputs that cannot make a valid Bundle; the message names the field."""


@dataclass(frozen=True)
class PatientDetails:
    """Who the Bundle is about (the case itself holds no name or birth date)."""

    id: str
    birth_date: date
    sex: Sex
    name: str | None = None


def birth_date_for_age(age: int, on: date) -> date:
    """A birth date that makes the patient exactly `age` on `on` (29 February -> 28 February)."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:
        return date(on.year - age, on.month, 28)


class _Bundle:
    """Accumulates entries with deterministic urn:uuid ids."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.entries: list[dict[str, Any]] = []

    def ref(self, kind: str, key: str) -> tuple[str, str]:
        """(resource id, full URL) for a resource identified by `kind` and `key`."""
        rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.namespace}/{kind}/{key}"))
        return rid, f"urn:uuid:{rid}"

    def add(self, kind: str, key: str, resource: dict[str, Any]) -> str:
        rid, full = self.ref(kind, key)
        self.entries.append({"fullUrl": full, "resource": {"resourceType": kind, "id": rid, **resource}})
        return full


def _concept(codings: tuple[Coding, ...] | list[Coding], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [dict(c) for c in codings]}
    if text:
        out["text"] = text
    return out


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _check_inputs(episode: Episode, case: Mapping[str, Any], assessment: Mapping[str, Any],
                  patient: PatientDetails) -> None:
    if case.get("region") != episode.region:
        raise ExportError(f"field 'region': the case says {case.get('region')!r}, "
                          f"the episode {episode.region!r}")
    if assessment.get("case_id") != case.get("id"):
        raise ExportError(f"field 'case_id': the assessment is of {assessment.get('case_id')!r}, "
                          f"not of case {case.get('id')!r}")
    if patient.birth_date > episode.start:
        raise ExportError("field 'birth_date': after the episode start")
    if not patient.id:
        raise ExportError("field 'patient.id': empty")


def bundle_for_episode(episode: Episode, case: Mapping[str, Any], assessment: Mapping[str, Any],
                       patient: PatientDetails) -> dict[str, Any]:
    """The episode, intake case and assessment as a validated R4 collection Bundle (a JSON dict).

    `case` is the intake contract case, `assessment` its `assessment_to_dict`; ExportError names
    the field when they disagree or the Bundle fails validation.
    """
    _check_inputs(episode, case, assessment, patient)
    t = load_code_tables()
    kb = load_knowledge()
    vocab = kb.vocabulary
    b = _Bundle(f"https://palpa.dev/fhir/{patient.id}/{episode.id}")
    start = episode.start.isoformat()

    pat: dict[str, Any] = {
        "identifier": [{"system": t.palpa.identifier, "value": patient.id}],
        "gender": patient.sex, "birthDate": patient.birth_date.isoformat()}
    if patient.name:
        pat["name"] = [{"text": patient.name}]
    patient_url = b.add("Patient", "patient", pat)
    subject = {"reference": patient_url}

    region = str(case["region"])
    onset = episode.start - timedelta(days=int(case["duration_days"]))
    complaint: dict[str, Any] = {
        "clinicalStatus": _concept([{"system": CLINICAL, "code": "active"}]),
        "verificationStatus": _concept([{"system": VERIFICATION, "code": "confirmed"}]),
        "category": [_concept([{"system": CONDITION_CATEGORY, "code": "problem-list-item"}])],
        "code": _concept((*t.region_complaints[region],
                          {"system": t.palpa.region, "code": region, "display": vocab.definitions[region]}),
                         episode.intake.diagnosis or f"{region} complaint"),
        "bodySite": [_concept(t.region_body_sites[region])],
        "subject": subject, "onsetDateTime": onset.isoformat(), "recordedDate": start,
    }
    if "onset" in case:
        complaint["extension"] = [{"url": t.palpa.onset_extension, "valueCode": case["onset"]}]
    if episode.intake.summary:
        complaint["note"] = [{"text": episode.intake.summary}]
    complaint_url = b.add("Condition", "complaint", complaint)

    finding_urls = _findings(b, t, episode, case, assessment, subject)
    _case_measures(b, t, case, subject, start)
    for m in episode.measures:
        b.add("Observation", f"measure/{m.measure}/{m.visit}/{m.date.isoformat()}", {
            "status": "final",
            "category": [_concept([{"system": OBSERVATION_CATEGORY, "code": "survey"}])],
            "code": _concept([t.measure_codings[m.measure]]),
            "subject": subject, "effectiveDateTime": m.date.isoformat(),
            "valueQuantity": _quantity(m.score, t.measure_units[m.measure])})
    _procedures(b, t, episode, subject, complaint_url)
    _care_plan(b, t, assessment, subject, complaint_url, start)
    _red_flags(b, t, assessment, subject, finding_urls, start)

    bundle: dict[str, Any] = {"resourceType": "Bundle", "id": b.ref("Bundle", "bundle")[0],
                              "type": "collection", "entry": b.entries}
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ExportError(f"field {where!r}: {first['msg']}") from None
    return bundle


def _findings(b: _Bundle, t: CodeTables, episode: Episode, case: Mapping[str, Any],
              assessment: Mapping[str, Any], subject: dict[str, str]) -> dict[str, str]:
    """A Condition or Observation per present finding; finding code -> its full URL."""
    when: dict[str, str] = {}
    for f in assessment.get("findings", []):
        when.setdefault(str(f["code"]), episode.start.isoformat())
    for f in case.get("findings", []):
        when.setdefault(str(f), episode.start.isoformat())
    for v in episode.visits:
        for f in sorted(v.new_findings):
            when.setdefault(f, v.date.isoformat())
    urls: dict[str, str] = {}
    for code, day in when.items():
        concept = _concept(t.finding_codings[code])
        if t.finding_resource[code] == "Condition":
            urls[code] = b.add("Condition", f"finding/{code}", {
                "clinicalStatus": _concept([{"system": CLINICAL, "code": "active"}]),
                "verificationStatus": _concept([{"system": VERIFICATION, "code": "confirmed"}]),
                "category": [_concept([{"system": CONDITION_CATEGORY, "code": "problem-list-item"}])],
                "code": concept, "subject": subject, "recordedDate": day})
        else:
            urls[code] = b.add("Observation", f"finding/{code}", {
                "status": "final",
                "category": [_concept([{"system": OBSERVATION_CATEGORY, "code": "exam"}])],
                "code": concept, "subject": subject, "effectiveDateTime": day, "valueBoolean": True})
    return urls


def _case_measures(b: _Bundle, t: CodeTables, case: Mapping[str, Any], subject: dict[str, str],
                   start: str) -> None:
    """Observations for the intake case's NPRS, irritability and measures; STarT Back answers."""
    values: dict[str, Any] = dict(case.get("measures", {}))
    if "pain_nprs" in case:
        values["pain_nprs"] = case["pain_nprs"]
    items = values.pop("start_back_items", None)
    for field, value in sorted(values.items()):
        spec = t.case_measures[field]
        b.add("Observation", f"case/{field}", {
            "status": "final",
            "category": [_concept([{"system": OBSERVATION_CATEGORY,
                                    "code": "exam" if spec.unit == "deg" else "survey"}])],
            "code": _concept([spec.coding]), "subject": subject, "effectiveDateTime": start,
            "valueQuantity": _quantity(value, spec.unit)})
    if "irritability" in case:
        code = {"system": t.palpa.case_field, "code": "irritability", "display": "Irritability"}
        b.add("Observation", "case/irritability", {
            "status": "final", "code": _concept([code]), "subject": subject, "effectiveDateTime": start,
            "valueCodeableConcept": _concept([{"system": t.palpa.case_field, "code": case["irritability"]}])})
    if items is not None:
        b.add("QuestionnaireResponse", "startback", {
            "questionnaire": t.palpa.startback_questionnaire, "status": "completed",
            "subject": subject, "authored": start,
            "item": [{"linkId": str(i), "answer": [{"valueInteger": int(v)}]}
                     for i, v in enumerate(items, 1)]})


def _procedures(b: _Bundle, t: CodeTables, episode: Episode, subject: dict[str, str],
                complaint_url: str) -> None:
    vocab = load_knowledge().vocabulary
    for v in episode.visits:
        for i, tech in enumerate(v.techniques):
            detail = [x for x in (tech.target, f"grade {tech.grade}" if tech.grade else None,
                                  f"{tech.sets} x {tech.seconds} s" if tech.sets and tech.seconds else None,
                                  tech.duration_text, f"{tech.minutes} min") if x]
            b.add("Procedure", f"visit/{v.number}/technique/{i}", {
                "status": "completed",
                "code": _concept(t.technique_codings[tech.technique], vocab.definitions[tech.technique]),
                "subject": subject, "performedDateTime": v.date.isoformat(),
                "performer": [{"actor": {"display": v.clinician}}],
                "bodySite": [_concept(t.region_body_sites[tech.region])],
                "reasonReference": [{"reference": complaint_url}],
                "note": [{"text": "; ".join(detail)}]})


def _care_plan(b: _Bundle, t: CodeTables, assessment: Mapping[str, Any], subject: dict[str, str],
               complaint_url: str, start: str) -> None:
    plan = assessment.get("plan")
    if not plan:
        return
    billing = load_billing()
    activities: list[dict[str, Any]] = []
    for m in plan.get("manual_therapy", []):
        dose = m.get("dose", {}).get("text")
        grades = f"grades {'-'.join(m['grades'])}: " if m.get("grades") else ""
        activities.append({"detail": {
            "kind": "ServiceRequest", "status": "not-started",
            "code": _concept(t.technique_codings[m["technique"]]),
            "description": f"{m['technique'].replace('_', ' ')} ({m['region']}): {grades}{dose}"}})
    exercise_cpt = {"system": t.system_urls["cpt"], "code": billing.exercise_cpt,
                    "display": billing.name(billing.exercise_cpt)}
    for e in plan.get("exercise", []):
        activities.append({"detail": {
            "kind": "ServiceRequest", "status": "not-started",
            "code": _concept([t.care_activities["exercise"], exercise_cpt], e["name"]),
            "description": f"{e['name']}: {e['dose']}"}})
    for topic in plan.get("education", []):
        activities.append({"detail": {
            "kind": "CommunicationRequest", "status": "not-started",
            "code": _concept([t.care_activities["education"]], topic["title"]),
            "description": topic["title"]}})
    for line in plan.get("home_program", []):
        activities.append({"detail": {
            "status": "not-started",
            "code": _concept([t.care_activities["home_program"]]),
            "description": line}})
    b.add("CarePlan", "plan", {
        "status": "active", "intent": "plan", "subject": subject,
        "period": {"start": start}, "description": plan.get("summary", ""),
        "addresses": [{"reference": complaint_url}], "activity": activities})


def _red_flags(b: _Bundle, t: CodeTables, assessment: Mapping[str, Any], subject: dict[str, str],
               finding_urls: Mapping[str, str], start: str) -> None:
    kb = load_knowledge()
    for flag in assessment.get("red_flags", []):
        fid = flag["id"]
        issue: dict[str, Any] = {
            "status": "final",
            "code": _concept([{"system": t.palpa.red_flag, "code": fid,
                               "display": kb.red_flag_definitions[fid].name}]),
            "severity": SEVERITY[flag["urgency"]], "patient": subject, "identifiedDateTime": start,
            "detail": f"{flag['urgency']}: {flag['action']}"}
        implicated = [{"reference": finding_urls[f]} for f in flag["findings"] if f in finding_urls]
        if implicated:
            issue["implicated"] = implicated
        source = kb.sources.get(flag["source"])
        if source is not None and source.url:
            issue["reference"] = source.url
        b.add("DetectedIssue", f"red_flag/{fid}", issue)
