"""Technique status per region: contraindicated, caution, recommended or suitable, with grade and dose.

A technique is recommended when an indication in the knowledge base matches and nothing
contraindicates it. Thrust is never recommended under any caution, without the patient's
agreement, or at high irritability. A caution lowers the mobilization grade one step.
"""

from __future__ import annotations

from functools import cache

from palpa.core.knowledge import Indication, KnowledgeBase, match_combos
from palpa.core.models import (
    GRADES,
    IRRITABILITY_ORDER,
    Case,
    Dose,
    PredictionRuleResult,
    Presentation,
    Reason,
    RedFlagHit,
    TechniqueAssessment,
    Triage,
)
from palpa.core.screening import Restriction, Restrictions, restrictions_at, worst

THRUST = "joint_manipulation"
MOBILIZATION = "joint_mobilization"
NERVE = "nerve_mobilization"


def lower_grades(grades: tuple[str, ...], steps: int) -> tuple[str, ...]:
    """Shift grades down `steps` steps, never below I-II (e.g. III-IV -> II-III)."""
    if steps <= 0:
        return grades
    low = GRADES.index(grades[0])
    high = GRADES.index(grades[-1])
    shift = min(steps, low)
    if shift == 0:
        high = min(high, 1)
        return GRADES[low:high + 1]
    return GRADES[low - shift:high - shift + 1]


def _indication_matches(ind: Indication, case: Case, mask: int, presentation: Presentation,
                        rules: dict[str, PredictionRuleResult]) -> tuple[str, ...] | None:
    """The findings that fire an indication, or None when it does not apply."""
    if ind.requires_positive_rule is not None:
        rule = rules.get(ind.requires_positive_rule)
        if rule is None or not rule.positive:
            return None
    if ind.min_irritability is not None and (
            IRRITABILITY_ORDER[presentation.irritability] < IRRITABILITY_ORDER[ind.min_irritability]):
        return None
    if not ind.conditions.hold(case, mask, case.region, presentation.stage,
                               presentation.irritability):
        return None
    return match_combos(ind.combos, mask)


def _dose(technique: str, grades: tuple[str, ...] | None, case: Case, presentation: Presentation,
          cautions: list[Restriction], kb: KnowledgeBase) -> Dose:
    """The dose template for the technique's variant, modified by any cautions."""
    guide = kb.guides[technique]
    if technique == MOBILIZATION and grades:
        top = GRADES.index(grades[-1])
        variant = "pain" if top <= 1 else "mixed" if top == 2 else "stiffness"
    elif technique == NERVE:
        irritable = presentation.irritability != "low" or bool(cautions)
        variant = "slider" if irritable or "tensioner" not in guide.doses else "tensioner"
    else:
        variant = next(iter(guide.doses))
    advice = tuple(dict.fromkeys(r.advice for r in cautions))
    return _dose_for(kb, technique, variant, advice)


@cache
def _dose_for(kb: KnowledgeBase, technique: str, variant: str, advice: tuple[str, ...]) -> Dose:
    """Doses recur across cases: build each (technique, variant, advice) once; never mutated."""
    guide = kb.guides[technique]
    t = guide.doses[variant]
    text = t.text
    if advice:
        text = f"{text}. Modified: {guide.caution_advice} {' '.join(advice)}"
    return Dose(text, t.sets, t.seconds_per_set, t.repetitions, t.frequency_hz, t.attempts, variant)


def assess_techniques(case: Case, mask: int, kb: KnowledgeBase, level: Triage,
                      red_flags: tuple[RedFlagHit, ...], restrictions: Restrictions,
                      presentation: Presentation,
                      rules: tuple[PredictionRuleResult, ...]) -> tuple[TechniqueAssessment, ...]:
    """One entry per vocabulary technique at the case's region, plus entries the plan aims elsewhere."""
    region = case.region
    techniques = kb.vocabulary.techniques
    if level >= Triage.URGENT:
        stop = tuple(
            Reason(f"triage_{level.code}", f.findings, f.source, "triage",
                   f"{f.id}: {kb.red_flag_definitions[f.id].name}; no manual therapy before medical care")
            for f in red_flags if f.urgency >= Triage.URGENT)
        return tuple(
            TechniqueAssessment(t, region, "contraindicated",
                                stop + tuple(r.reason for r in restrictions.get(t, ())))
            for t in techniques)

    params = kb.params
    rule_map = {r.id: r for r in rules}
    withheld: dict[str, Reason] = {}
    if level == Triage.REFER:
        flag_ids = {f.id for f in red_flags}
        for w in params.refer_withholds:
            if w.flags is not None and not w.flags & flag_ids:
                continue
            findings = tuple(c for f in red_flags if w.flags is None or f.id in w.flags
                             for c in f.findings)
            for t in w.techniques:
                withheld.setdefault(t, Reason(w.id, findings, w.source, "triage", w.why, "relative"))

    # candidate indications per (technique, region)
    chosen: dict[tuple[str, str], list[Reason]] = {}
    for trigger, ind in kb.indications_by_region[region]:
        if not trigger & mask and trigger != -1:
            continue
        fired = _indication_matches(ind, case, mask, presentation, rule_map)
        if fired is None:
            continue
        target = ind.target_region or region
        chosen.setdefault((ind.technique, target), []).append(
            Reason(ind.id, fired, ind.source, "indication", ind.why))

    other_regions: dict[str, Restrictions] = {}
    entries: list[TechniqueAssessment] = []
    extra: list[TechniqueAssessment] = []
    base_grades = params.grades[presentation.dominance]

    for technique in techniques:
        rs = restrictions.get(technique)
        waiting = withheld.get(technique)
        if rs is None and waiting is None and (technique, region) not in chosen:
            entries.append(TechniqueAssessment(technique, region, "suitable", ()))
            continue
        rs = rs or []
        severity = worst(rs)
        reasons = [r.reason for r in rs]
        cautions = [r for r in rs if r.severity != "absolute"]
        if waiting is not None and severity != "absolute":
            reasons.append(waiting)
            severity = severity or "relative"
        indicated = None if waiting is not None else chosen.get((technique, region))
        if severity == "absolute":
            entries.append(TechniqueAssessment(technique, region, "contraindicated", tuple(reasons)))
        elif indicated and not (technique == THRUST and (severity is not None
                                                         or presentation.irritability == "high")):
            grades = None
            if technique == MOBILIZATION:
                grades = lower_grades(base_grades, params.caution_grade_steps if cautions else 0)
            dose = _dose(technique, grades, case, presentation, cautions, kb)
            entries.append(TechniqueAssessment(technique, region, "recommended",
                                               tuple(indicated) + tuple(reasons), grades, dose))
        elif severity is not None:
            entries.append(TechniqueAssessment(technique, region, "caution", tuple(reasons)))
        else:
            entries.append(TechniqueAssessment(technique, region, "suitable", tuple(reasons)))

    # a technique aimed at another region for this complaint (thoracic thrust for neck pain):
    # only where nothing restricts it at the complaint's region or at the target region
    restricted_here = {e.technique for e in entries if e.status in ("contraindicated", "caution")}
    for (technique, target), why in chosen.items():
        if target == region or technique in restricted_here:
            continue
        if technique == THRUST and presentation.irritability == "high":
            continue
        if target not in other_regions:
            other_regions[target] = restrictions_at(case, mask, target, kb)
        if worst(other_regions[target].get(technique)) is not None:
            continue
        dose = _dose(technique, None, case, presentation, [], kb)
        extra.append(TechniqueAssessment(technique, target, "recommended", tuple(why), None, dose))
    return (*entries, *extra)
