"""Use cases shared by the CLI, its workers and the Python API: one way to assess a case.

A case's note is read for findings (palpa.notes); a note can add findings, never remove a
structured one, and each finding says where it came from. Mentions read as negated, family,
hypothetical or historical are kept beside the findings so the clinician can check them.
"""

from __future__ import annotations

from dataclasses import replace

from palpa.codec import decode_case
from palpa.core.assess import assess
from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Assessment, Case, FindingSource, NoteMention


def with_note_findings(case: Case, kb: KnowledgeBase) -> Case:
    """The case with the findings its note states as present added, each with its span."""
    index = kb.finding_index
    sources = [FindingSource(code) for code in sorted(case.findings, key=index.__getitem__)]
    if not case.note:
        return replace(case, finding_sources=tuple(sources))
    from palpa.notes import extract

    added: list[str] = []
    others: list[NoteMention] = []
    for m in extract(case.note):
        if m.status != "present":
            others.append(NoteMention(m.code, m.status, (m.start, m.end), m.text, m.cue))
        elif m.code not in case.findings and m.code not in added:
            added.append(m.code)
            sources.append(FindingSource(m.code, "note", (m.start, m.end), m.text))
    present = case.findings | frozenset(added)
    return replace(case, findings=present, finding_sources=tuple(sources),
                   note_mentions=tuple(m for m in others if m.code not in present))


def assess_json_case(raw: bytes | str, kb: KnowledgeBase, line: int | None = None) -> Assessment:
    """Decode (CaseError naming the field), read the note, and assess one case."""
    return assess(with_note_findings(decode_case(raw, kb, line), kb), kb)
