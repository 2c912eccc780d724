"""Use cases shared by the CLI, its workers and the Python API: one way to assess a case.

A case's note is read for findings (palpa.notes); a note can add findings, never remove a
structured one, and each finding says where it came from.
"""

from __future__ import annotations

from dataclasses import replace

from palpa.codec import decode_case
from palpa.core.assess import assess
from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Assessment, Case, FindingSource


def with_note_findings(case: Case, kb: KnowledgeBase) -> Case:
    """The case with the findings its note states as present added, each with its span."""
    index = kb.finding_index
    sources = [FindingSource(code) for code in sorted(case.findings, key=index.__getitem__)]
    if not case.note:
        return replace(case, finding_sources=tuple(sources))
    from palpa.notes import present_findings

    added: list[str] = []
    for m in present_findings(case.note):
        if m.code in case.findings or m.code in added:
            continue
        added.append(m.code)
        sources.append(FindingSource(m.code, "note", (m.start, m.end), m.text))
    return replace(case, findings=case.findings | frozenset(added), finding_sources=tuple(sources))


def assess_json_case(raw: bytes | str, kb: KnowledgeBase, line: int | None = None) -> Assessment:
    """Decode (CaseError naming the field), read the note, and assess one case."""
    return assess(with_note_findings(decode_case(raw, kb, line), kb), kb)
