"""Benchmark the note reader: notes per second on one core for typical clinical notes.

Usage: python bench/notes.py [--seconds S]. Reads the notes of tests/data/notes.jsonl (1-6 sentences
each), times the first call (loading and compiling the lexicon) apart, then extracts them in a loop.
Goal: at least 500 notes per second. Prints its figures; times nothing in the test suite.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import orjson

from palpa.notes import extract

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "notes.jsonl"
GOAL = 500


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to run (default 3)")
    args = parser.parse_args()
    notes = [orjson.loads(line)["note"] for line in DATA.read_bytes().splitlines() if line.strip()]
    start = time.perf_counter()
    extract(notes[0])
    load = time.perf_counter() - start
    count, chars, start = 0, 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < args.seconds:
        for note in notes:
            extract(note)
            chars += len(note)
        count += len(notes)
    rate = count / elapsed
    print(f"first call (load and compile the lexicon and cues): {load * 1000:.0f} ms")
    print(f"notes: {count} in {elapsed:.2f} s, mean {chars / count:.0f} characters")
    print(f"rate: {rate:.0f} notes/s on one core ({1e6 / rate:.0f} us a note); goal >= {GOAL}/s: "
          f"{'met' if rate >= GOAL else 'NOT met'}")
    added_cost(notes)
    return 0 if rate >= GOAL else 1


def added_cost(notes: list[str]) -> None:
    """Time `palpa assess`'s use case on the same cases with and without their notes."""
    from palpa.knowledge.loader import load_knowledge
    from palpa.service import assess_json_case

    kb = load_knowledge()
    base = {"age": 50, "sex": "female", "region": "lumbar", "duration_days": 20,
            "findings": ["segmental_hypomobility"]}
    plain = [orjson.dumps(base | {"id": f"p{i}"}) for i in range(len(notes))]
    noted = [orjson.dumps(base | {"id": f"n{i}", "note": n}) for i, n in enumerate(notes)]
    timings = []
    for cases in (plain, noted):
        start = time.perf_counter()
        for _ in range(5):
            for raw in cases:
                assess_json_case(raw, kb)
        timings.append((time.perf_counter() - start) / (5 * len(cases)))
    print(f"assess use case: {timings[0] * 1e6:.0f} us a case without a note, "
          f"{timings[1] * 1e6:.0f} us with one (a note adds {(timings[1] - timings[0]) * 1e6:.0f} us, "
          f"x{timings[1] / timings[0]:.1f})")


if __name__ == "__main__":
    raise SystemExit(main())
