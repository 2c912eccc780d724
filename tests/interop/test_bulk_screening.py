"""The screening-only path gives the full assessment's triage level and red flags."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from palpa.codec import decode_case
from palpa.interop.screening import screen_case
from palpa.knowledge.loader import load_knowledge
from palpa.service import assess_json_case

CASES = sorted(p for p in (Path(__file__).parents[1] / "cases").glob("*.json")
               if not p.name.endswith(".expected.json"))


def test_there_are_fifty_cases() -> None:
    assert len(CASES) == 50


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_screening_matches_assess(path: Path) -> None:
    kb = load_knowledge()
    raw = path.read_bytes()
    full = assess_json_case(raw, kb)
    result, flags = screen_case(decode_case(raw, kb), kb)
    assert result.level == full.triage.level
    assert [(f.id, f.urgency, f.findings, f.source) for f in flags] == [
        (f.id, f.urgency, f.findings, f.source) for f in full.red_flags]
    assert set(result.reasons) <= set(full.triage.reasons)


def test_output_line_is_the_json_fields() -> None:
    from palpa.interop.bulk import FlagOut, PatientResult
    from palpa.interop.fhir_import import Unmapped

    result = PatientResult(
        "p1", "urgent", (FlagOut("spinal_malignancy", "urgent", ("history_of_cancer",), "src"),),
        (Unmapped("Condition", "c1", "Condition.code", "https://x", "LP-1", None, "not mapped"),),
        ("a problem",))
    assert orjson.loads(result.encode()) == result.to_json()
    assert result.to_json()["unmapped"][0]["code"] == "LP-1"
