"""FHIR R4 resources (a Bundle or NDJSON) -> contract cases, by the mapping tables in codes.yaml.

One patient's Patient, Condition, Observation and QuestionnaireResponse resources become one
contract case: age and sex from Patient, region and duration from the complaint Condition,
findings from coded Conditions and Observations, measures from Observations. Every code that
maps to nothing is reported in `unmapped`; every assumption, and the reason a case cannot be
built, in `problems`. Plain dict reads only (no model construction): bulk screening calls
`case_from_resources` once per patient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from palpa.codec import CaseError, decode_case
from palpa.core.models import Case
from palpa.interop.codes import CodeTables, load_code_tables
from palpa.knowledge.loader import load_knowledge

READ_TYPES = ("Patient", "Condition", "Observation", "QuestionnaireResponse")
STARTBACK_ITEMS = 9
IRRITABILITY = ("low", "moderate", "high")
_FIELD_IN_ERROR = re.compile(r"field '([^']+)'")


class FhirInputError(ValueError):
    """Input that is not FHIR Palpa can read; the message names the file, line or entry and field."""


@dataclass(frozen=True)
class Unmapped:
    """A coded element Palpa could not map, and why."""

    resource_type: str
    resource_id: str | None
    field: str
    system: str | None
    code: str | None
    display: str | None
    reason: str


@dataclass(frozen=True)
class ImportedCase:
    """One patient's contract case (None when none can be built), unmapped codes and problems."""

    patient_id: str
    case: dict[str, Any] | None
    unmapped: tuple[Unmapped, ...]
    problems: tuple[str, ...]
    decoded: Case | None = field(default=None, compare=False, repr=False)
    """`case` as the contract decoder read it with the packaged knowledge base (None without a case)."""


def _reference_id(reference: str) -> str:
    """'Patient/123', 'https://x/fhir/Patient/123/_history/2' -> '123'; 'urn:uuid:..' unchanged."""
    if reference.startswith("urn:"):
        return reference
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient":
        return parts[-1]
    return reference


def patient_id_of(resource: Mapping[str, Any]) -> str | None:
    """Patient.id, or the id in the subject/patient reference ('Patient/123' -> '123')."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict):
            text = ref.get("reference")
            if isinstance(text, str) and (text.startswith("urn:") or "Patient/" in text):
                return _reference_id(text)
    return None


def _parse_date(value: Any) -> tuple[date, bool] | None:
    """A FHIR date/dateTime as (date, complete?); 'YYYY' and 'YYYY-MM' give the first day."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    try:
        if len(value) == 4:
            return date(int(value), 1, 1), False
        if len(value) == 7:
            return date(int(value[:4]), int(value[5:7]), 1), False
        return date.fromisoformat(value[:10]), True
    except ValueError:
        return None


def _codings(concept: Any) -> list[tuple[str | None, str | None, str | None]]:
    """(system, code, display) of each coding of a CodeableConcept; its text alone if no coding."""
    if not isinstance(concept, dict):
        return []
    out: list[tuple[str | None, str | None, str | None]] = []
    codings = concept.get("coding")
    if isinstance(codings, list):
        for c in codings:
            if isinstance(c, dict):
                system, code, display = c.get("system"), c.get("code"), c.get("display")
                out.append((system if isinstance(system, str) else None,
                            code if isinstance(code, str) else None,
                            display if isinstance(display, str) else None))
    if not out:
        text = concept.get("text")
        if isinstance(text, str) and text:
            out.append((None, None, text))
    return out


def _status_codes(concept: Any) -> set[str]:
    return {code for _, code, _ in _codings(concept) if code}


def _effective(resource: Mapping[str, Any]) -> str:
    """When an Observation holds (sortable ISO text; '' when unknown)."""
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        value = resource.get(key)
        if isinstance(value, str):
            return value
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        for key in ("end", "start"):
            if isinstance(period.get(key), str):
                return str(period[key])
    return ""


def _number(resource: Mapping[str, Any]) -> float | None:
    """An Observation's numeric value (valueQuantity.value or valueInteger), else None."""
    q = resource.get("valueQuantity")
    if isinstance(q, dict):
        v = q.get("value")
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    v = resource.get("valueInteger")
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return None


class _Reader:
    """Collects one patient's case fields while walking the resources."""

    def __init__(self, patient_id: str, tables: CodeTables, as_of: date) -> None:
        self.patient_id, self.t, self.as_of = patient_id, tables, as_of
        self.unmapped: list[Unmapped] = []
        self.problems: list[str] = []
        self.patient: Mapping[str, Any] | None = None
        self.findings: set[str] = set()
        # region candidates: (strength, onset text, order, region, resource)
        self.regions: list[tuple[int, str, int, str, Mapping[str, Any]]] = []
        self.values: dict[str, tuple[str, int, Any]] = {}  # field -> (effective, order, value)
        self.startback: tuple[str, int, list[int]] | None = None
        self.ignored: dict[str, int] = {}
        self.order = 0

    def miss(self, resource: Mapping[str, Any], field: str, coding: tuple[str | None, str | None, str | None],
             reason: str) -> None:
        rid = resource.get("id")
        self.unmapped.append(Unmapped(str(resource.get("resourceType")),
                                      rid if isinstance(rid, str) else None,
                                      field, coding[0], coding[1], coding[2], reason))

    def read(self, resource: Mapping[str, Any]) -> None:
        self.order += 1
        kind = resource.get("resourceType")
        if kind == "Patient":
            if self.patient is not None:
                self.problems.append("more than one Patient resource: the first is used")
            else:
                self.patient = resource
        elif kind == "Condition":
            self.condition(resource)
        elif kind == "Observation":
            self.observation(resource)
        elif kind == "QuestionnaireResponse":
            self.questionnaire(resource)
        else:
            name = kind if isinstance(kind, str) else "(no resourceType)"
            self.ignored[name] = self.ignored.get(name, 0) + 1

    # --- Condition -------------------------------------------------------------------
    def condition(self, r: Mapping[str, Any]) -> None:
        t = self.t
        clinical = _status_codes(r.get("clinicalStatus"))
        if clinical and not clinical & t.clinical_active:
            return  # inactive, remission or resolved: not a present finding
        if _status_codes(r.get("verificationStatus")) & t.verification_excluded:
            return  # refuted or entered in error
        codings = _codings(r.get("code"))
        found: set[str] = set()
        complaint: str | None = None
        for system, code, _ in codings:
            if system and code:
                found.update(t.findings_for(system, code))
                complaint = complaint or t.complaint_region(system, code)
        site: str | None = None
        sites = r.get("bodySite")
        site_codings = [c for s in sites for c in _codings(s)] if isinstance(sites, list) else []
        for system, code, _ in site_codings:
            if system and code and site is None:
                site = t.body_site_region(system, code)
        if site_codings and site is None:
            for c in site_codings:
                self.miss(r, "Condition.bodySite", c, "body site not mapped to a Palpa region")
        self.findings.update(found)
        onset = r.get("onsetDateTime")
        if not isinstance(onset, str):
            period = r.get("onsetPeriod")
            onset = period.get("start") if isinstance(period, dict) else None
        onset_text = onset if isinstance(onset, str) else ""
        if complaint is not None or (site is not None and not found):
            self.regions.append((2, onset_text, self.order, site or complaint or "", r))
        elif site is not None:
            self.regions.append((1, onset_text, self.order, site, r))
        if not found and complaint is None:
            if not codings:
                self.miss(r, "Condition.code", (None, None, None), "no code")
            for c in codings:
                self.miss(r, "Condition.code", c, "code not mapped to a Palpa finding or region"
                          if c[1] else "text only, no coding")

    # --- Observation -----------------------------------------------------------------
    def observation(self, r: Mapping[str, Any]) -> None:
        t = self.t
        status = r.get("status")
        if isinstance(status, str) and status in t.observation_excluded:
            return
        codings = _codings(r.get("code"))
        palpa = t.palpa
        for system, code, _ in codings:
            if not (system and code):
                continue
            field = t.observation_field(system, code)
            if field is not None:
                self.measure(r, field[0], field[1])
                return
            if system == palpa.case_field and code == "irritability":
                self.irritability(r)
                return
        found: set[str] = set()
        for system, code, _ in codings:
            if system and code:
                found.update(t.findings_for(system, code))
        if found:
            present = self.present(r)
            if present is None:
                for c in codings:
                    self.miss(r, "Observation.value", c, "value read as neither present nor absent")
            elif present:
                self.findings.update(found)
            return
        for c in codings:
            measure = t.measure_of(c[0], c[1]) if c[0] and c[1] else None
            reason = (f"measure {measure!r} is not a field of a case" if measure
                      else "code not mapped to a Palpa finding or measure" if c[1]
                      else "text only, no coding")
            self.miss(r, "Observation.code", c, reason)
        if not codings:
            self.miss(r, "Observation.code", (None, None, None), "no code")

    def present(self, r: Mapping[str, Any]) -> bool | None:
        """Whether a finding Observation says present (True), absent (False) or cannot tell (None)."""
        t = self.t
        if "valueBoolean" in r:
            v = r["valueBoolean"]
            return v if isinstance(v, bool) else None
        concept = r.get("valueCodeableConcept")
        if concept is not None:
            codings = _codings(concept)
            for system, code, display in codings:
                if system and code:
                    if t.is_absent_value(system, code):
                        return False
                    if t.is_present_value(system, code):
                        return True
                if display and display.strip().lower() in t.absent_words:
                    return False
            text = concept.get("text") if isinstance(concept, dict) else None
            if isinstance(text, str) and text.strip().lower() in t.absent_words:
                return False
            return None
        if "valueString" in r:
            v = r["valueString"]
            return None if not isinstance(v, str) else v.strip().lower() not in t.absent_words
        if "dataAbsentReason" in r:
            return None
        return True  # a coded finding with no value records the finding itself

    def measure(self, r: Mapping[str, Any], field: str, scale: float) -> None:
        value = _number(r)
        rid = r.get("id")
        if value is None:
            self.problems.append(f"Observation {rid!r}: {field} has no numeric value; not used")
            return
        value *= scale
        spec = self.t.case_measures.get(field)
        if spec is not None and spec.integer:
            if not value.is_integer():
                self.problems.append(
                    f"Observation {rid!r}: {field} = {value:g} is not a whole number; not used")
                return
            self.keep(field, _effective(r), int(value))
        else:
            self.keep(field, _effective(r), int(value) if value.is_integer() else value)

    def irritability(self, r: Mapping[str, Any]) -> None:
        for system, code, _ in _codings(r.get("valueCodeableConcept")):
            if system == self.t.palpa.case_field and code in IRRITABILITY:
                self.keep("irritability", _effective(r), code)
                return
        self.miss(r, "Observation.valueCodeableConcept", (None, None, None),
                  f"irritability must be one of {', '.join(IRRITABILITY)}")

    def keep(self, field: str, when: str, value: Any) -> None:
        old = self.values.get(field)
        if old is None or (when, self.order) >= (old[0], old[1]):
            self.values[field] = (when, self.order, value)

    # --- QuestionnaireResponse -------------------------------------------------------
    def questionnaire(self, r: Mapping[str, Any]) -> None:
        url = r.get("questionnaire")
        canonical = url.split("|", 1)[0] if isinstance(url, str) else None
        if canonical != self.t.palpa.startback_questionnaire:
            self.miss(r, "QuestionnaireResponse.questionnaire", (None, canonical, None),
                      "questionnaire not known to Palpa")
            return
        if r.get("status") not in ("completed", "amended"):
            self.problems.append(
                f"QuestionnaireResponse {r.get('id')!r}: status {r.get('status')!r}; not used")
            return
        answers: dict[str, int] = {}
        items = r.get("item")
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict):
                continue
            link, answer = item.get("linkId"), item.get("answer")
            if not isinstance(link, str) or not isinstance(answer, list) or not answer:
                continue
            a = answer[0] if isinstance(answer[0], dict) else {}
            value: Any = a.get("valueInteger", a.get("valueBoolean"))
            if value is None and isinstance(a.get("valueCoding"), dict):
                value = a["valueCoding"].get("code")
            if isinstance(value, bool):
                value = int(value)
            if isinstance(value, str) and value in ("0", "1"):
                value = int(value)
            if value in (0, 1):
                answers[link] = int(value)
        links = [str(i) for i in range(1, STARTBACK_ITEMS + 1)]
        if any(link not in answers for link in links):
            gone = [link for link in links if link not in answers]
            self.problems.append(f"QuestionnaireResponse {r.get('id')!r}: STarT Back items {gone} "
                                 "unanswered or not 0/1; not used")
            return
        when = r.get("authored")
        when_text = when if isinstance(when, str) else ""
        if self.startback is None or (when_text, self.order) >= self.startback[:2]:
            self.startback = (when_text, self.order, [answers[link] for link in links])

    # --- the case --------------------------------------------------------------------
    def case(self) -> dict[str, Any] | None:
        if self.ignored:
            kinds = ", ".join(f"{k} x{n}" for k, n in sorted(self.ignored.items()))
            self.problems.append(f"not read (Palpa reads {', '.join(READ_TYPES)}): {kinds}")
        p = self.patient
        if p is None:
            self.problems.append("no Patient resource: age and sex unknown")
            return None
        gender = p.get("gender")
        sex = self.t.gender.get(gender) if isinstance(gender, str) else None
        if sex is None:
            self.problems.append(f"Patient.gender {p.get('gender')!r}: a case needs female, male or other")
        born = _parse_date(p.get("birthDate"))
        age: int | None = None
        if born is None:
            self.problems.append(f"Patient.birthDate {p.get('birthDate')!r}: missing or not a date")
        else:
            b, complete = born
            age = self.as_of.year - b.year - ((self.as_of.month, self.as_of.day) < (b.month, b.day))
            if not complete:
                self.problems.append(f"Patient.birthDate {p.get('birthDate')!r} is partial: "
                                     f"age {age} counted from {b.isoformat()}")
            if not 0 <= age <= 120:
                self.problems.append(f"Patient.birthDate {p.get('birthDate')!r}: age {age} "
                                     f"on {self.as_of.isoformat()} is outside 0-120")
                age = None
        region, duration, onset = self.complaint()
        if sex is None or age is None or region is None or duration is None:
            return None
        case: dict[str, Any] = {"id": self.patient_id, "age": age, "sex": sex, "region": region,
                                "duration_days": duration}
        if onset is not None:
            case["onset"] = onset
        for name in ("pain_nprs", "irritability"):
            if name in self.values:
                case[name] = self.values[name][2]
        if self.findings:
            index = load_knowledge().finding_index
            case["findings"] = sorted(self.findings, key=lambda f: index.get(f, len(index)))
        measures = {k: v[2] for k, v in self.values.items() if k not in ("pain_nprs", "irritability")}
        if self.startback is not None:
            measures["start_back_items"] = self.startback[2]
        if measures:
            case["measures"] = dict(sorted(measures.items()))
        return case

    def complaint(self) -> tuple[str | None, int | None, str | None]:
        """(region, duration in days, onset type) from the most recent complaint Condition."""
        if not self.regions:
            self.problems.append("no region: no active Condition has a body site or complaint code "
                                 "that maps to a Palpa region")
            return None, None, None
        best = max(self.regions, key=lambda c: (c[0], c[1], c[2]))
        others = sorted({c[3] for c in self.regions if c[0] == best[0]} - {best[3]})
        if others:
            self.problems.append(f"several complaint regions; the most recent ({best[3]}) is used, "
                                 f"not {', '.join(others)}")
        region, r = best[3], best[4]
        onset_date = _parse_date(best[1])
        if onset_date is None:
            recorded = _parse_date(r.get("recordedDate"))
            if recorded is None:
                self.problems.append(f"Condition {r.get('id')!r}: no onsetDateTime or recordedDate; "
                                     "duration unknown")
                return region, None, None
            onset_date = recorded
            self.problems.append(f"Condition {r.get('id')!r}: no onsetDateTime; duration counted "
                                 f"from recordedDate {r.get('recordedDate')}")
        duration = (self.as_of - onset_date[0]).days
        if duration < 0:
            self.problems.append(f"Condition {r.get('id')!r}: onset {onset_date[0].isoformat()} is after "
                                 f"{self.as_of.isoformat()}")
            return region, None, None
        onset_type: str | None = None
        extensions = r.get("extension")
        for ext in extensions if isinstance(extensions, list) else ():
            if isinstance(ext, dict) and ext.get("url") == self.t.palpa.onset_extension:
                code = ext.get("valueCode")
                if code in load_knowledge().vocabulary.onsets:
                    onset_type = str(code)
                else:
                    self.miss(r, "Condition.extension(onset)", (None, str(code), None),
                              "not a Palpa onset code")
        return region, duration, onset_type


def _checked(case: dict[str, Any], problems: list[str]) -> tuple[dict[str, Any], Case] | None:
    """The case (and its decoded form) after the contract's own decoder accepts it; an optional
    field it refuses is dropped (and said); a refused required field means no case."""
    kb = load_knowledge()
    optional_top = {"pain_nprs", "irritability", "onset"}
    for _ in range(12):
        try:
            return case, decode_case(orjson.dumps(case), kb)
        except CaseError as err:
            match = _FIELD_IN_ERROR.search(str(err))
            field = match.group(1) if match else ""
            head, _, sub = field.partition(".")
            if head == "measures" and sub and isinstance(case.get("measures"), dict) \
                    and sub in case["measures"]:
                problems.append(f"{err.problem}; measure not used")
                del case["measures"][sub]
                if not case["measures"]:
                    del case["measures"]
                continue
            if field in optional_top and field in case:
                problems.append(f"{err.problem}; not used")
                del case[field]
                continue
            problems.append(f"no case: {err.problem}")
            return None
    problems.append("no case: too many invalid fields")
    return None


def case_from_resources(patient_id: str, resources: Iterable[Mapping[str, Any]],
                        *, as_of: date | None = None) -> ImportedCase:
    """One patient's resources as a contract case; unmapped codes and problems are reported."""
    reader = _Reader(patient_id, load_code_tables(), as_of or date.today())
    for resource in resources:
        if isinstance(resource, dict):
            reader.read(resource)
        else:
            reader.problems.append(f"not a resource (a JSON object): {type(resource).__name__}")
    case = reader.case()
    checked = _checked(case, reader.problems) if case is not None else None
    if checked is None:
        return ImportedCase(patient_id, None, tuple(reader.unmapped), tuple(reader.problems))
    return ImportedCase(patient_id, checked[0], tuple(reader.unmapped), tuple(reader.problems), checked[1])


def _group(resources: Iterable[tuple[str, Mapping[str, Any]]], full_urls: Mapping[str, str],
           as_of: date | None) -> list[ImportedCase]:
    """Group (where, resource) pairs by patient and import each patient, Patients first in order."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for _, resource in resources:
        pid = patient_id_of(resource)
        if pid is None:
            continue  # not patient data (Practitioner, Organization, ...)
        pid = full_urls.get(pid, pid)
        groups.setdefault(pid, []).append(resource)
    return [case_from_resources(pid, group, as_of=as_of) for pid, group in groups.items()]


def _bundle_resources(bundle: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(location, resource) for each entry of a Bundle (FhirInputError names the entry and field)."""
    if not isinstance(bundle, dict):
        raise FhirInputError(f"{where}: expected a JSON object (a FHIR Bundle)")
    if bundle.get("resourceType") != "Bundle":
        raise FhirInputError(
            f"{where}: field 'resourceType': expected 'Bundle', got {bundle.get('resourceType')!r}")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise FhirInputError(f"{where}: field 'entry': expected a list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise FhirInputError(f"{where}: field 'entry[{i}]': expected an object")
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            raise FhirInputError(f"{where}: field 'entry[{i}].resource': missing or not an object")
        _check_resource(resource, where, f"entry[{i}].resource.")
        yield f"entry[{i}]", resource


def _check_resource(resource: Mapping[str, Any], where: str, path: str = "") -> None:
    """Every resource names its type; a Patient has an id (FhirInputError names the field)."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise FhirInputError(f"{where}: field '{path}resourceType': missing")
    if kind == "Patient" and not (isinstance(resource.get("id"), str) and resource["id"]):
        raise FhirInputError(f"{where}: field '{path}id': a Patient needs an id")


def cases_from_bundle(bundle: Mapping[str, Any], *, as_of: date | None = None,
                      where: str = "bundle") -> list[ImportedCase]:
    """One ImportedCase per patient in a Bundle (FhirInputError on a malformed Bundle)."""
    entries = list(_bundle_resources(bundle, where))
    full_urls: dict[str, str] = {}
    raw_entries = bundle.get("entry", [])
    for i, (_, resource) in enumerate(entries):
        if resource.get("resourceType") == "Patient":
            full = raw_entries[i].get("fullUrl")
            if isinstance(full, str):
                full_urls[full] = str(resource["id"])
            full_urls[f"Patient/{resource['id']}"] = str(resource["id"])
    return _group(entries, full_urls, as_of)


def cases_from_resources(resources: Iterable[Mapping[str, Any]], *,
                         as_of: date | None = None) -> list[ImportedCase]:
    """One ImportedCase per patient among loose resources (e.g. read from NDJSON)."""
    return _group((("", r) for r in resources), {}, as_of)


def read_resources(path: Path) -> Iterator[dict[str, Any]]:
    """The resources of a Bundle .json file, a single-resource .json file, or an .ndjson file."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FhirInputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                resource = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise FhirInputError(f"{name}: line {number}: not valid JSON: {exc}") from None
            if not isinstance(resource, dict):
                raise FhirInputError(f"{name}: line {number}: expected a JSON object (a FHIR resource)")
            _check_resource(resource, f"{name}: line {number}")
            yield resource
        return
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FhirInputError(f"{name}: not valid JSON: {exc}") from None
    if isinstance(data, dict) and data.get("resourceType") != "Bundle" and "resourceType" in data:
        _check_resource(data, name)
        yield data
        return
    for _, resource in _bundle_resources(data, name):
        yield dict(resource)
