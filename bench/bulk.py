"""Benchmark `palpa screen` on generated FHIR Bulk Data exports against an orjson parsing floor.

Usage: python bench/bulk.py [--sizes 10000 100000] [--jobs 1 0] [--keep DIR]
For each size, a sorted and an unsorted export are generated (synthetic_export, planted red
flags); each is screened by the command in a child process, and the same NDJSON files are
merely parsed with orjson in the same run (the floor). Prints patients/s, the ratio to the
floor (goal <= 5x), peak RSS of the child (goal: flat from 10k to 100k) and whether the
summary's counts equal the ground truth. Times nothing in the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from palpa.interop.synthetic_export import write_export

FLOOR = """
import sys, time, orjson
from pathlib import Path
start = time.perf_counter()
n = 0
for path in sorted(Path(sys.argv[1]).glob("*.ndjson")):
    with path.open("rb") as f:
        for line in f:
            orjson.loads(line)
            n += 1
print(time.perf_counter() - start, n)
"""

# A small interpreter runs the command, so the peak RSS it reports is the command's own and not
# inherited from this (large) process through fork; with workers it is the largest process.
WRAP = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.stdout.flush(); sys.stdout.buffer.write(r.stdout)")


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, the command's standard output)."""
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True,
                         check=True).stdout
    head, _, rest = out.partition("\n")
    wall, rss = head.split()
    return float(wall), int(rss) // 1024, rest


def run(directory: Path, work: Path, truth_counts: dict[str, object], jobs: int,
        as_of: str) -> dict[str, object]:
    """Floor and screen on one export; the figures of both."""
    _, floor_mb, floor_out = timed([sys.executable, "-c", FLOOR, str(directory)])
    floor_s, lines = float(floor_out.split()[0]), int(floor_out.split()[1])
    summary = work / "summary.json"
    wall, rss, _ = timed([sys.executable, "-m", "palpa.interop.screen_cli", "screen", str(directory),
                          "-o", str(work / "triage.ndjson"), "--summary", str(summary),
                          "--as-of", as_of, "--jobs", str(jobs), "--tmp-dir", str(work)])
    data = orjson.loads(summary.read_bytes())
    match = data["triage"] == truth_counts["triage"] and data["red_flags"] == truth_counts["red_flags"]
    return {"floor_s": floor_s, "floor_mb": floor_mb, "lines": lines, "wall": wall, "rss": rss,
            "screen_s": data["seconds"], "patients": data["patients"], "grouping": data["grouping"],
            "partitions": data["partitions"], "match": match}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 0],
                        help="worker settings to measure (0 = every core)")
    parser.add_argument("--keep", type=Path, help="generate the exports here and keep them")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"palpa screen benchmark ({cores} cores; ratios are measured within one run)")
    with tempfile.TemporaryDirectory(prefix="palpa-bench-") as tmp:
        base = args.keep or Path(tmp)
        rss_at: dict[tuple[int, bool, int], int] = {}
        for n in args.sizes:
            for is_sorted in (True, False):
                directory = base / f"export-{n}-{'sorted' if is_sorted else 'unsorted'}"
                start = time.perf_counter()
                truth = write_export(directory, n, seed=2026, sorted=is_sorted)
                made = time.perf_counter() - start
                size = sum(p.stat().st_size for p in directory.glob("*.ndjson")) / 1e6
                counts = {"triage": {}, "red_flags": dict(truth.red_flag_counts())}
                expected = truth.triage_counts()
                counts["triage"] = {level: expected.get(level, 0) for level in
                                    ("emergency", "urgent", "refer", "treat_with_precautions", "treat",
                                     "no_case")}
                print(f"\n{n:,} patients, {'sorted' if is_sorted else 'unsorted'}: {size:.0f} MB NDJSON "
                      f"(generated in {made:.1f} s)")
                for jobs in args.jobs:
                    work = base / f"work-{n}-{is_sorted}-{jobs}"
                    work.mkdir(exist_ok=True)
                    r = run(directory, work, counts, jobs, truth.as_of.isoformat())
                    rss_at[(n, is_sorted, jobs)] = int(str(r["rss"]))
                    screen_s, floor_s = float(str(r["screen_s"])), float(str(r["floor_s"]))
                    how = (r["grouping"] if r["grouping"] == "sorted"
                           else f"partitioned ({r['partitions']} partitions)")
                    print(f"  --jobs {jobs or cores}: {n / screen_s:,.0f} patients/s screening "
                          f"({screen_s:.2f} s, {how}); orjson parse floor {floor_s:.2f} s "
                          f"({r['lines']:,} lines, {n / floor_s:,.0f} patients/s); "
                          f"ratio {screen_s / floor_s:.1f}x (goal <= 5x); command {r['wall']:.2f} s wall; "
                          f"peak RSS {r['rss']} MB (floor {r['floor_mb']} MB); "
                          f"counts equal the truth: {'yes' if r['match'] else 'NO'}")
        if len(args.sizes) > 1:
            small, large = min(args.sizes), max(args.sizes)
            for is_sorted in (True, False):
                for jobs in args.jobs:
                    a, b = rss_at[(small, is_sorted, jobs)], rss_at[(large, is_sorted, jobs)]
                    print(f"peak RSS {'sorted' if is_sorted else 'unsorted'}, --jobs {jobs or cores}: "
                          f"{a} MB at {small:,} vs {b} MB at {large:,} patients "
                          f"({b / a:.2f}x; goal flat)")


if __name__ == "__main__":
    main()
