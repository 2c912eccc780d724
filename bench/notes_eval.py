"""Evaluate the note reader on tests/data/notes.jsonl: precision, recall and F1 of present findings,
accuracy on mentions that are not present (negated, family, hypothetical, resolved), and each error.

Usage: python bench/notes_eval.py [FILE]. Exit 1 when an emergency-level finding is missed or a
negated emergency-level finding is reported present.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from palpa.notes import extract

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "notes.jsonl"
EMERGENCY = frozenset({
    "saddle_anesthesia", "bladder_dysfunction_new", "bowel_dysfunction_new", "sexual_dysfunction_new",
    "diplopia", "dysarthria", "dysphagia", "drop_attacks", "nystagmus", "ataxia", "horner_signs",
    "cranial_nerve_signs", "facial_numbness", "transient_ischaemic_symptoms", "visual_loss",
    "sudden_severe_headache", "suspected_dvt_signs", "chest_pain_or_dyspnea", "pulsatile_abdominal_mass",
})


@dataclass
class Report:
    """Counts and errors of one evaluation."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    absent_total: int = 0
    absent_right: int = 0
    notes: int = 0
    errors: list[str] = field(default_factory=list)
    missed_emergency: list[str] = field(default_factory=list)
    negated_emergency_present: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def absent_accuracy(self) -> float:
        return self.absent_right / self.absent_total if self.absent_total else 1.0


def load(path: Path = DATA) -> list[dict[str, object]]:
    """The annotated notes, one JSON object a line."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def evaluate(rows: list[dict[str, object]]) -> Report:
    """Compare the reader's present findings with each note's annotation."""
    report = Report()
    for row in rows:
        note, nid = str(row["note"]), str(row["id"])
        gold = set(row["present"])  # type: ignore[call-overload]
        absent = set(row["absent"])  # type: ignore[call-overload]
        mentions = extract(note)
        found = {m.code for m in mentions if m.status == "present"}
        report.notes += 1
        report.tp += len(found & gold)
        for code in sorted(found - gold):
            report.fp += 1
            where = next(m for m in mentions if m.code == code and m.status == "present")
            report.errors.append(f"{nid} false present {code}: {where.text!r}")
        for code in sorted(gold - found):
            report.fn += 1
            seen = [f"{m.text!r} {m.status} ({m.cue})" for m in mentions if m.code == code]
            report.errors.append(f"{nid} missed {code}" + (f": read as {', '.join(seen)}" if seen else ""))
            if code in EMERGENCY:
                report.missed_emergency.append(f"{nid} {code}")
        for code in absent:
            report.absent_total += 1
            if code in found:
                if code in EMERGENCY:
                    report.negated_emergency_present.append(f"{nid} {code}")
            else:
                report.absent_right += 1
    return report


def main(argv: list[str]) -> int:
    rows = load(Path(argv[1]) if len(argv) > 1 else DATA)
    r = evaluate(rows)
    print(f"notes: {r.notes}")
    print(f"present findings: precision {r.precision:.3f}  recall {r.recall:.3f}  F1 {r.f1:.3f}"
          f"  (tp {r.tp}, fp {r.fp}, fn {r.fn})")
    print(f"non-present mentions read as not present: {r.absent_right}/{r.absent_total}"
          f" = {r.absent_accuracy:.3f}")
    print(f"missed emergency-level findings: {len(r.missed_emergency)} {r.missed_emergency}")
    print(f"negated emergency-level findings reported present: {len(r.negated_emergency_present)}"
          f" {r.negated_emergency_present}")
    for e in r.errors:
        print("  " + e)
    return 1 if r.missed_emergency or r.negated_emergency_present else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
