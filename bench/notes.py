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
    return 0 if rate >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
