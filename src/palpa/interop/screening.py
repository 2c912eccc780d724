"""Screening only: a case's triage and red flags, exactly as the full assessment gives them."""

from __future__ import annotations

from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Case, RedFlagHit, TriageResult
from palpa.core.screening import restrictions_at, screen_red_flags, triage
from palpa.service import with_note_findings


def screen_case(case: Case, kb: KnowledgeBase) -> tuple[TriageResult, tuple[RedFlagHit, ...]]:
    """Triage and red flags of a decoded case as `assess` gives them (its note read), no plan.

    The level and flags are the assessment's; the triage reasons lack only the assessment's
    "check the note" lines, which never change the level.
    """
    if case.note:
        case = with_note_findings(case, kb)
    mask = kb.mask_of(case.findings)
    flags = screen_red_flags(case, mask, kb)
    return triage(flags, restrictions_at(case, mask, case.region, kb), kb), flags
