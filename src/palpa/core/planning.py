"""The care plan: manual therapy never alone, always with exercise, education and a home program."""

from __future__ import annotations

from functools import cache

from palpa.core.knowledge import Exercise, KnowledgeBase, irritability_at_most
from palpa.core.models import (
    IRRITABILITY_ORDER,
    Case,
    Dominance,
    Irritability,
    Plan,
    PlanItem,
    Presentation,
    Psychosocial,
    Reason,
    RedFlagHit,
    TechniqueAssessment,
    Triage,
    VisitsEstimate,
)

MAX_EXERCISES = 4


@cache
def _reassess_reasons(kb: KnowledgeBase) -> tuple[Reason, ...]:
    """The knowledge base's reassessment triggers as reasons (the same for every plan)."""
    return tuple(Reason(tid, (), source, "reassess", text)
                 for tid, text, source in kb.params.reassess_triggers)


@cache
def _home_line(kb: KnowledgeBase, exercise_id: str) -> str:
    e = kb.exercise_by_id[exercise_id]
    return f"{e.name}: {e.dose}"


def _exercise_score(e: Exercise, presentation: Presentation) -> tuple[int, int]:
    """Rank exercises: matching tissue source first, then the closest irritability fit."""
    overlap = len(e.targets.intersection(presentation.tissue_sources))
    fit = IRRITABILITY_ORDER[e.max_irritability] - IRRITABILITY_ORDER[presentation.irritability]
    if presentation.dominance == "stiffness_dominant":
        return (-overlap, fit)  # the most demanding exercise the presentation allows
    return (-overlap, -fit)     # the gentlest


def choose_exercises(case: Case, presentation: Presentation, kb: KnowledgeBase) -> tuple[str, ...]:
    """Up to four exercises for the region: nerve glide, mobility, motor control, strength."""
    return _exercises_for(kb, case.region, presentation.irritability, presentation.dominance,
                          presentation.tissue_sources)


@cache
def _exercises_for(kb: KnowledgeBase, region: str, irritability: Irritability, dominance: Dominance,
                   tissue_sources: tuple[str, ...]) -> tuple[str, ...]:
    """The choice depends on these alone, so it is made once per combination."""
    presentation = Presentation(irritability, False, dominance, "acute", tissue_sources, ())
    pool = [e for e in kb.exercises_by_region[region]
            if irritability_at_most(irritability, e.max_irritability)]
    goals: list[tuple[str, ...]] = []
    if "nerve" in presentation.tissue_sources:
        goals.append(("nerve_glide",))
    goals.append(("mobility",))
    goals.append(("motor_control",))
    if irritability != "high":
        goals.append(("strength", "endurance"))
    chosen: list[str] = []
    for goal in goals:
        candidates = [e for e in pool if e.goal in goal and e.id not in chosen]
        if goal == ("nerve_glide",):
            kind = "tensioner" if irritability == "low" else "slider"
            preferred = [e for e in candidates if kind in e.id]
            candidates = preferred or candidates
        if candidates:
            candidates.sort(key=lambda e: _exercise_score(e, presentation))
            chosen.append(candidates[0].id)
    if not chosen:  # never leave a plan without exercise: the region's gentlest
        region_pool = sorted(kb.exercises_by_region[region],
                             key=lambda e: -IRRITABILITY_ORDER[e.max_irritability])
        chosen = [e.id for e in region_pool[:1]]
    return tuple(chosen[:MAX_EXERCISES])


def choose_education(region: str, presentation: Presentation, psychosocial: Psychosocial,
                     level: Triage, manual: tuple[PlanItem, ...], kb: KnowledgeBase) -> tuple[str, ...]:
    """Education topics that fit this patient."""
    active = {"always", presentation.stage}
    if manual:
        active.add("soreness")
    if any(m.technique == "joint_manipulation" for m in manual):
        active.add("manipulation")
    if psychosocial.fear_avoidance_high:
        active.add("fear")
    if psychosocial.start_back is not None and psychosocial.start_back.risk == "high":
        active.update({"high_risk", "fear"})
    if level == Triage.REFER:
        active.add("refer")
    if "nerve" in presentation.tissue_sources or any(m.technique == "nerve_mobilization" for m in manual):
        active.add("nerve")
    return tuple(t.id for t in kb.education
                 if t.when in active and (t.regions is None or region in t.regions))


def estimate_visits(case: Case, mask: int, presentation: Presentation, psychosocial: Psychosocial,
                    kb: KnowledgeBase) -> VisitsEstimate:
    """Expected visits and when to reassess: the first visit rule that fits."""
    risk = psychosocial.start_back.risk if psychosocial.start_back else None
    for rule in kb.visit_rules:
        if rule.start_back_risk is not None and rule.start_back_risk != risk:
            continue
        if not rule.conditions.hold(case, mask, case.region, presentation.stage):
            continue
        return VisitsEstimate(rule.min_visits, rule.max_visits, rule.weeks,
                              rule.reassess_after_visits, rule.text, (rule.source,))
    raise LookupError("no visit rule matches; the knowledge base needs a catch-all")


def build_plan(case: Case, mask: int, level: Triage, red_flags: tuple[RedFlagHit, ...],
               techniques: tuple[TechniqueAssessment, ...], presentation: Presentation,
               psychosocial: Psychosocial, kb: KnowledgeBase) -> Plan | None:
    """The care plan; None when the case needs emergency or urgent medical care first."""
    if level >= Triage.URGENT:
        return None
    manual = tuple(
        PlanItem(t.technique, t.region, t.dose, t.reasons, t.grades)
        for t in techniques if t.status == "recommended" and t.dose is not None)
    exercises = choose_exercises(case, presentation, kb)
    education = choose_education(case.region, presentation, psychosocial, level, manual, kb)
    visits = estimate_visits(case, mask, presentation, psychosocial, kb)
    home = (*(_home_line(kb, e) for e in exercises), *kb.params.home_program_always)
    triggers = _reassess_reasons(kb)
    awaiting: tuple[str, ...] = ()
    if level == Triage.REFER:
        flags = ", ".join(kb.red_flag_definitions[f.id].name.lower() for f in red_flags)
        awaiting = (f"Medical review requested for: {flags}.", *kb.params.awaiting_review)
    tissue = " and ".join(presentation.tissue_sources) or "no specific"
    mt = ", ".join(
        m.technique.replace("_", " ")
        + (f" grade {'-'.join((m.grades[0], m.grades[-1]))}" if m.grades else "")
        + (f" ({m.region})" if m.region != case.region else "")
        for m in manual) or "none (exercise and education only)"
    summary = (f"{presentation.dominance.replace('_', '-')} {presentation.stage} {case.region} "
               f"presentation, {presentation.irritability} irritability, {tissue} tissue source. "
               f"Manual therapy: {mt}; with exercise, education and a home program; "
               f"{visits.min_visits}-{visits.max_visits} visits over about {visits.weeks} weeks, "
               f"reassess by visit {visits.reassess_after_visits}.")
    return Plan(summary, manual, exercises, education, home, visits, triggers, awaiting)
