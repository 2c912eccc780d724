"""Synthetic FHIR Bulk Data exports with planted red flags and a ground-truth file.

Every code written comes from the mapping tables (codes.yaml, through its loader): standard
SNOMED CT / ICD-10 / LOINC codes where the table has them, Palpa codes otherwise. A planted
red flag is one combination of findings of one red-flag rule, with an age, region, duration
and onset that meet the rule's conditions; a plant is kept only when the knowledge base gives
exactly that flag at that urgency for the intended case (a self-check of the generator, so
the truth is exact). Other patients get background findings that take part in no red-flag
rule and no triage-changing contraindication, and some get decoys that must not count:
refuted or resolved Conditions and Observations recorded as absent. Some patients have a
local code nobody maps (reported as unmapped) or no Patient resource (no case).

Layout: Patient.ndjson, Condition.1.ndjson ... Condition.K.ndjson, Observation.ndjson,
Practitioner.ndjson (no patient: counted, not screened) and ground-truth.json.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Case
from palpa.interop import codes as code_tables
from palpa.interop.codes import CodesFile, CodeTables, load_code_tables
from palpa.interop.screening import screen_case
from palpa.knowledge.loader import convert, load_knowledge, read_yaml

AS_OF = date(2026, 1, 15)
TRUTH_FILE = "ground-truth.json"
LOCAL_SYSTEM = "https://example.org/fhir/CodeSystem/local-problem-list"  # a clinic's own codes
SHUFFLE_WINDOW = 2000  # lines held back to scatter an unsorted export's lines


@dataclass(frozen=True)
class Plant:
    """One red flag that can be planted: a rule's findings and a context meeting its conditions."""

    rule: str
    flag: str
    urgency: str
    findings: tuple[str, ...]
    region: str
    age: int
    duration_days: int
    onset: str


@dataclass
class Truth:
    """What was planted: per patient the expected triage (None: no case) and red flags."""

    as_of: date
    seed: int
    sorted: bool
    patients: dict[str, dict[str, Any]] = field(default_factory=dict)
    without_patient: Counter[str] = field(default_factory=Counter)

    def triage_counts(self) -> Counter[str]:
        """Patients per expected triage level ("no_case" when no case can be built)."""
        return Counter(p["triage"] or "no_case" for p in self.patients.values())

    def red_flag_counts(self) -> Counter[str]:
        """Patients per planted red flag."""
        return Counter(f["id"] for p in self.patients.values() for f in p["red_flags"])

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "seed": self.seed, "sorted": self.sorted,
                "triage": dict(sorted(self.triage_counts().items())),
                "red_flags": dict(sorted(self.red_flag_counts().items())),
                "resources_without_patient": dict(self.without_patient),
                "patients": self.patients}


def _context_values(lo: int | None, hi: int | None, default: int) -> int:
    if lo is not None and hi is not None:
        return (lo + hi) // 2
    if lo is not None:
        return lo + 10
    if hi is not None:
        return max(0, hi // 2)
    return default


@cache
def plant_menu(kb: KnowledgeBase) -> tuple[Plant, ...]:
    """Every (rule, combination) that, in a context meeting the rule, gives exactly its flag."""
    menu: list[Plant] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for rule in kb.red_flag_rules:
        c = rule.conditions
        age = max(18, _context_values(c.age_min, c.age_max, 45))
        duration = _context_values(c.duration_min_days, c.duration_max_days, 20)
        onset = sorted(c.onsets)[0] if c.onsets else "insidious"
        regions = sorted(c.regions) if c.regions else list(kb.vocabulary.regions)
        for combo in rule.combos:
            if (rule.flag, combo.codes) in seen:
                continue
            for region in regions:
                case = Case(id="plant", age=age, sex="female", region=region, duration_days=duration,
                            onset=onset, findings=frozenset(combo.codes))
                _, flags = screen_case(case, kb)
                if [(f.id, f.urgency) for f in flags] == [(rule.flag, rule.urgency)]:
                    menu.append(Plant(rule.id, rule.flag, rule.urgency.code, combo.codes, region,
                                      age, duration, onset))
                    seen.add((rule.flag, combo.codes))
                    break
    return tuple(menu)


@cache
def background_findings(kb: KnowledgeBase) -> tuple[str, ...]:
    """Findings in no red-flag rule and no triage-changing contraindication (benign noise)."""
    busy: set[str] = set()
    for rule in kb.red_flag_rules:
        busy.update(code for combo in rule.combos for code in combo.codes)
    for c in kb.contraindications:
        if c.affects_triage:
            busy.update(code for combo in c.combos for code in combo.codes)
    for rules in (kb.red_flag_rules, kb.contraindications):
        for r in rules:
            absent = r.conditions.absent_mask
            busy.update(f for f in kb.vocabulary.findings if absent & kb.mask_of(frozenset({f})))
    return tuple(f for f in kb.vocabulary.findings if f not in busy)


@cache
def _codes_file() -> CodesFile:
    return convert(code_tables.FILE, read_yaml(code_tables.CODES_DIR, code_tables.FILE), CodesFile)


@cache
def _finding_codings(finding: str) -> tuple[dict[str, str], ...]:
    """Every coding the tables read as `finding`: standard ones (ICD-10 parents of 3+ characters)
    and its Palpa code."""
    tables, raw = load_code_tables(), _codes_file()
    out = [{"system": tables.system_urls[c.system], "code": c.code, "display": c.display}
           for c in (raw.findings[finding].codes if finding in raw.findings else [])
           if c.match == "exact" or len(c.code) >= 3]
    out.extend(c for c in tables.finding_codings[finding] if c not in out)
    return tuple(c for c in out if tables.findings_for(c["system"], c["code"]) == (finding,))


@cache
def _region_codings(region: str) -> tuple[tuple[str, dict[str, str]], ...]:
    """(Condition element, coding) pairs the tables read as the complaint's region."""
    tables, raw = load_code_tables(), _codes_file()
    out: list[tuple[str, dict[str, str]]] = []
    entry = raw.regions.get(region)
    if entry is not None:
        out += [("code", {"system": tables.system_urls[c.system], "code": c.code, "display": c.display})
                for c in entry.complaint if c.match == "exact" or len(c.code) >= 3]
        out += [("bodySite", {"system": tables.system_urls[c.system], "code": c.code,
                              "display": c.display}) for c in entry.body_site]
    out += [("bodySite", c) for c in tables.region_body_sites[region] if ("bodySite", c) not in out]
    return tuple((element, c) for element, c in out
                 if not tables.findings_for(c["system"], c["code"])
                 and (element == "bodySite" or tables.complaint_region(c["system"], c["code"]) == region))


class _Writer:
    """Routes resources to the export's files; scatters lines when the export is unsorted."""

    def __init__(self, directory: Path, condition_files: int, rng: random.Random | None) -> None:
        self.rng = rng
        names = {"Patient": ["Patient.ndjson"], "Observation": ["Observation.ndjson"],
                 "Condition": [f"Condition.{i}.ndjson" for i in range(1, condition_files + 1)],
                 "Practitioner": ["Practitioner.ndjson"]}
        self.files: dict[str, list[BinaryIO]] = {
            kind: [(directory / n).open("wb") for n in files] for kind, files in names.items()}
        self.turn: Counter[str] = Counter()
        self.held: list[tuple[BinaryIO, bytes]] = []

    def write(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        outs = self.files[kind]
        out = outs[self.turn[kind] % len(outs)]
        self.turn[kind] += 1
        line = orjson.dumps(resource) + b"\n"
        if self.rng is None:
            out.write(line)
            return
        self.held.append((out, line))
        if len(self.held) >= SHUFFLE_WINDOW:
            i = self.rng.randrange(len(self.held))
            self.held[i], self.held[-1] = self.held[-1], self.held[i]
            target, data = self.held.pop()
            target.write(data)

    def close(self) -> None:
        if self.rng is not None:
            self.rng.shuffle(self.held)
        for target, data in self.held:
            target.write(data)
        for outs in self.files.values():
            for out in outs:
                out.close()


class _Patient:
    """Builds one synthetic patient's resources."""

    def __init__(self, pid: str, rng: random.Random, tables: CodeTables, as_of: date) -> None:
        self.pid, self.rng, self.t, self.as_of = pid, rng, tables, as_of
        self.resources: list[dict[str, Any]] = []
        self.n = 0

    def _id(self, kind: str) -> str:
        self.n += 1
        return f"{self.pid}-{kind[:3].lower()}{self.n}"

    def patient(self, age: int, sex: str) -> None:
        born = self.as_of.replace(year=self.as_of.year - age) - timedelta(days=self.rng.randint(1, 300))
        self.resources.append({"resourceType": "Patient", "id": self.pid, "gender": sex,
                               "birthDate": born.isoformat()})

    def complaint(self, region: str, duration: int, onset: str) -> int:
        """The complaint Condition; returns how many unmapped codes it carries (a text-only code
        beside a body site is reported as unmapped)."""
        element, coding = self.rng.choice(_region_codings(region))
        condition: dict[str, Any] = {
            "resourceType": "Condition", "id": self._id("Condition"),
            "subject": {"reference": f"Patient/{self.pid}"},
            "clinicalStatus": _status("condition-clinical", "active"),
            "onsetDateTime": (self.as_of - timedelta(days=duration)).isoformat(),
            "extension": [{"url": self.t.palpa.onset_extension, "valueCode": onset}]}
        self.resources.append(condition)
        if element == "code":
            condition["code"] = {"coding": [coding]}
            return 0
        condition["code"] = {"text": "musculoskeletal complaint"}
        condition["bodySite"] = [{"coding": [coding]}]
        return 1

    def finding(self, code: str, present: bool = True, decoy: str = "") -> None:
        coding = self.rng.choice(_finding_codings(code))
        if self.t.finding_resource[code] == "Condition":
            verification = "refuted" if decoy == "refuted" else "confirmed"
            clinical = "resolved" if decoy == "resolved" else "active"
            self.resources.append({
                "resourceType": "Condition", "id": self._id("Condition"),
                "subject": {"reference": f"Patient/{self.pid}"}, "code": {"coding": [coding]},
                "clinicalStatus": _status("condition-clinical", clinical),
                "verificationStatus": _status("condition-ver-status", verification)})
            return
        obs: dict[str, Any] = {"resourceType": "Observation", "id": self._id("Observation"),
                               "status": "entered-in-error" if decoy == "resolved" else "final",
                               "subject": {"reference": f"Patient/{self.pid}"},
                               "code": {"coding": [coding]},
                               "effectiveDateTime": self.as_of.isoformat()}
        if decoy == "refuted" or not present:
            obs["valueBoolean"] = False
        elif self.rng.random() < 0.5:
            obs["valueBoolean"] = True
        self.resources.append(obs)

    def pain(self, nprs: int) -> None:
        m = self.t.case_measures["pain_nprs"]
        self.resources.append({
            "resourceType": "Observation", "id": self._id("Observation"), "status": "final",
            "subject": {"reference": f"Patient/{self.pid}"}, "code": {"coding": [m.coding]},
            "effectiveDateTime": self.as_of.isoformat(),
            "valueQuantity": {"value": nprs, "unit": m.unit}})

    def local_problem(self) -> None:
        self.resources.append({
            "resourceType": "Condition", "id": self._id("Condition"),
            "subject": {"reference": f"Patient/{self.pid}"},
            "clinicalStatus": _status("condition-clinical", "active"),
            "code": {"coding": [{"system": LOCAL_SYSTEM, "code": f"LP-{self.rng.randint(100, 999)}",
                                 "display": "clinic problem list entry"}]}})


def _status(kind: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"http://terminology.hl7.org/CodeSystem/{kind}", "code": code}]}


def _patients(n: int, seed: int, as_of: date, kb: KnowledgeBase, order: list[int],
              truth: Truth) -> Iterator[dict[str, Any]]:
    tables = load_code_tables()
    menu, benign = plant_menu(kb), background_findings(kb)
    decoy_codes = sorted({code for p in menu for code in p.findings})
    width = max(6, len(str(n)))
    for i in order:
        rng = random.Random(seed * 1_000_003 + i)
        pid = f"pt-{i:0{width}d}"
        p = _Patient(pid, rng, tables, as_of)
        roll = rng.random()
        flags: list[dict[str, Any]] = []
        plant = rng.choice(menu) if roll < 0.35 else None
        if plant is not None:
            age, region, duration, onset = plant.age, plant.region, plant.duration_days, plant.onset
            flags.append({"id": plant.flag, "urgency": plant.urgency, "rule": plant.rule,
                          "findings": list(plant.findings)})
        else:
            age, region = rng.randint(18, 90), rng.choice(kb.vocabulary.regions)
            duration, onset = rng.randint(1, 400), "insidious"
        no_case = 0.35 <= roll < 0.38
        if not no_case:
            p.patient(age, rng.choice(("female", "male", "other")))
        unmapped = p.complaint(region, duration, onset)
        for code in (plant.findings if plant else ()):
            p.finding(code)
        for code in rng.sample(benign, rng.randint(0, 3)):
            p.finding(code)
        decoys = 0
        if plant is None and rng.random() < 0.15:
            decoys = 1
            p.finding(rng.choice(decoy_codes), decoy=rng.choice(("refuted", "resolved")))
        if rng.random() < 0.7:
            p.pain(rng.randint(0, 10))
        if rng.random() < 0.05:
            unmapped += 1
            p.local_problem()
        truth.patients[pid] = {
            "triage": None if no_case else (plant.urgency if plant else "treat"),
            "red_flags": [] if no_case else flags, "decoys": decoys, "unmapped": unmapped,
            "no_case": "no Patient resource" if no_case else None}
        yield from p.resources


def write_export(directory: Path, n_patients: int, seed: int, sorted: bool = True,
                 condition_files: int = 2, as_of: date = AS_OF) -> Truth:
    """Write an export of `n_patients` into `directory` (created) and its ground truth; return it.

    sorted=True: every file is in patient-id order (ids are zero-padded); False: patients come
    in a shuffled order and each file's lines are scattered further.
    """
    kb = load_knowledge()
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    order = list(range(n_patients))
    if not sorted:
        rng.shuffle(order)
    truth = Truth(as_of, seed, sorted)
    writer = _Writer(directory, condition_files, None if sorted else rng)
    try:
        for resource in _patients(n_patients, seed, as_of, kb, order, truth):
            writer.write(resource)
        for k in range(3):
            writer.write({"resourceType": "Practitioner", "id": f"physio-{k}",
                          "name": [{"family": "Synthetic", "given": [f"Physio {k}"]}]})
            truth.without_patient["Practitioner"] += 1
    finally:
        writer.close()
    (directory / TRUTH_FILE).write_bytes(orjson.dumps(truth.to_json()))
    return truth
