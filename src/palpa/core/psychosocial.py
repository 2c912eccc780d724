"""Psychosocial screening that shapes the plan: STarT Back risk and fear-avoidance."""

from __future__ import annotations

from palpa.core.knowledge import KnowledgeBase
from palpa.core.measures import score
from palpa.core.models import Case, Psychosocial, Reason, StartBackResult


def start_back(items: tuple[int, ...], kb: KnowledgeBase) -> StartBackResult:
    """Score the 9 STarT Back answers (0/1) by the measure's definition: total, subscale, risk."""
    measure = kb.measures["startback"]
    result = score(measure, items)
    if result.risk is None or result.score is None or measure.risk is None:
        raise ValueError("STarT Back definition must give a total and a risk group")
    psych = int(result.subscores[measure.risk.subscale])
    return StartBackResult(int(result.score), psych, result.risk, measure.source)


def screen_psychosocial(case: Case, kb: KnowledgeBase) -> Psychosocial:
    """STarT Back (when answered) and whether fear-avoidance is high enough to change the plan."""
    p = kb.params
    reasons: list[Reason] = []
    sb = None
    if case.measures.start_back_items is not None:
        sb = start_back(case.measures.start_back_items, kb)
        reasons.append(Reason("start_back", (), sb.source, "psychosocial",
                              f"STarT Back {sb.risk} risk (total {sb.total}/9, "
                              f"psychosocial {sb.psychosocial}/5)"))
    fear = False
    if case.has("fear_of_movement"):
        fear = True
        reasons.append(Reason("fear_of_movement", ("fear_of_movement",), p.fabq_source,
                              "psychosocial", "patient reports fear that movement will cause harm"))
    pa, work = case.measures.fabq_pa, case.measures.fabq_work
    if pa is not None and pa > p.fabq_pa_high_over:
        fear = True
        reasons.append(Reason("fabq_pa_high", (), p.fabq_source, "psychosocial",
                              f"FABQ physical activity {pa} > {p.fabq_pa_high_over}"))
    if work is not None and work > p.fabq_work_high_over:
        fear = True
        reasons.append(Reason("fabq_work_high", (), p.fabq_source, "psychosocial",
                              f"FABQ work {work} > {p.fabq_work_high_over}: return-to-work risk"))
    return Psychosocial(sb, fear, tuple(reasons))
