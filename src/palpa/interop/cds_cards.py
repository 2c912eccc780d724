"""CDS Hooks 2.0 cards from an assessment: red flags, triage, STarT Back and technique safety.

Every card has a `uuid`, a one-sentence `summary` under 140 characters, an `indicator`
(info < warning < critical) and a `source` naming the citation of the rule behind it
(label: the source's short title; url; topic: the rule as a Coding). Pure; no I/O.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from palpa.core.knowledge import KnowledgeBase, Source
from palpa.core.models import Assessment, Reason, TechniqueAssessment, Triage
from palpa.interop.cds_settings import CardSettings

Card = dict[str, Any]
SUMMARY_MAX = 139  # the spec asks for fewer than 140 characters
_INITIALS = re.compile(r"^[A-Z]{1,3}$")


def summary_text(text: str) -> str:
    """`text` on one line, cut at a word with an ellipsis to fit under 140 characters."""
    text = " ".join(text.split())
    if len(text) <= SUMMARY_MAX:
        return text
    cut = text[:SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


def short_title(source: Source) -> str:
    """A short citation label: 'Finucane et al. 2020', 'Cook 2012', 'World Health Organization 2005'."""
    authors = source.authors.strip()
    first = authors.split(",")[0].strip()
    words = first.split()
    if len(words) > 1 and _INITIALS.match(words[-1]):
        first = " ".join(words[:-1])
    several = "," in authors or "et al" in authors
    return f"{first}{' et al.' if several else ''} {source.year}"


def technique_name(code: str) -> str:
    """A vocabulary technique code as words: 'joint_manipulation' -> 'Joint manipulation'."""
    words = code.replace("_", " ")
    return words.upper() if code == "iastm" else words[0].upper() + words[1:]


def card_source(kb: KnowledgeBase, settings: CardSettings, source_key: str, rule: str,
                rule_display: str) -> dict[str, Any]:
    """The card `source`: the cited source's short title and url, the rule as its topic."""
    src = kb.sources[source_key]
    out: dict[str, Any] = {"label": short_title(src)}
    if src.url:
        out["url"] = src.url
    out["topic"] = {"system": settings.systems.rule, "code": rule, "display": rule_display}
    return out


def make_card(summary: str, indicator: str, source: Mapping[str, Any], detail: str | None = None,
              **extra: Any) -> Card:
    """One card with a fresh uuid; optional fields are left out when empty (the spec forbids empty)."""
    card: Card = {"uuid": str(uuid.uuid4()), "summary": summary_text(summary), "indicator": indicator,
                  "source": dict(source)}
    if detail:
        card["detail"] = detail
    card.update({k: v for k, v in extra.items() if v})
    return card


def _citation(kb: KnowledgeBase, key: str) -> str:
    return f"{kb.sources[key].citation()} {kb.sources[key].url}".strip()


def _findings(kb: KnowledgeBase, codes: Sequence[str]) -> str:
    defs = kb.vocabulary.definitions
    return "; ".join(f"{c} ({defs[c]})" if c in defs else c for c in codes)


def red_flag_cards(a: Assessment, kb: KnowledgeBase, settings: CardSettings) -> list[Card]:
    """One card per suspected serious condition: critical for emergency/urgent, warning for refer."""
    cards = []
    for flag in a.red_flags:
        definition = kb.red_flag_definitions[flag.id]
        top = flag.rules[0]
        detail = "\n".join([
            f"**{definition.name}** — {flag.urgency.code}.", "",
            f"**What to do:** {flag.action}", "",
            f"**Findings:** {_findings(kb, flag.findings)}", "",
            *(f"- {r.rule}: {r.text}" for r in flag.rules), "",
            f"Source: {_citation(kb, flag.source)}"])
        cards.append(make_card(
            f"{definition.name} ({flag.urgency.code}): {flag.action}",
            settings.indicator[flag.urgency.code],
            card_source(kb, settings, flag.source, top.rule, definition.name), detail))
    return cards


def _triage_rule(a: Assessment) -> Reason | None:
    """The rule that set the triage level: the most urgent red flag's, else a contraindication's."""
    if a.red_flags:
        return a.red_flags[0].rules[0]
    if a.triage.level == Triage.TREAT_WITH_PRECAUTIONS:
        for t in a.techniques:
            for r in t.reasons:
                if r.kind == "contraindication":
                    return r
    return None


def triage_card(a: Assessment, kb: KnowledgeBase, settings: CardSettings,
                notes: Sequence[str] = ()) -> Card:
    """The triage level with what to do, its reasons, and anything the import could not read."""
    level = a.triage.level.code
    text = settings.triage[level]
    rule = _triage_rule(a)
    if rule is None:
        source = card_source(kb, settings, settings.screen_source, "screen", "Red-flag screen")
    else:
        source = card_source(kb, settings, rule.source, rule.rule, rule.text)
    lines = [f"**Palpa triage: {text.label}** — {text.todo}.", "", *(f"- {r}" for r in a.triage.reasons)]
    if notes:
        lines += ["", "**Not read from the record:**", *(f"- {n}" for n in notes)]
    lines += ["", f"Knowledge base {a.knowledge_version}. Palpa supports the clinician's decision; "
              "it does not diagnose."]
    return make_card(f"Palpa triage: {text.label} - {text.todo}", settings.indicator[level], source,
                     "\n".join(lines))


def start_back_card(a: Assessment, kb: KnowledgeBase, settings: CardSettings) -> Card | None:
    """STarT Back risk group when the nine answers are present, else None."""
    sb = a.psychosocial.start_back if a.psychosocial else None
    if sb is None:
        return None
    sbs = settings.start_back
    detail = (f"STarT Back total {sb.total}/9, psychosocial subscale {sb.psychosocial}/5: "
              f"**{sb.risk} risk**, {sbs.todo[sb.risk]}.\n\nSource: {_citation(kb, sb.source)}")
    return make_card(f"STarT Back {sb.risk} risk ({sb.total}/9, psychosocial {sb.psychosocial}/5): "
                     f"{sbs.todo[sb.risk]}", sbs.indicator[sb.risk],
                     card_source(kb, settings, sbs.source, "start_back", "STarT Back Screening Tool"),
                     detail)


def _worst_reason(t: TechniqueAssessment) -> Reason:
    """The reason that weighs most: a triage stop, then absolute, relative, precaution."""
    return max(t.reasons, key=_rank)


def safer_technique(a: Assessment, technique: str, region: str, settings: CardSettings) -> str | None:
    """The first alternative the assessment recommends at `region`, else the first it rates suitable."""
    status = {t.technique: t.status for t in a.techniques if t.region == region}
    options = settings.alternatives.by_technique.get(technique, [])
    for wanted in ("recommended", "suitable"):
        for option in options:
            if status.get(option) == wanted:
                return option
    return None


def technique_card(a: Assessment, t: TechniqueAssessment, order: Mapping[str, Any], kb: KnowledgeBase,
                   settings: CardSettings, recode: Callable[[Mapping[str, Any], str], dict[str, Any] | None],
                   ) -> Card | None:
    """A critical (contraindicated) or warning (caution) card on an ordered technique, else None.

    `recode(order, technique)` returns the draft order coded for another technique (None when
    Palpa has no code for it); the card suggests that safer order, or removing the draft.
    """
    if t.status not in ("contraindicated", "caution") or not t.reasons:
        return None
    indicator = "critical" if t.status == "contraindicated" else "warning"
    name = technique_name(t.technique)
    top = _worst_reason(t)
    verdict = "contraindicated" if t.status == "contraindicated" else "to be used with caution"
    lines = [f"**{name}** ({t.region.replace('_', ' ')} region) is {verdict} for this patient.", ""]
    for r in t.reasons:
        severity = f" ({r.severity})" if r.severity else ""
        found = f" Findings: {', '.join(r.findings)}." if r.findings else ""
        lines.append(f"- {r.rule}{severity}: {r.text}{found} Source: {short_title(kb.sources[r.source])}.")
    order_ref = f"{order.get('resourceType', 'ServiceRequest')}/{order['id']}" if order.get("id") else None
    alternative = safer_technique(a, t.technique, t.region, settings)
    suggestion: dict[str, Any] | None = None
    if alternative is not None:
        recoded = recode(order, alternative)
        if recoded is not None:
            alt_name = technique_name(alternative).lower()
            lines += ["", f"Palpa rates {alt_name} {_status_of(a, alternative, t.region)} for this patient "
                      f"(alternatives: {short_title(kb.sources[settings.alternatives.source])})."]
            suggestion = {"label": summary_text(f"Order {alt_name} instead"), "uuid": str(uuid.uuid4()),
                          "isRecommended": True,
                          "actions": [{"type": "update",
                                       "description": f"Change the draft order to {alt_name}",
                                       "resource": recoded}]}
    if suggestion is None and order_ref is not None and t.status == "contraindicated":
        suggestion = {"label": f"Remove the {name.lower()} order", "uuid": str(uuid.uuid4()),
                      "actions": [{"type": "delete", "description": f"Remove the draft {name.lower()} order",
                                   "resourceId": order_ref}]}
    reasons = [{"system": settings.systems.override_reason, "code": o.code, "display": o.display}
               for o in settings.override_reasons]
    return make_card(
        f"{name} {verdict}: {top.text}", indicator,
        card_source(kb, settings, top.source, top.rule, top.text), "\n".join(lines),
        suggestions=[suggestion] if suggestion else None,
        selectionBehavior="at-most-one" if suggestion else None,
        overrideReasons=reasons)


def _status_of(a: Assessment, technique: str, region: str) -> str:
    return next((t.status for t in a.techniques if t.technique == technique and t.region == region), "")


def general_order_card(entries: Sequence[TechniqueAssessment], kb: KnowledgeBase,
                       settings: CardSettings) -> Card | None:
    """One card for an order that names several techniques (e.g. CPT 97140): those restricted, else None."""
    restricted = [t for t in entries if t.status in ("contraindicated", "caution") and t.reasons]
    if not restricted:
        return None
    banned = [t for t in restricted if t.status == "contraindicated"]
    indicator = "critical" if banned else "warning"
    worst = max(restricted, key=lambda t: (t.status == "contraindicated", _rank(_worst_reason(t))))
    top = _worst_reason(worst)
    names = ", ".join(technique_name(t.technique).lower() for t in (banned or restricted))
    verdict = "contraindicated" if banned else "to be used with caution"
    lines = ["The order names manual therapy without saying which technique. For this patient:", ""]
    for t in restricted:
        why = "; ".join(f"{r.rule} ({r.severity or 'triage'}): {r.text}" for r in t.reasons)
        lines.append(f"- **{technique_name(t.technique)}** is {t.status}: {why}")
    reasons = [{"system": settings.systems.override_reason, "code": o.code, "display": o.display}
               for o in settings.override_reasons]
    return make_card(f"Manual therapy order: {names} {verdict} for this patient", indicator,
                     card_source(kb, settings, top.source, top.rule, top.text), "\n".join(lines),
                     overrideReasons=reasons)


def _rank(r: Reason) -> int:
    return 3 if r.severity is None else {"absolute": 2, "relative": 1, "precaution": 0}[r.severity]
