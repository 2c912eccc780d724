"""The assessment use case: screen, triage, reason and plan for one case. Pure; no I/O."""

from __future__ import annotations

from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Assessment, Case, FindingSource, TriageResult
from palpa.core.planning import build_plan
from palpa.core.prediction_rules import evaluate_prediction_rules
from palpa.core.presentation import assess_presentation
from palpa.core.psychosocial import screen_psychosocial
from palpa.core.screening import red_flag_codes, restrictions_at, screen_red_flags, triage
from palpa.core.techniques import assess_techniques


def assess(case: Case, kb: KnowledgeBase) -> Assessment:
    """Assess a validated case against the knowledge base."""
    mask = kb.mask_of(case.findings)
    red_flags = screen_red_flags(case, mask, kb)
    restrictions = restrictions_at(case, mask, case.region, kb)
    result = triage(red_flags, restrictions, kb)
    presentation = assess_presentation(case, kb)
    rules = evaluate_prediction_rules(case, kb)
    psychosocial = screen_psychosocial(case, kb)
    techniques = assess_techniques(case, mask, kb, result.level, red_flags, restrictions,
                                   presentation, rules)
    plan = build_plan(case, mask, result.level, red_flags, techniques, presentation, psychosocial, kb)
    findings = case.finding_sources or tuple(
        FindingSource(code) for code in sorted(case.findings, key=kb.finding_index.__getitem__))
    flagged = red_flag_codes(kb)
    checks = tuple(
        f"check the note: {m.text!r} ({m.code}) was read as {m.status}"
        + (f" (cue {m.cue!r})" if m.cue else "") + "; it is not counted as a finding"
        for m in case.note_mentions if m.code in flagged and m.code not in case.findings)
    if checks:
        result = TriageResult(result.level, result.reasons + checks)
    return Assessment(case.id, kb.version, result, findings, red_flags, techniques, rules,
                      presentation, psychosocial, plan, case.note_mentions)

