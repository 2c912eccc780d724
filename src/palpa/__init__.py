"""Palpa: deterministic, explainable decision support for manual therapy.

Screen -> reason -> plan. Palpa supports the clinician; it does not diagnose.
"""

from __future__ import annotations

from typing import Any

from palpa.codec import CaseError, assessment_to_dict, decode_case
from palpa.core.assess import assess
from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Assessment, Case, Triage
from palpa.knowledge.loader import KnowledgeError, load_knowledge

__all__ = [
    "Assessment", "Case", "CaseError", "KnowledgeBase", "KnowledgeError", "Triage", "assess",
    "assess_json", "assessment_to_dict", "decode_case", "load_knowledge",
]


def assess_json(raw: bytes | str) -> dict[str, Any]:
    """Assess one contract case given as JSON (its note read too); returns JSON-ready values."""
    from palpa.service import assess_json_case

    kb = load_knowledge()
    return assessment_to_dict(assess_json_case(raw, kb), kb)
