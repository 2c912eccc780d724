"""Builders of FHIR R4 records and CDS Hooks requests for the CDS Hooks tests."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "cds"
SNOMED = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"
PALPA_FINDING = "https://palpa.dev/fhir/CodeSystem/finding"
PATIENT_ID = "1288992"  # the patient of the specification's examples


def spec_example(name: str) -> dict[str, Any]:
    """A recorded example from the CDS Hooks specification (see data/cds/SOURCES.md)."""
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def patient(pid: str = PATIENT_ID, gender: str = "male", birth: str = "1960-03-01") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r} for r in resources]}


def complaint(region_site: str = "122496007", onset: str = "2026-10-01", pid: str = PATIENT_ID,
              ) -> dict[str, Any]:
    """An active Condition: back pain with a body site (default the lumbar spine)."""
    return {"resourceType": "Condition", "id": "complaint", "subject": {"reference": f"Patient/{pid}"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": SNOMED, "code": "279039007", "display": "Low back pain"}]},
            "bodySite": [{"coding": [{"system": SNOMED, "code": region_site}]}],
            "onsetDateTime": onset}


def finding(code: str, pid: str = PATIENT_ID, present: bool = True) -> dict[str, Any]:
    """An Observation recording a Palpa finding as present (or absent)."""
    return {"resourceType": "Observation", "id": f"obs-{code}", "status": "final",
            "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": PALPA_FINDING, "code": code}]}, "valueBoolean": present}


def prefetch(conditions: list[dict[str, Any]], observations: list[dict[str, Any]],
             pat: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"patient": pat or patient(), "conditions": searchset(*conditions),
            "observations": searchset(*observations)}


def hook_request(hook: str, context: dict[str, Any], pre: dict[str, Any] | None = None,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if pre is not None:
        body["prefetch"] = pre
    body.update(extra)
    return body


def service_request(codings: list[dict[str, str]], rid: str = "mt-1", site: str | None = "122496007",
                    pid: str = PATIENT_ID) -> dict[str, Any]:
    """A draft ServiceRequest for a procedure, optionally at a body site."""
    order: dict[str, Any] = {"resourceType": "ServiceRequest", "id": rid, "status": "draft",
                             "intent": "order", "code": {"coding": codings},
                             "subject": {"reference": f"Patient/{pid}"}}
    if site:
        order["bodySite"] = [{"coding": [{"system": SNOMED, "code": site}]}]
    return order


def order_context(*orders: dict[str, Any], selections: list[str] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "PractitionerRole/123", "patientId": PATIENT_ID,
                               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                               "entry": [{"resource": o} for o in orders]}}
    if selections is not None:
        context["selections"] = selections
    return context


MANIPULATION = [{"system": SNOMED, "code": "118745001", "display": "Manipulation of joint"}]
MANUAL_THERAPY_CPT = [{"system": CPT, "code": "97140", "display": "Manual therapy"}]


def startback(answers: list[int], pid: str = PATIENT_ID) -> dict[str, Any]:
    """A completed STarT Back QuestionnaireResponse (Palpa's questionnaire, items 1-9)."""
    return {"resourceType": "QuestionnaireResponse", "id": "sb-1", "status": "completed",
            "questionnaire": "https://palpa.dev/fhir/Questionnaire/startback",
            "subject": {"reference": f"Patient/{pid}"}, "authored": "2026-11-01",
            "item": [{"linkId": str(i + 1), "answer": [{"valueInteger": v}]} for i, v in enumerate(answers)]}
