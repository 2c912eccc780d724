"""Domain model of a case and its assessment: plain values, no I/O.

Inputs (`Case`, `Measures`) are frozen. Results are slotted dataclasses built once per
assessment and never mutated after; they are not frozen because frozen construction costs
five times as much on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

Sex = Literal["female", "male", "other"]
Irritability = Literal["low", "moderate", "high"]
Dominance = Literal["pain_dominant", "mixed", "stiffness_dominant"]
Stage = Literal["acute", "subacute", "chronic"]
TechniqueStatus = Literal["contraindicated", "caution", "recommended", "suitable"]
Severity = Literal["absolute", "relative", "precaution"]

IRRITABILITY_ORDER: dict[str, int] = {"low": 0, "moderate": 1, "high": 2}
GRADES: tuple[str, ...] = ("I", "II", "III", "IV")


class Triage(IntEnum):
    """Triage levels; a larger value is more urgent."""

    TREAT = 0
    TREAT_WITH_PRECAUTIONS = 1
    REFER = 2
    URGENT = 3
    EMERGENCY = 4

    @property
    def code(self) -> str:
        return self.name.lower()

    @classmethod
    def from_code(cls, code: str) -> Triage:
        return cls[code.upper()]


@dataclass(frozen=True, slots=True)
class Measures:
    """Optional numeric measures of a case (contract `measures`)."""

    fabq_work: int | None = None
    fabq_pa: int | None = None
    hip_internal_rotation_deg: float | None = None
    cervical_extension_rom_deg: float | None = None
    odi_percent: float | None = None
    ndi_percent: float | None = None
    start_back_items: tuple[int, ...] | None = None

    def get(self, name: str) -> float | None:
        """Return a numeric measure by name, or None when not recorded."""
        value = getattr(self, name)
        if value is None or isinstance(value, tuple):
            return None
        return float(value)


@dataclass(frozen=True, slots=True)
class FindingSource:
    """Where a finding came from: the structured list or a span of the note."""

    code: str
    origin: Literal["structured", "note"] = "structured"
    span: tuple[int, int] | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class NoteMention:
    """A finding the note mentions but does not state as present (negated, family, ...)."""

    code: str
    status: str
    span: tuple[int, int]
    text: str
    cue: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One patient presentation, already validated against the vocabulary."""

    id: str
    age: int
    sex: Sex
    region: str
    duration_days: int
    onset: str = "insidious"
    pain_nprs: int | None = None
    irritability: Irritability | None = None
    findings: frozenset[str] = frozenset()
    measures: Measures = field(default_factory=Measures)
    note: str | None = None
    finding_sources: tuple[FindingSource, ...] = ()
    note_mentions: tuple[NoteMention, ...] = ()

    def has(self, code: str) -> bool:
        return code in self.findings


@dataclass(slots=True)
class Reason:
    """Why a status or recommendation was given: rule, the findings that fired it, source."""

    rule: str
    findings: tuple[str, ...]
    source: str
    kind: str
    text: str
    severity: Severity | None = None


@dataclass(slots=True)
class RedFlagHit:
    """A suspected serious condition raised by one or more red-flag rules."""

    id: str
    urgency: Triage
    findings: tuple[str, ...]
    source: str
    rules: tuple[Reason, ...]
    action: str


@dataclass(slots=True)
class TriageResult:
    level: Triage
    reasons: tuple[str, ...]


@dataclass(slots=True)
class Dose:
    """How much of a technique: free text plus the structured parts that apply."""

    text: str
    sets: int | None = None
    seconds_per_set: int | None = None
    repetitions: int | None = None
    frequency_hz: float | None = None
    attempts: int | None = None
    variant: str | None = None


@dataclass(slots=True)
class TechniqueAssessment:
    """Status of one technique at one region, with reasons and, when recommended, a dose."""

    technique: str
    region: str
    status: TechniqueStatus
    reasons: tuple[Reason, ...]
    grades: tuple[str, ...] | None = None
    dose: Dose | None = None


@dataclass(slots=True)
class CriterionResult:
    id: str
    text: str
    met: bool
    judged: bool


@dataclass(slots=True)
class PredictionRuleResult:
    id: str
    name: str
    criteria_met: int
    criteria_total: int
    positive: bool
    threshold: int
    criteria: tuple[CriterionResult, ...]
    likelihood_ratio: str
    validation: str
    source: str
    validation_sources: tuple[str, ...]


@dataclass(slots=True)
class Presentation:
    """Severity/irritability/nature summary used to choose and dose techniques."""

    irritability: Irritability
    irritability_inferred: bool
    dominance: Dominance
    stage: Stage
    tissue_sources: tuple[str, ...]
    reasons: tuple[Reason, ...]


@dataclass(slots=True)
class StartBackResult:
    total: int
    psychosocial: int
    risk: Literal["low", "medium", "high"]
    source: str


@dataclass(slots=True)
class Psychosocial:
    start_back: StartBackResult | None
    fear_avoidance_high: bool
    reasons: tuple[Reason, ...]


@dataclass(slots=True)
class PlanItem:
    """A recommended manual therapy technique in the care plan."""

    technique: str
    region: str
    dose: Dose
    reasons: tuple[Reason, ...]
    grades: tuple[str, ...] | None = None


@dataclass(slots=True)
class VisitsEstimate:
    min_visits: int
    max_visits: int
    weeks: int
    reassess_after_visits: int
    text: str
    sources: tuple[str, ...]


@dataclass(slots=True)
class Plan:
    """The care plan: never manual therapy alone."""

    summary: str
    manual_therapy: tuple[PlanItem, ...]
    exercise_ids: tuple[str, ...]
    education_ids: tuple[str, ...]
    home_program: tuple[str, ...]
    visits: VisitsEstimate
    reassess_triggers: tuple[Reason, ...]
    while_awaiting_review: tuple[str, ...]


@dataclass(slots=True)
class Assessment:
    case_id: str
    knowledge_version: str
    triage: TriageResult
    findings: tuple[FindingSource, ...]
    red_flags: tuple[RedFlagHit, ...]
    techniques: tuple[TechniqueAssessment, ...]
    prediction_rules: tuple[PredictionRuleResult, ...]
    presentation: Presentation | None
    psychosocial: Psychosocial | None
    plan: Plan | None
    note_mentions: tuple[NoteMention, ...] = ()
