"""Clinical prediction rules: criteria met, total and positive; they inform, never gate."""

from __future__ import annotations

from palpa.core.knowledge import Criterion, KnowledgeBase
from palpa.core.models import Case, CriterionResult, PredictionRuleResult


def _judge(criterion: Criterion, case: Case) -> tuple[bool, bool]:
    """(met, judged): a criterion that cannot be judged from the case counts as not met."""
    kind = criterion.kind
    if kind == "finding_present":
        return case.has(criterion.code or ""), True
    if kind == "finding_absent":  # an absent code means not present
        return not case.has(criterion.code or ""), True
    if kind == "duration_lt":
        return case.duration_days < (criterion.threshold or 0), True
    value = case.measures.get(criterion.code or "")
    if value is None:
        return False, False
    threshold = criterion.threshold or 0.0
    if kind == "measure_lt":
        return value < threshold, True
    return value > threshold, True


def evaluate_prediction_rules(case: Case, kb: KnowledgeBase) -> tuple[PredictionRuleResult, ...]:
    """Every prediction rule that applies to the case's region."""
    results = []
    for rule in kb.prediction_rules:
        if case.region not in rule.regions:
            continue
        criteria = []
        for c in rule.criteria:
            met, judged = _judge(c, case)
            criteria.append(CriterionResult(c.id, c.text, met, judged))
        met_count = sum(c.met for c in criteria)
        results.append(PredictionRuleResult(
            id=rule.id, name=rule.name, criteria_met=met_count, criteria_total=len(criteria),
            positive=met_count >= rule.threshold, threshold=rule.threshold,
            criteria=tuple(criteria), likelihood_ratio=rule.likelihood_ratio,
            validation=rule.validation, source=rule.source,
            validation_sources=rule.validation_sources))
    return tuple(results)
