"""Use cases shared by the CLI, the web app and the Python API: one way to assess a case, one way
to turn a stored episode into the core Episode its report is built from.

A case's note is read for findings (palpa.notes); a note can add findings, never remove a
structured one, and each finding says where it came from. Mentions read as negated, family,
hypothetical or historical are kept beside the findings so the clinician can check them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from palpa.codec import decode_case
from palpa.core.assess import assess
from palpa.core.episode import Episode
from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Assessment, Case, FindingSource, NoteMention

if TYPE_CHECKING:
    from palpa.store import UnitOfWork


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


SCORE_KEYS = ("score", "total")
"""Where a stored measure result keeps its number: {"score": 42} (or {"total": 42})."""


def stored_episode(uow: UnitOfWork, clinic_id: int, episode_id: int, kb: KnowledgeBase) -> Episode:
    """The clinic's stored episode with its visits and measure results as a core Episode.

    NotFoundError if the episode is not the clinic's; ValueError naming the record and field that
    cannot be used (a record is never left out silently).
    """
    from palpa.knowledge.episode_loader import decode_episode
    from palpa.store import NotFoundError

    row = uow.episodes.get(clinic_id, episode_id)
    if row is None:
        raise NotFoundError("episode", episode_id)
    visits = uow.visits.list_for_episode(clinic_id, episode_id)
    results = uow.measures.list_for_episode(clinic_id, episode_id)
    assessments = uow.assessments.list_for_episode(clinic_id, episode_id)
    measures: list[dict[str, Any]] = []
    for m in results:
        score = next((m.score[k] for k in SCORE_KEYS if k in m.score), None)
        where = f"measure result {m.id} ({m.measure_id})"
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ValueError(f"{where}: score must hold a number under 'score', e.g. {{\"score\": 42}}")
        if m.visit_number is None:
            raise ValueError(f"{where}: visit_number is needed to place it in the episode")
        measures.append({"measure": m.measure_id, "date": m.date.isoformat(), "score": score,
                         "visit": m.visit_number})
    doc = {
        "id": f"episode-{row.id}", "patient_ref": f"patient-{row.patient_id}", "region": row.region,
        "start": row.start_date.isoformat(), "intake": _intake(assessments),
        "visits": [v.data | {"number": v.number, "date": v.date.isoformat()} for v in visits],
        "measures": measures,
    }
    try:
        return decode_episode(doc, kb, name=f"episode {row.id}")
    except ValueError as exc:
        ids = [v.id for v in visits]
        raise ValueError(re.sub(r"visits\[(\d+)\]", lambda g: f"visit record {ids[int(g[1])]}",
                                str(exc))) from None


def _intake(assessments: list[Any]) -> dict[str, Any]:
    """The intake summary: the first stored assessment's note or triage, else a plain statement."""
    if not assessments:
        return {"summary": "No intake assessment stored for this episode."}
    first = assessments[0]
    case, result = first.case or {}, first.assessment or {}
    level = (result.get("triage") or {}).get("level")
    text = case.get("note") or (f"Intake assessment: triage {level}." if level else "Intake assessment.")
    return {"summary": text, "assessment_ref": f"assessment:{first.id}"}
