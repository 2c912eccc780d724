"""The assessment contract's JSON: decode a case strictly, encode an assessment.

Decoding refuses anything the contract does not allow and says which case and which
field; nothing a user entered is dropped. Encoding writes the checked fields exactly as
the contract names them, plus Palpa's explanations and the plan.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

import msgspec
import orjson

from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import (
    Assessment,
    Case,
    Dose,
    Measures,
    Plan,
    PredictionRuleResult,
    Reason,
    TechniqueAssessment,
)

UNSET = msgspec.UNSET


class CaseError(ValueError):
    """A case that breaks the contract; the message names the case or line and the field."""

    def __init__(self, message: str, case_id: str | None = None, line: int | None = None) -> None:
        self.case_id, self.line, self.problem = case_id, line, message
        where = []
        if line is not None:
            where.append(f"line {line}")
        if case_id is not None:
            where.append(f"case {case_id!r}")
        super().__init__((", ".join(where) + ": " if where else "") + message)


class MeasuresIn(msgspec.Struct, forbid_unknown_fields=True):
    fabq_work: Annotated[int, msgspec.Meta(ge=0, le=42)] | msgspec.UnsetType = UNSET
    fabq_pa: Annotated[int, msgspec.Meta(ge=0, le=24)] | msgspec.UnsetType = UNSET
    hip_internal_rotation_deg: Annotated[float, msgspec.Meta(ge=0, le=90)] | msgspec.UnsetType = UNSET
    cervical_extension_rom_deg: Annotated[float, msgspec.Meta(ge=0, le=90)] | msgspec.UnsetType = UNSET
    odi_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] | msgspec.UnsetType = UNSET
    ndi_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] | msgspec.UnsetType = UNSET
    start_back_items: (Annotated[list[Literal[0, 1]], msgspec.Meta(min_length=9, max_length=9)]
                       | msgspec.UnsetType) = UNSET


@lru_cache(maxsize=4)
def _case_type(regions: tuple[str, ...], onsets: tuple[str, ...], findings: tuple[str, ...]) -> Any:
    """A msgspec struct for a case whose enums are the vocabulary's codes."""
    region_t = Literal[regions]  # type: ignore[valid-type]
    onset_t = Literal[onsets]  # type: ignore[valid-type]
    finding_t = Literal[findings]  # type: ignore[valid-type]
    return msgspec.defstruct(
        "CaseIn",
        [
            ("id", Annotated[str, msgspec.Meta(min_length=1, max_length=200)]),
            ("age", Annotated[int, msgspec.Meta(ge=0, le=120)]),
            ("sex", Literal["female", "male", "other"]),
            ("region", region_t),
            ("duration_days", Annotated[int, msgspec.Meta(ge=0, le=36500)]),
            ("onset", onset_t | msgspec.UnsetType, UNSET),
            ("pain_nprs", Annotated[int, msgspec.Meta(ge=0, le=10)] | msgspec.UnsetType, UNSET),
            ("irritability", Literal["low", "moderate", "high"] | msgspec.UnsetType, UNSET),
            ("findings", list[finding_t] | msgspec.UnsetType, UNSET),
            ("measures", MeasuresIn | msgspec.UnsetType, UNSET),
            ("note", Annotated[str, msgspec.Meta(max_length=20000)] | msgspec.UnsetType, UNSET),
        ],
        forbid_unknown_fields=True,
    )


_AT = re.compile(r"^(.*?)(?: - at `\$(.*)`)?$", re.S)


def _explain(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's message into 'field: problem' in the contract's words."""
    match = _AT.match(str(exc))
    problem, path = (match.group(1), match.group(2)) if match else (str(exc), None)
    field = (path or "").lstrip(".")
    unknown = re.search(r"unknown field `([^`]+)`", problem)
    missing = re.search(r"missing required field `([^`]+)`", problem)
    if unknown:
        name = f"{field}.{unknown.group(1)}" if field else unknown.group(1)
        return f"field {name!r}: not a field of a case"
    if missing:
        name = f"{field}.{missing.group(1)}" if field else missing.group(1)
        return f"field {name!r}: required field is missing"
    enum = re.search(r"Invalid enum value (.+)$", problem)
    if enum:
        return f"field {field!r}: unknown code {enum.group(1)}"
    return f"field {field!r}: {problem[0].lower() + problem[1:] if problem else 'invalid'}"


def _guess_id(raw: bytes | str) -> str | None:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    case_id = data.get("id") if isinstance(data, dict) else None
    return case_id if isinstance(case_id, str) else None


def _opt(value: float | msgspec.UnsetType) -> float | None:
    return None if isinstance(value, msgspec.UnsetType) else value


def decode_case(raw: bytes | str, kb: KnowledgeBase, line: int | None = None) -> Case:
    """Decode and validate one JSON case (raises CaseError naming the case and field)."""
    vocab = kb.vocabulary
    kind = _case_type(vocab.regions, vocab.onsets, vocab.findings)
    try:
        c = msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise CaseError(_explain(exc), _guess_id(raw), line) from None
    except msgspec.DecodeError as exc:
        text = str(exc)
        if not (raw.strip() if isinstance(raw, (bytes, str)) else raw):
            text = "empty input: expected a JSON case"
        raise CaseError(f"malformed JSON: {text}", None, line) from None
    findings: frozenset[str] = frozenset()
    if c.findings is not UNSET:
        findings = frozenset(c.findings)
        if len(findings) != len(c.findings):
            seen: set[str] = set()
            dup = next(f for f in c.findings if f in seen or seen.add(f))  # type: ignore[func-returns-value]
            raise CaseError(f"field 'findings': code {dup!r} is listed twice", c.id, line)
    measures = Measures()
    if c.measures is not UNSET:
        m = c.measures
        measures = Measures(
            fabq_work=None if m.fabq_work is UNSET else m.fabq_work,
            fabq_pa=None if m.fabq_pa is UNSET else m.fabq_pa,
            hip_internal_rotation_deg=_opt(m.hip_internal_rotation_deg),
            cervical_extension_rom_deg=_opt(m.cervical_extension_rom_deg),
            odi_percent=None if m.odi_percent is UNSET else m.odi_percent,
            ndi_percent=None if m.ndi_percent is UNSET else m.ndi_percent,
            start_back_items=None if m.start_back_items is UNSET else tuple(m.start_back_items),
        )
    return Case(
        id=c.id, age=c.age, sex=c.sex, region=c.region, duration_days=c.duration_days,
        onset="insidious" if c.onset is UNSET else c.onset,
        pain_nprs=None if c.pain_nprs is UNSET else c.pain_nprs,
        irritability=None if c.irritability is UNSET else c.irritability,
        findings=findings, measures=measures, note=None if c.note is UNSET else c.note,
    )


# --- encoding -------------------------------------------------------------------------

_REASON_CACHE: dict[tuple[Any, ...], orjson.Fragment] = {}
_REASON_CACHE_MAX = 50_000


def _reason(r: Reason) -> orjson.Fragment:
    """A reason as pre-serialised JSON; the same reason recurs across cases, so it is cached."""
    key = (r.rule, r.findings, r.source, r.kind, r.text, r.severity)
    frag = _REASON_CACHE.get(key)
    if frag is None:
        d: dict[str, Any] = {"rule": r.rule, "findings": list(r.findings), "source": r.source,
                             "kind": r.kind, "text": r.text}
        if r.severity is not None:
            d["severity"] = r.severity
        if len(_REASON_CACHE) >= _REASON_CACHE_MAX:
            _REASON_CACHE.clear()
        frag = _REASON_CACHE[key] = orjson.Fragment(orjson.dumps(d))
    return frag


def _dose(d: Dose) -> dict[str, Any]:
    out: dict[str, Any] = {"text": d.text}
    for name in ("variant", "sets", "seconds_per_set", "repetitions", "frequency_hz", "attempts"):
        value = getattr(d, name)
        if value is not None:
            out[name] = value
    return out


def _technique(t: TechniqueAssessment) -> dict[str, Any]:
    d: dict[str, Any] = {"technique": t.technique, "region": t.region, "status": t.status}
    if t.grades is not None:
        d["grades"] = list(t.grades)
    if t.dose is not None:
        d["dose"] = _dose(t.dose)
    d["reasons"] = [_reason(r) for r in t.reasons]
    return d


def _rule(r: PredictionRuleResult) -> dict[str, Any]:
    return {
        "id": r.id, "name": r.name, "criteria_met": r.criteria_met,
        "criteria_total": r.criteria_total, "positive": r.positive, "threshold": r.threshold,
        "criteria": [{"id": c.id, "text": c.text, "met": c.met, "judged": c.judged}
                     for c in r.criteria],
        "likelihood_ratio": r.likelihood_ratio, "validation": r.validation,
        "source": r.source, "validation_sources": list(r.validation_sources),
        "informs_only": True,
    }


@lru_cache(maxsize=4)
def _fragments(kb: KnowledgeBase) -> dict[str, orjson.Fragment]:
    """Pre-serialised exercise, education and source entries (they never change per case)."""
    out: dict[str, orjson.Fragment] = {}
    for e in kb.exercises:
        out["ex:" + e.id] = orjson.Fragment(orjson.dumps({
            "id": e.id, "name": e.name, "goal": e.goal, "targets": sorted(e.targets),
            "dose": e.dose, "instructions": e.instructions, "progression": e.progression,
            "regression": e.regression, "source": e.source}))
    for t in kb.education:
        out["ed:" + t.id] = orjson.Fragment(orjson.dumps({
            "id": t.id, "title": t.title, "text": t.text, "source": t.source}))
    for key, s in kb.sources.items():
        out["src:" + key] = orjson.Fragment(orjson.dumps({
            "citation": s.citation(), "url": s.url, "year": s.year, "kind": s.kind}))
    return out


def _plan(p: Plan, frags: dict[str, orjson.Fragment]) -> dict[str, Any]:
    return {
        "summary": p.summary,
        "manual_therapy": [
            {"technique": m.technique, "region": m.region,
             **({"grades": list(m.grades)} if m.grades else {}),
             "dose": _dose(m.dose),
             # the reasons themselves are in techniques[]; the plan names their rules
             "why": [r.rule for r in m.reasons]}
            for m in p.manual_therapy],
        "exercise": [frags["ex:" + e] for e in p.exercise_ids],
        "education": [frags["ed:" + t] for t in p.education_ids],
        "home_program": list(p.home_program),
        "expected_visits": {"min": p.visits.min_visits, "max": p.visits.max_visits,
                            "weeks": p.visits.weeks, "text": p.visits.text,
                            "sources": list(p.visits.sources)},
        "reassess": {"after_visits": p.visits.reassess_after_visits,
                     "triggers": [_reason(r) for r in p.reassess_triggers]},
        "while_awaiting_review": list(p.while_awaiting_review),
    }


def _cited(a: Assessment) -> set[str]:
    keys = {f.source for f in a.red_flags}
    keys.update(r.source for f in a.red_flags for r in f.rules)
    keys.update(r.source for t in a.techniques for r in t.reasons)
    for pr in a.prediction_rules:
        keys.add(pr.source)
        keys.update(pr.validation_sources)
    if a.presentation:
        keys.update(r.source for r in a.presentation.reasons)
    if a.psychosocial:
        keys.update(r.source for r in a.psychosocial.reasons)
    if a.plan:
        keys.update(r.source for r in a.plan.reassess_triggers)
        keys.update(a.plan.visits.sources)
    return keys


def _assessment(a: Assessment, kb: KnowledgeBase) -> dict[str, Any]:
    """The assessment's JSON structure; repeated parts are pre-serialised fragments."""
    frags = _fragments(kb)
    findings = []
    for f in a.findings:
        d: dict[str, Any] = {"code": f.code, "from": f.origin}
        if f.span is not None:
            d["span"] = list(f.span)
            d["text"] = f.text
        findings.append(d)
    pres = a.presentation
    psych = a.psychosocial
    plan = _plan(a.plan, frags) if a.plan is not None else None
    cited = _cited(a)
    if a.plan is not None:
        cited.update(kb.exercise_by_id[i].source for i in a.plan.exercise_ids)
        cited.update(t.source for t in kb.education if t.id in a.plan.education_ids)
    return {
        "case_id": a.case_id,
        "knowledge_version": a.knowledge_version,
        "triage": {"level": a.triage.level.code, "reasons": list(a.triage.reasons)},
        "findings": findings,
        "red_flags": [
            {"id": f.id, "urgency": f.urgency.code, "findings": list(f.findings),
             "source": f.source, "action": f.action,
             "rules": [_reason(r) for r in f.rules]}
            for f in a.red_flags],
        "techniques": [_technique(t) for t in a.techniques],
        "prediction_rules": [_rule(r) for r in a.prediction_rules],
        "presentation": None if pres is None else {
            "irritability": pres.irritability, "irritability_inferred": pres.irritability_inferred,
            "dominance": pres.dominance, "stage": pres.stage,
            "tissue_sources": list(pres.tissue_sources),
            "reasons": [_reason(r) for r in pres.reasons]},
        "psychosocial": None if psych is None else {
            "start_back": None if psych.start_back is None else {
                "total": psych.start_back.total, "psychosocial": psych.start_back.psychosocial,
                "risk": psych.start_back.risk, "source": psych.start_back.source},
            "fear_avoidance_high": psych.fear_avoidance_high,
            "reasons": [_reason(r) for r in psych.reasons]},
        "plan": plan,
        "note_mentions": [{"code": m.code, "status": m.status, "span": list(m.span), "text": m.text,
                           "cue": m.cue} for m in a.note_mentions],
        "sources": {k: frags["src:" + k] for k in sorted(cited)},
        "disclaimer": "Decision support for a qualified clinician; it does not diagnose.",
    }


def encode_assessment(a: Assessment, kb: KnowledgeBase) -> bytes:
    """One assessment as compact JSON bytes (no trailing newline)."""
    return orjson.dumps(_assessment(a, kb))


def assessment_to_dict(a: Assessment, kb: KnowledgeBase) -> dict[str, Any]:
    """The assessment as plain JSON values (contract fields plus explanations)."""
    result: dict[str, Any] = orjson.loads(encode_assessment(a, kb))
    return result


def encode_error(case_id: str | None, message: str) -> bytes:
    """The NDJSON output line of a bad case."""
    return orjson.dumps({"case_id": case_id, "error": message})
