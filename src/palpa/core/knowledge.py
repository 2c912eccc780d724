"""Typed, compiled form of the knowledge base that the pure engine reads.

The loader (`palpa.knowledge.loader`) builds these values from the YAML files once;
finding combinations are compiled to integer bit masks so that matching a rule
against a case is a couple of integer operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from palpa.core.measures import MeasureDef
from palpa.core.models import IRRITABILITY_ORDER, Case, Severity, Stage, Triage


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The contract's codes; finding codes are numbered for bit masks."""

    regions: tuple[str, ...]
    techniques: tuple[str, ...]
    onsets: tuple[str, ...]
    findings: tuple[str, ...]
    red_flags: tuple[str, ...]
    prediction_rules: tuple[str, ...]
    definitions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Combo:
    """A finding combination: every code in it must be present."""

    mask: int
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conditions:
    """Optional non-finding conditions a rule needs (all that are set must hold)."""

    regions: frozenset[str] | None = None
    onsets: frozenset[str] | None = None
    age_min: int | None = None
    age_max: int | None = None
    duration_min_days: int | None = None
    duration_max_days: int | None = None
    stages: frozenset[Stage] | None = None
    max_irritability: str | None = None
    absent_mask: int = 0

    def hold(self, case: Case, mask: int, region: str, stage: Stage | None = None,
             irritability: str | None = None) -> bool:
        """True when every condition that is set holds for the case at `region`."""
        if self.regions is not None and region not in self.regions:
            return False
        if self.absent_mask & mask:
            return False
        if self.onsets is not None and case.onset not in self.onsets:
            return False
        if self.age_min is not None and case.age < self.age_min:
            return False
        if self.age_max is not None and case.age > self.age_max:
            return False
        if self.duration_min_days is not None and case.duration_days < self.duration_min_days:
            return False
        if self.duration_max_days is not None and case.duration_days > self.duration_max_days:
            return False
        if self.stages is not None and (stage is None or stage not in self.stages):
            return False
        return not (
            self.max_irritability is not None and irritability is not None
            and IRRITABILITY_ORDER[irritability] > IRRITABILITY_ORDER[self.max_irritability])


def any_mask(combos: tuple[Combo, ...]) -> int:
    """Bits of every finding a rule can fire on; -1 (all bits) for a rule without findings."""
    if not combos:
        return -1
    m = 0
    for combo in combos:
        m |= combo.mask
    return m


def match_combos(combos: tuple[Combo, ...], mask: int) -> tuple[str, ...] | None:
    """Codes of every combination present in `mask` (merged), or None if none is.

    An empty combination tuple matches with no findings (a rule on conditions alone).
    """
    if not combos:
        return ()
    hit: list[str] = []
    for combo in combos:
        if combo.mask & mask == combo.mask:
            for c in combo.codes:
                if c not in hit:
                    hit.append(c)
    return tuple(hit) if hit else None


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    kind: str
    authors: str
    year: int
    title: str
    published_in: str
    url: str
    verified: bool
    doi: str | None = None
    based_on: tuple[str, ...] = ()
    note: str | None = None

    def citation(self) -> str:
        """One-line reference, Vancouver style."""
        doi = f" doi:{self.doi}" if self.doi else ""
        return f"{self.authors} {self.title}. {self.published_in}.{doi}"


@dataclass(frozen=True, slots=True)
class RedFlagDefinition:
    id: str
    name: str
    action: dict[Triage, str]


@dataclass(frozen=True, slots=True)
class RedFlagRule:
    id: str
    flag: str
    urgency: Triage
    combos: tuple[Combo, ...]
    conditions: Conditions
    source: str
    why: str

    @property
    def trigger_mask(self) -> int:
        """Bits of the findings that can fire this rule (-1: fires on conditions alone)."""
        return any_mask(self.combos)


@dataclass(frozen=True, slots=True)
class ContraindicationRule:
    id: str
    combos: tuple[Combo, ...]
    conditions: Conditions
    techniques: dict[str, Severity]
    source: str
    why: str
    advice: str
    affects_triage: bool = True

    @property
    def trigger_mask(self) -> int:
        """Bits of the findings that can fire this rule (-1: fires on conditions alone)."""
        return any_mask(self.combos)


@dataclass(frozen=True, slots=True)
class Indication:
    """When a technique is chosen for the plan, and why."""

    id: str
    technique: str
    combos: tuple[Combo, ...]
    conditions: Conditions
    source: str
    why: str
    target_region: str | None = None
    requires_positive_rule: str | None = None
    min_irritability: str | None = None

    @property
    def trigger_mask(self) -> int:
        """Bits of the findings that can fire this rule (-1: fires on conditions alone)."""
        return any_mask(self.combos)


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    text: str
    kind: str  # finding_present | finding_absent | measure_lt | measure_gt | duration_lt
    code: str | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class PredictionRule:
    id: str
    name: str
    regions: frozenset[str]
    threshold: int
    criteria: tuple[Criterion, ...]
    likelihood_ratio: str
    validation: str
    source: str
    validation_sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DoseTemplate:
    text: str
    sets: int | None = None
    seconds_per_set: int | None = None
    repetitions: int | None = None
    frequency_hz: float | None = None
    attempts: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class TechniqueGuide:
    """How a technique is dosed: one template per variant (e.g. pain / stiffness)."""

    technique: str
    doses: dict[str, DoseTemplate]
    caution_advice: str
    source: str


@dataclass(frozen=True, slots=True)
class VisitRule:
    id: str
    conditions: Conditions
    start_back_risk: str | None
    min_visits: int
    max_visits: int
    weeks: int
    reassess_after_visits: int
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    regions: frozenset[str]
    goal: str
    targets: frozenset[str]
    max_irritability: str
    dose: str
    instructions: str
    progression: str
    regression: str
    source: str


@dataclass(frozen=True, slots=True)
class EducationTopic:
    id: str
    title: str
    when: str
    text: str
    source: str
    regions: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Withhold:
    """Techniques that wait for the medical review of a `refer` case (flags None: any flag)."""

    id: str
    flags: frozenset[str] | None
    techniques: frozenset[str]
    source: str
    why: str


@dataclass(frozen=True, slots=True)
class ReasoningParams:
    """Thresholds of the presentation, grading and psychosocial reasoning."""

    acute_max_days: int
    subacute_max_days: int
    stage_source: str
    nprs_high_from: int
    nprs_low_to: int
    irritability_source: str
    grades: dict[str, tuple[str, ...]]
    grades_source: str
    caution_grade_steps: int
    fabq_pa_high_over: int
    fabq_work_high_over: int
    fabq_source: str
    tissue_findings: dict[str, tuple[str, ...]]
    tissue_source: str
    dominance_source: str
    reassess_triggers: tuple[tuple[str, str, str], ...]  # (id, text, source)
    awaiting_review: tuple[str, ...]
    home_program_always: tuple[str, ...]
    awaiting_review_source: str
    refer_withholds: tuple[Withhold, ...]


@dataclass(frozen=True, slots=True, eq=False)
class KnowledgeBase:
    """Everything the engine knows, compiled once at load."""

    version: str
    vocabulary: Vocabulary
    sources: dict[str, Source]
    red_flag_definitions: dict[str, RedFlagDefinition]
    red_flag_rules: tuple[RedFlagRule, ...]
    contraindications: tuple[ContraindicationRule, ...]
    indications: tuple[Indication, ...]
    prediction_rules: tuple[PredictionRule, ...]
    guides: dict[str, TechniqueGuide]
    visit_rules: tuple[VisitRule, ...]
    params: ReasoningParams
    exercises: tuple[Exercise, ...]
    education: tuple[EducationTopic, ...]
    finding_index: dict[str, int] = field(default_factory=dict)
    red_flag_triggers: tuple[tuple[int, RedFlagRule], ...] = ()
    contraindication_triggers: tuple[tuple[int, ContraindicationRule], ...] = ()
    indications_by_region: dict[str, tuple[tuple[int, Indication], ...]] = field(default_factory=dict)
    exercises_by_region: dict[str, tuple[Exercise, ...]] = field(default_factory=dict)
    exercise_by_id: dict[str, Exercise] = field(default_factory=dict)
    measures: dict[str, MeasureDef] = field(default_factory=dict)

    def mask_of(self, codes: frozenset[str]) -> int:
        """Bit mask of a case's findings."""
        index = self.finding_index
        m = 0
        for c in codes:
            m |= 1 << index[c]
        return m


def irritability_at_most(value: str, limit: str) -> bool:
    """True when `value` is no more irritable than `limit`."""
    return IRRITABILITY_ORDER[value] <= IRRITABILITY_ORDER[limit]
