"""Severity, irritability and nature: stage, dominance and likely tissue source of a case."""

from __future__ import annotations

from palpa.core.knowledge import KnowledgeBase, ReasoningParams
from palpa.core.models import Case, Dominance, Irritability, Presentation, Reason, Stage


def stage_of(duration_days: int, params: ReasoningParams) -> Stage:
    """Acute, subacute or chronic from the episode's duration."""
    if duration_days <= params.acute_max_days:
        return "acute"
    if duration_days <= params.subacute_max_days:
        return "subacute"
    return "chronic"


def irritability_of(case: Case, params: ReasoningParams) -> tuple[Irritability, bool]:
    """The case's irritability, inferred from current pain when not given (value, inferred?)."""
    if case.irritability is not None:
        return case.irritability, False
    nprs = case.pain_nprs
    if nprs is None:
        return "moderate", True
    if nprs >= params.nprs_high_from:
        return "high", True
    if nprs <= params.nprs_low_to:
        return "low", True
    return "moderate", True


def dominance_of(case: Case, irritability: Irritability, stage: Stage) -> tuple[Dominance, str]:
    """Pain- or stiffness-dominant (or mixed), and why."""
    pain_first = case.has("pain_before_resistance")
    resistance_first = case.has("resistance_before_pain")
    if irritability == "high":
        return "pain_dominant", "high irritability"
    if pain_first and resistance_first:
        return "mixed", "pain and resistance both reported first"
    if pain_first:
        return "pain_dominant", "pain is felt before resistance"
    if resistance_first:
        return "stiffness_dominant", "resistance is met before pain"
    if stage == "acute":
        return "pain_dominant", "acute presentation without passive-movement findings"
    if irritability == "low" and stage == "chronic":
        return "stiffness_dominant", "low irritability and chronic"
    return "mixed", f"{irritability} irritability, {stage}"


def assess_presentation(case: Case, kb: KnowledgeBase) -> Presentation:
    """Summarise the presentation that guides technique choice and dose."""
    p = kb.params
    stage = stage_of(case.duration_days, p)
    irritability, inferred = irritability_of(case, p)
    dominance, why = dominance_of(case, irritability, stage)
    sources: list[str] = []
    reasons = [
        Reason("stage", (), p.stage_source, "presentation",
               f"{stage}: episode of {case.duration_days} days"),
        Reason("irritability", (), p.irritability_source, "presentation",
               f"{irritability} irritability"
               + (f" (inferred from pain {case.pain_nprs}/10)" if inferred and case.pain_nprs is not None
                  else " (not given; assumed moderate)" if inferred else "")),
        Reason("dominance", tuple(c for c in ("pain_before_resistance", "resistance_before_pain")
                                  if case.has(c)),
               p.dominance_source, "presentation", f"{dominance.replace('_', ' ')}: {why}"),
    ]
    for tissue, codes in p.tissue_findings.items():
        present = tuple(c for c in codes if c in case.findings)
        if present:
            sources.append(tissue)
            reasons.append(Reason(f"tissue_{tissue}", present, p.tissue_source, "presentation",
                                  f"likely {tissue} source"))
    return Presentation(irritability, inferred, dominance, stage, tuple(sources), tuple(reasons))
