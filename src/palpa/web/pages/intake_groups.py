"""The intake form's findings, grouped by what they screen for at a region, from the knowledge base.

A finding goes in the first group that uses it at the region: the red flags (in vocabulary order) whose
rules can fire on it there, then the precautions for hands-on treatment (contraindication rules), then
the presentation and examination findings the reasoning reads (indications, prediction rules, tissue
sources). Findings no rule reads at the region are kept in a last, collapsed group, so every code can
still be recorded; that is how cervical-only questions stay out of the way for a low-back complaint.
"""

from __future__ import annotations

from dataclasses import dataclass

from palpa.core.knowledge import Conditions, KnowledgeBase


@dataclass(frozen=True)
class FindingItem:
    """One checkbox: the code, its plain-language definition and the red flags it screens for."""

    code: str
    definition: str
    screens_for: tuple[str, ...]


@dataclass(frozen=True)
class FindingGroup:
    """A fieldset of the intake form."""

    id: str
    title: str
    items: tuple[FindingItem, ...]
    collapsed: bool = False


def _applies(conditions: Conditions, region: str) -> bool:
    return conditions.regions is None or region in conditions.regions


def finding_groups(kb: KnowledgeBase, region: str) -> list[FindingGroup]:
    """The groups of findings to ask about for a complaint at `region` (ValueError for an unknown region)."""
    if region not in kb.vocabulary.regions:
        raise ValueError(f"region: unknown region code {region!r}")
    defs = kb.vocabulary.definitions
    screens: dict[str, list[str]] = {}
    by_flag: dict[str, list[str]] = {}
    for rule in kb.red_flag_rules:
        if not _applies(rule.conditions, region):
            continue
        name = kb.red_flag_definitions[rule.flag].name
        for combo in rule.combos:
            for code in combo.codes:
                by_flag.setdefault(rule.flag, [])
                if code not in by_flag[rule.flag]:
                    by_flag[rule.flag].append(code)
                if name not in screens.setdefault(code, []):
                    screens[code].append(name)
    placed: set[str] = set()
    groups: list[FindingGroup] = []

    def add(group_id: str, title: str, codes: list[str], collapsed: bool = False) -> None:
        fresh = [c for c in codes if c not in placed]
        placed.update(fresh)
        if fresh:
            items = tuple(FindingItem(c, defs.get(c, ""), tuple(screens.get(c, ()))) for c in fresh)
            groups.append(FindingGroup(group_id, title, items, collapsed))

    for flag in kb.vocabulary.red_flags:
        if flag in by_flag:
            add(f"flag-{flag}", f"Screening: {kb.red_flag_definitions[flag].name}", by_flag[flag])
    precautions = [c for rule in kb.contraindications if _applies(rule.conditions, region)
                   for combo in rule.combos for c in combo.codes]
    add("precautions", "Precautions for hands-on treatment", list(dict.fromkeys(precautions)))
    presentation: list[str] = []
    for _, ind in kb.indications_by_region.get(region, ()):
        presentation.extend(c for combo in ind.combos for c in combo.codes)
    for prediction in kb.prediction_rules:
        if region in prediction.regions:
            presentation.extend(c.code for c in prediction.criteria if c.code and c.code in kb.finding_index)
    for codes in kb.params.tissue_findings.values():
        presentation.extend(codes)
    order = kb.finding_index
    add("presentation", "Presentation and examination",
        sorted(dict.fromkeys(presentation), key=order.__getitem__))
    add("other", "Other findings (not usually asked for this region)",
        [c for c in kb.vocabulary.findings if c not in placed], collapsed=True)
    return groups
