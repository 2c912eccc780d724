"""Load and check the FHIR mapping tables (codes.yaml) into plain lookup dicts.

Every entry is schema-checked (msgspec, unknown fields refused); a vocabulary code, measure,
system name or source key that Palpa does not know fails with KnowledgeError naming the file,
the entry and the field. Lookups are plain dict reads, fast enough for bulk import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import msgspec

from palpa.core.billing import BillingCatalogue
from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.loader import MEASURE_CODES, KnowledgeError, convert, load_knowledge, read_yaml
from palpa.knowledge.schema import Strict

FILE = "codes.yaml"
CODES_DIR = Path(__file__).parent
PREFIX_SYSTEMS = frozenset({"icd10", "icd10cm"})  # classifications whose codes nest by prefix
CASE_FIELDS = MEASURE_CODES | {"pain_nprs"}
CARE_ACTIVITIES = frozenset({"exercise", "education", "home_program"})  # CarePlan activities written

Coding = dict[str, str]  # a FHIR Coding: {"system", "code", "display"}
Key = tuple[str, str]  # (system URL, normalised code)


class CodingEntry(Strict, frozen=True, kw_only=True):
    system: str
    code: str
    display: str
    verified: bool
    source: str
    match: Literal["exact", "prefix"] = "exact"
    note: str | None = None


class SystemEntry(Strict, frozen=True):
    url: str
    source: str


class PalpaSystems(Strict, frozen=True):
    finding: str
    region: str
    technique: str
    measure: str
    red_flag: str
    triage: str
    case_field: str
    care_activity: str
    onset_extension: str
    startback_questionnaire: str
    identifier: str
    source: str


class FindingEntry(Strict, frozen=True):
    resource: Literal["Condition", "Observation"]
    codes: list[CodingEntry]


class RegionEntry(Strict, frozen=True):
    body_site: list[CodingEntry]
    complaint: list[CodingEntry]


class CaseMeasureEntry(Strict, frozen=True, kw_only=True):
    unit: str
    display: str
    source: str
    measure: str | None = None
    scale: float = 1.0
    code: str | None = None


class TechniqueEntry(Strict, frozen=True):
    codes: list[CodingEntry]


class ObservationValues(Strict, frozen=True):
    present: list[CodingEntry]
    absent: list[CodingEntry]
    absent_words: list[str]
    source: str


class StatusRules(Strict, frozen=True):
    clinical_active: list[str]
    verification_excluded: list[str]
    observation_excluded: list[str]
    source: str


class GenderEntry(Strict, frozen=True):
    map: dict[str, Literal["female", "male", "other"]]
    source: str


class CodesFile(Strict, frozen=True):
    version: int
    systems: dict[str, SystemEntry]
    palpa: PalpaSystems
    findings: dict[str, FindingEntry]
    regions: dict[str, RegionEntry]
    care_activities: dict[str, str]
    case_measures: dict[str, CaseMeasureEntry]
    techniques: dict[str, TechniqueEntry]
    observation_values: ObservationValues
    condition_status: StatusRules
    gender: GenderEntry


@dataclass(frozen=True)
class CaseMeasure:
    """How one case measure field is coded: the Observation coding it is written with, its unit."""

    field: str
    coding: Coding
    unit: str
    integer: bool


@dataclass(frozen=True)
class CodeTables:
    """The compiled mapping tables: lookups for import, preferred codings for export."""

    system_urls: Mapping[str, str]
    palpa: PalpaSystems
    finding_resource: Mapping[str, str]
    finding_codings: Mapping[str, tuple[Coding, ...]]      # export: verified standard codes + Palpa
    region_body_sites: Mapping[str, tuple[Coding, ...]]
    region_complaints: Mapping[str, tuple[Coding, ...]]
    technique_codings: Mapping[str, tuple[Coding, ...]]    # SNOMED (verified) + CPT + Palpa
    case_measures: Mapping[str, CaseMeasure]
    measure_codings: Mapping[str, Coding]                 # every measures.yaml measure
    measure_units: Mapping[str, str]
    care_activities: Mapping[str, Coding]                 # CarePlan activity kinds
    # import lookups (keys are (system URL, normalised code))
    _findings_exact: Mapping[Key, tuple[str, ...]]
    _findings_prefix: Mapping[str, Mapping[str, tuple[str, ...]]]
    _body_sites: Mapping[Key, str]
    _complaints_exact: Mapping[Key, str]
    _complaints_prefix: Mapping[str, Mapping[str, str]]
    _observation_fields: Mapping[Key, tuple[str, float]]
    _measures: Mapping[Key, str]
    _techniques: Mapping[Key, tuple[str, ...]]
    present_values: frozenset[Key]
    absent_values: frozenset[Key]
    absent_words: frozenset[str]
    clinical_active: frozenset[str]
    verification_excluded: frozenset[str]
    observation_excluded: frozenset[str]
    gender: Mapping[str, str]
    prefix_urls: frozenset[str]

    def normalise(self, system: str, code: str) -> str:
        """ICD-10 codes compare without the dot and in upper case; others as given."""
        if system in self.prefix_urls:
            return code.replace(".", "").strip().upper()
        return code.strip()

    def findings_for(self, system: str, code: str) -> tuple[str, ...]:
        """Palpa findings a coded concept is read as (empty when the code is not mapped)."""
        norm = self.normalise(system, code)
        hit = self._findings_exact.get((system, norm))
        if hit is not None:
            return hit
        prefixes = self._findings_prefix.get(system)
        if prefixes:
            for n in range(len(norm), 0, -1):
                hit = prefixes.get(norm[:n])
                if hit is not None:
                    return hit
        return ()

    def complaint_region(self, system: str, code: str) -> str | None:
        """The region a complaint code (e.g. low back pain, M54.2) names, or None."""
        norm = self.normalise(system, code)
        hit = self._complaints_exact.get((system, norm))
        if hit is not None:
            return hit
        prefixes = self._complaints_prefix.get(system)
        if prefixes:
            for n in range(len(norm), 0, -1):
                region = prefixes.get(norm[:n])
                if region is not None:
                    return region
        return None

    def body_site_region(self, system: str, code: str) -> str | None:
        """The region a body structure code names, or None."""
        return self._body_sites.get((system, code.strip()))

    def observation_field(self, system: str, code: str) -> tuple[str, float] | None:
        """(case field, scale) an Observation code fills, e.g. LOINC 72514-3 -> ('pain_nprs', 1)."""
        return self._observation_fields.get((system, code.strip()))

    def measure_of(self, system: str, code: str) -> str | None:
        """The measures.yaml measure an Observation code scores, or None."""
        return self._measures.get((system, code.strip()))

    def techniques_for(self, system: str, code: str) -> tuple[str, ...]:
        """Palpa techniques a procedure code names (CPT 97140 names every manual technique)."""
        return self._techniques.get((system, code.strip()), ())

    def is_present_value(self, system: str, code: str) -> bool:
        return (system, code.strip()) in self.present_values

    def is_absent_value(self, system: str, code: str) -> bool:
        return (system, code.strip()) in self.absent_values


class _Builder:
    """Checks cross-references while compiling; errors name file, entry and field."""

    def __init__(self, data: CodesFile, kb: KnowledgeBase) -> None:
        self.data, self.kb = data, kb
        self.urls = {name: s.url for name, s in data.systems.items()}

    def source(self, entry: str, key: str, field: str = "source") -> None:
        if key not in self.kb.sources:
            raise KnowledgeError(FILE, entry, field, f"unknown source key {key!r}")

    def coding(self, entry: str, field: str, c: CodingEntry) -> tuple[str, str]:
        """(system URL, normalised code) of an entry, after checking it."""
        if c.system not in self.urls:
            raise KnowledgeError(FILE, entry, field, f"unknown system {c.system!r}")
        if c.match == "prefix" and c.system not in PREFIX_SYSTEMS:
            raise KnowledgeError(FILE, entry, field, f"prefix match is for ICD-10 codes, not {c.system!r}")
        if not c.code.strip() or not c.display.strip():
            raise KnowledgeError(FILE, entry, field, "code and display must not be empty")
        if c.system == "snomed" and not c.code.isdigit():
            raise KnowledgeError(FILE, entry, field, f"{c.code!r} is not a SNOMED CT concept id")
        self.source(entry, c.source)
        url = self.urls[c.system]
        code = c.code.replace(".", "").upper() if c.system in PREFIX_SYSTEMS else c.code
        return url, code

    def export(self, entries: list[CodingEntry]) -> list[Coding]:
        """Verified codes, in file order, as FHIR Codings (unverified ones are read, never written)."""
        return [{"system": self.urls[c.system], "code": c.code, "display": c.display}
                for c in entries if c.verified and c.match == "exact"]


def compile_tables(data: CodesFile, kb: KnowledgeBase, billing: BillingCatalogue) -> CodeTables:
    """Check `data` against the knowledge base and billing catalogue and build the lookups."""
    b = _Builder(data, kb)
    vocab = kb.vocabulary
    for name, s in data.systems.items():
        b.source(name, s.source)
        if not s.url.startswith(("http://", "https://")):
            raise KnowledgeError(FILE, name, "url", "a system URL starts with http:// or https://")
    p = data.palpa
    b.source("palpa", p.source)
    for field in PalpaSystems.__struct_fields__:
        if field != "source" and not getattr(p, field).startswith("https://"):
            raise KnowledgeError(FILE, "palpa", field, "a Palpa URL starts with https://")

    findings_exact: dict[Key, tuple[str, ...]] = {}
    findings_prefix: dict[str, dict[str, tuple[str, ...]]] = {}
    finding_codings: dict[str, tuple[Coding, ...]] = {}
    for finding, f in data.findings.items():
        if finding not in vocab.findings:
            raise KnowledgeError(FILE, finding, "findings", f"unknown finding code {finding!r}")
        for c in f.codes:
            key = b.coding(finding, "codes", c)
            if c.match == "prefix":
                bucket = findings_prefix.setdefault(key[0], {})
                bucket[key[1]] = (*bucket.get(key[1], ()), finding)
            else:
                findings_exact[key] = (*findings_exact.get(key, ()), finding)
        palpa_coding = {"system": p.finding, "code": finding, "display": vocab.definitions[finding]}
        finding_codings[finding] = (*b.export(f.codes), palpa_coding)
    for finding in vocab.findings:  # a finding the table leaves out still round-trips by its Palpa code
        finding_codings.setdefault(
            finding, ({"system": p.finding, "code": finding, "display": vocab.definitions[finding]},))
        findings_exact[(p.finding, finding)] = (finding,)

    body_sites: dict[Key, str] = {}
    complaints_exact: dict[Key, str] = {}
    complaints_prefix: dict[str, dict[str, str]] = {}
    region_body: dict[str, tuple[Coding, ...]] = {}
    region_complaint: dict[str, tuple[Coding, ...]] = {}
    for region, r in data.regions.items():
        if region not in vocab.regions:
            raise KnowledgeError(FILE, region, "regions", f"unknown region code {region!r}")
        for c in r.body_site:
            key = b.coding(region, "body_site", c)
            if key in body_sites:
                raise KnowledgeError(FILE, region, "body_site",
                                     f"{c.code!r} already maps to {body_sites[key]!r}")
            body_sites[key] = region
        for c in r.complaint:
            key = b.coding(region, "complaint", c)
            table = complaints_prefix.setdefault(key[0], {}) if c.match == "prefix" else None
            target: dict[Any, str] = table if table is not None else complaints_exact
            k: Any = key[1] if table is not None else key
            if k in target:
                raise KnowledgeError(FILE, region, "complaint", f"{c.code!r} already maps to {target[k]!r}")
            target[k] = region
        palpa_region = {"system": p.region, "code": region, "display": vocab.definitions[region]}
        region_body[region] = (*b.export(r.body_site), palpa_region)
        region_complaint[region] = tuple(b.export(r.complaint))
    for region in vocab.regions:
        region_body.setdefault(region, ({"system": p.region, "code": region,
                                         "display": vocab.definitions[region]},))
        region_complaint.setdefault(region, ())
        body_sites[(p.region, region)] = region
        complaints_exact[(p.region, region)] = region  # a Palpa-coded complaint names its region

    measure_codings: dict[str, Coding] = {}
    measure_units: dict[str, str] = {}
    measures: dict[Key, str] = {}
    loinc = b.urls.get("loinc")
    if loinc is None:
        raise KnowledgeError(FILE, "systems", "loinc", "the loinc system is needed for measures")
    for mid, m in kb.measures.items():
        coding = ({"system": loinc, "code": m.loinc, "display": m.name} if m.loinc
                  else {"system": p.measure, "code": m.code, "display": m.name})
        measure_codings[mid] = coding
        measure_units[mid] = "%" if m.unit == "percent" else "{score}"
        measures[(coding["system"], coding["code"])] = mid

    observation_fields: dict[Key, tuple[str, float]] = {}
    case_measures: dict[str, CaseMeasure] = {}
    for field_name, cm in data.case_measures.items():
        if field_name not in CASE_FIELDS:
            raise KnowledgeError(FILE, field_name, "case_measures",
                                 f"not a case measure field: {field_name!r}")
        b.source(field_name, cm.source)
        if cm.measure is None and cm.code is None:
            raise KnowledgeError(FILE, field_name, "code", "give a measure, a code, or both")
        if cm.measure is not None:
            if cm.measure not in measure_codings:
                raise KnowledgeError(FILE, field_name, "measure", f"unknown measure {cm.measure!r}")
            mc = measure_codings[cm.measure]
            observation_fields[(mc["system"], mc["code"])] = (field_name, cm.scale)
        if cm.code is not None:
            coding = {"system": p.measure, "code": cm.code, "display": cm.display}
            observation_fields[(p.measure, cm.code)] = (field_name, 1.0)
        else:
            assert cm.measure is not None
            coding = dict(measure_codings[cm.measure])
        integer = field_name in ("pain_nprs", "fabq_work", "fabq_pa")
        case_measures[field_name] = CaseMeasure(field_name, coding, cm.unit, integer)
    missing = sorted(CASE_FIELDS - {"start_back_items"} - set(case_measures))
    if missing:
        raise KnowledgeError(FILE, None, "case_measures", f"no entry for {missing}")

    cpt = b.urls.get("cpt")
    if cpt is None:
        raise KnowledgeError(FILE, "systems", "cpt", "the cpt system is needed for techniques")
    techniques: dict[Key, tuple[str, ...]] = {}
    technique_codings: dict[str, tuple[Coding, ...]] = {}
    for tech in vocab.techniques:
        entry = data.techniques.get(tech)
        if entry is None:
            raise KnowledgeError(FILE, tech, "techniques", "every technique needs an entry (codes may be [])")
        for c in entry.codes:
            key = b.coding(tech, "codes", c)
            techniques[key] = (*techniques.get(key, ()), tech)
        code = billing.technique_cpt[tech]
        cpt_coding = {"system": cpt, "code": code, "display": billing.name(code)}
        techniques[(cpt, code)] = (*techniques.get((cpt, code), ()), tech)
        techniques[(p.technique, tech)] = (tech,)
        technique_codings[tech] = (*b.export(entry.codes), cpt_coding,
                                   {"system": p.technique, "code": tech,
                                    "display": vocab.definitions[tech]})
    for tech in data.techniques:
        if tech not in vocab.techniques:
            raise KnowledgeError(FILE, tech, "techniques", f"unknown technique code {tech!r}")

    needed = sorted(CARE_ACTIVITIES - set(data.care_activities))
    if needed:
        raise KnowledgeError(FILE, "care_activities", None, f"no entry for {needed}")

    ov = data.observation_values
    b.source("observation_values", ov.source)
    present = frozenset(b.coding("observation_values", "present", c) for c in ov.present)
    absent = frozenset(b.coding("observation_values", "absent", c) for c in ov.absent)
    if present & absent:
        raise KnowledgeError(FILE, "observation_values", "absent", "a code is both present and absent")
    cs = data.condition_status
    b.source("condition_status", cs.source)
    b.source("gender", data.gender.source)
    return CodeTables(
        system_urls=b.urls, palpa=p, finding_resource={
            f: (data.findings[f].resource if f in data.findings else "Observation") for f in vocab.findings},
        finding_codings=finding_codings, region_body_sites=region_body,
        region_complaints=region_complaint, technique_codings=technique_codings,
        case_measures=case_measures, measure_codings=measure_codings, measure_units=measure_units,
        care_activities={k: {"system": p.care_activity, "code": k, "display": v}
                         for k, v in data.care_activities.items()},
        _findings_exact=findings_exact, _findings_prefix=findings_prefix, _body_sites=body_sites,
        _complaints_exact=complaints_exact, _complaints_prefix=complaints_prefix,
        _observation_fields=observation_fields, _measures=measures, _techniques=techniques,
        present_values=present, absent_values=absent,
        absent_words=frozenset(w.lower() for w in ov.absent_words),
        clinical_active=frozenset(cs.clinical_active),
        verification_excluded=frozenset(cs.verification_excluded),
        observation_excluded=frozenset(cs.observation_excluded),
        gender=dict(data.gender.map),
        prefix_urls=frozenset(b.urls[s] for s in PREFIX_SYSTEMS if s in b.urls),
    )


def load_tables_from(path: Path, kb: KnowledgeBase, billing: BillingCatalogue) -> CodeTables:
    """Read, check and compile a codes.yaml file (raises KnowledgeError)."""
    raw = read_yaml(path.parent, path.name)
    try:
        data = convert(FILE, raw, CodesFile)
    except msgspec.ValidationError as exc:  # pragma: no cover - convert raises KnowledgeError
        raise KnowledgeError(FILE, None, None, str(exc)) from None
    return compile_tables(data, kb, billing)


@lru_cache(maxsize=1)
def load_code_tables() -> CodeTables:
    """The packaged mapping tables, loaded and checked once per process."""
    from palpa.knowledge.episode_loader import load_billing

    return load_tables_from(CODES_DIR / FILE, load_knowledge(), load_billing())
