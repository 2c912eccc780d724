"""Red-flag screening, contraindications and triage: case in, verdicts with reasons out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from palpa.core.knowledge import KnowledgeBase, match_combos
from palpa.core.models import Case, Reason, RedFlagHit, Severity, Triage, TriageResult

SEVERITY_RANK: dict[Severity, int] = {"precaution": 0, "relative": 1, "absolute": 2}


@dataclass(slots=True)
class Restriction:
    """One contraindication rule's verdict on one technique."""

    severity: Severity
    reason: Reason
    advice: str
    affects_triage: bool


Restrictions = dict[str, list[Restriction]]


def screen_red_flags(case: Case, mask: int, kb: KnowledgeBase) -> tuple[RedFlagHit, ...]:
    """Every suspected serious condition, once per id, at its most urgent level."""
    fired: dict[str, list[tuple[Triage, Reason]]] = {}
    for trigger, rule in kb.red_flag_triggers:
        if not trigger & mask and trigger != -1:
            continue
        hit = match_combos(rule.combos, mask)
        if hit is None or not rule.conditions.hold(case, mask, case.region):
            continue
        reason = Reason(rule.id, hit, rule.source, "red_flag", rule.why)
        fired.setdefault(rule.flag, []).append((rule.urgency, reason))
    hits = []
    for flag_id in kb.vocabulary.red_flags:  # vocabulary order keeps output stable
        rules = fired.get(flag_id)
        if not rules:
            continue
        rules.sort(key=lambda r: -r[0])
        urgency, top = rules[0]
        findings: list[str] = []
        for _, reason in rules:
            for code in reason.findings:
                if code not in findings:
                    findings.append(code)
        definition = kb.red_flag_definitions[flag_id]
        hits.append(RedFlagHit(
            id=flag_id, urgency=urgency, findings=tuple(findings), source=top.source,
            rules=tuple(r for _, r in rules), action=definition.action.get(urgency, "")))
    hits.sort(key=lambda h: -h.urgency)
    return tuple(hits)


@cache
def red_flag_codes(kb: KnowledgeBase) -> frozenset[str]:
    """Every finding that takes part in a red-flag rule (new at a visit, it means re-screen)."""
    return frozenset(c for rule in kb.red_flag_rules for combo in rule.combos for c in combo.codes)


def restrictions_at(case: Case, mask: int, region: str, kb: KnowledgeBase) -> Restrictions:
    """Contraindications and precautions that apply to each technique at `region`."""
    out: Restrictions = {}
    for trigger, rule in kb.contraindication_triggers:
        if not trigger & mask and trigger != -1:
            continue
        hit = match_combos(rule.combos, mask)
        if hit is None or not rule.conditions.hold(case, mask, region):
            continue
        for technique, severity in rule.techniques.items():
            reason = Reason(rule.id, hit, rule.source, "contraindication", rule.why, severity)
            out.setdefault(technique, []).append(
                Restriction(severity, reason, rule.advice, rule.affects_triage))
    return out


def worst(restrictions: list[Restriction] | None) -> Severity | None:
    """The most severe restriction on a technique, or None."""
    if not restrictions:
        return None
    top: Severity = restrictions[0].severity
    for r in restrictions:
        if SEVERITY_RANK[r.severity] > SEVERITY_RANK[top]:
            top = r.severity
    return top


def triage(red_flags: tuple[RedFlagHit, ...], restrictions: Restrictions,
           kb: KnowledgeBase) -> TriageResult:
    """The most urgent level that any finding calls for, with a reason for each call."""
    level = Triage.TREAT
    reasons: list[str] = []
    for flag in red_flags:
        level = max(level, flag.urgency)
        name = kb.red_flag_definitions[flag.id].name
        reasons.append(f"{flag.urgency.code}: {name} ({', '.join(flag.findings)}) - {flag.action}")
    precautions = sorted({
        r.reason.rule for rs in restrictions.values() for r in rs if r.affects_triage
    })
    if precautions and level < Triage.TREAT_WITH_PRECAUTIONS:
        level = Triage.TREAT_WITH_PRECAUTIONS
    if precautions and level == Triage.TREAT_WITH_PRECAUTIONS:
        reasons.append("treat_with_precautions: contraindications or precautions apply ("
                       + ", ".join(precautions) + ")")
    if level == Triage.TREAT:
        reasons.append("treat: no red flags and no contraindications found")
    return TriageResult(level, tuple(reasons))
