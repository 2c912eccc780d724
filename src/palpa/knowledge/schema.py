"""Schemas of the knowledge-base YAML files (msgspec structs; unknown fields are errors)."""

from __future__ import annotations

from typing import Literal

import msgspec

Urgency = Literal["emergency", "urgent", "refer"]
SeverityName = Literal["absolute", "relative", "precaution"]
IrritabilityName = Literal["low", "moderate", "high"]
StageName = Literal["acute", "subacute", "chronic"]


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base: every knowledge struct refuses fields it does not know."""


class ConditionFields(Strict, kw_only=True):
    regions: list[str] | None = None
    onsets: list[str] | None = None
    age_min: int | None = None
    age_max: int | None = None
    duration_min_days: int | None = None
    duration_max_days: int | None = None
    absent: list[str] | None = None


class SourceEntry(Strict, kw_only=True):
    kind: Literal["article", "guideline", "consensus", "book", "review", "website", "synthesis"]
    authors: str
    year: int
    title: str
    published_in: str
    url: str
    verified: bool
    doi: str | None = None
    note: str | None = None
    based_on: list[str] = []


class SourcesFile(Strict):
    version: int
    sources: dict[str, SourceEntry]


class GroupsFile(Strict):
    version: int
    groups: dict[str, list[str]]


class FlagDefinition(Strict):
    name: str
    action: dict[Urgency, str]


class RedFlagRuleEntry(ConditionFields, kw_only=True):
    id: str
    flag: str
    urgency: Urgency
    any_of: list[list[str]]
    source: str
    why: str


class RedFlagsFile(Strict):
    version: int
    flags: dict[str, FlagDefinition]
    rules: list[RedFlagRuleEntry]


class ContraindicationEntry(ConditionFields, kw_only=True):
    id: str
    any_of: list[list[str]] = []
    techniques: dict[str, SeverityName]
    source: str
    why: str
    advice: str
    affects_triage: bool = True


class ContraindicationsFile(Strict):
    version: int
    rules: list[ContraindicationEntry]


class StageParams(Strict):
    acute_max_days: int
    subacute_max_days: int
    source: str


class IrritabilityParams(Strict):
    nprs_high_from: int
    nprs_low_to: int
    source: str


class SourceOnly(Strict):
    source: str


class TissueSources(Strict):
    joint: list[str]
    muscle: list[str]
    nerve: list[str]
    source: str


class PresentationParams(Strict):
    stage: StageParams
    irritability: IrritabilityParams
    dominance: SourceOnly
    tissue_sources: TissueSources


class GradeParams(Strict):
    pain_dominant: list[Literal["I", "II", "III", "IV"]]
    mixed: list[Literal["I", "II", "III", "IV"]]
    stiffness_dominant: list[Literal["I", "II", "III", "IV"]]
    caution_steps: int
    source: str


class FabqParams(Strict):
    pa_high_over: int
    work_high_over: int
    source: str


class PsychosocialParams(Strict):
    fabq: FabqParams


class ReferWithhold(Strict, kw_only=True):
    id: str
    techniques: list[str]
    source: str
    why: str
    flags: list[str] | None = None


class HomeProgramParams(Strict):
    always: list[str]
    source: str


class AwaitingReview(Strict):
    source: str
    items: list[str]


class DoseEntry(Strict, kw_only=True):
    text: str
    source: str
    sets: int | None = None
    seconds_per_set: int | None = None
    repetitions: int | None = None
    frequency_hz: float | None = None
    attempts: int | None = None


class TechniqueEntry(Strict):
    source: str
    caution_advice: str
    doses: dict[str, DoseEntry]


class IndicationEntry(ConditionFields, kw_only=True):
    id: str
    technique: str
    source: str
    why: str
    any_of: list[list[str]] = []
    stages: list[StageName] | None = None
    max_irritability: IrritabilityName | None = None
    min_irritability: IrritabilityName | None = None
    target_region: str | None = None
    requires_positive_rule: str | None = None


class CriterionEntry(Strict, kw_only=True):
    id: str
    text: str
    kind: Literal["finding_present", "finding_absent", "measure_lt", "measure_gt", "duration_lt"]
    code: str | None = None
    threshold: float | None = None


class PredictionRuleEntry(Strict):
    name: str
    regions: list[str]
    threshold: int
    criteria: list[CriterionEntry]
    likelihood_ratio: str
    validation: str
    source: str
    validation_sources: list[str]


class VisitEntry(ConditionFields, kw_only=True):
    id: str
    min_visits: int
    max_visits: int
    weeks: int
    reassess_after_visits: int
    text: str
    source: str
    stages: list[StageName] | None = None
    start_back_risk: Literal["low", "medium", "high"] | None = None


class TriggerEntry(Strict):
    id: str
    text: str
    source: str


class ReasoningFile(Strict):
    version: int
    presentation: PresentationParams
    grades: GradeParams
    psychosocial: PsychosocialParams
    refer_withholds: list[ReferWithhold]
    home_program: HomeProgramParams
    while_awaiting_review: AwaitingReview
    techniques: dict[str, TechniqueEntry]
    indications: list[IndicationEntry]
    prediction_rules: dict[str, PredictionRuleEntry]
    visits: list[VisitEntry]
    reassess_triggers: list[TriggerEntry]


class ExerciseEntry(Strict):
    id: str
    name: str
    regions: list[str]
    goal: Literal["mobility", "motor_control", "strength", "nerve_glide", "endurance"]
    targets: list[Literal["joint", "muscle", "nerve", "general"]]
    max_irritability: IrritabilityName
    dose: str
    instructions: str
    progression: str
    regression: str
    source: str


class ExercisesFile(Strict):
    version: int
    exercises: list[ExerciseEntry]


class EducationEntry(Strict, kw_only=True):
    id: str
    title: str
    when: Literal["always", "manipulation", "fear", "high_risk", "refer", "nerve", "soreness",
                  "chronic", "acute"]
    text: str
    source: str
    regions: list[str] | None = None


class EducationFile(Strict):
    version: int
    topics: list[EducationEntry]


class VocabularyFile(Strict):
    regions: dict[str, str]
    techniques: dict[str, str]
    red_flags: dict[str, str]
    prediction_rules: dict[str, str]
    onsets: dict[str, str]
    findings: dict[str, str]
