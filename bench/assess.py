"""Benchmark `palpa assess`: in-process rate, CLI time against an orjson floor, peak memory.

Usage: python bench/assess.py [--cases N]. Prints its figures; times nothing in the test suite.
Figures are ratios measured in one run, because shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from palpa.codec import assessment_to_dict, decode_case, encode_assessment
from palpa.core.assess import assess
from palpa.knowledge.loader import load_knowledge

FLOOR = """
import sys, orjson
out = sys.stdout.buffer
with open(sys.argv[1], "rb") as f:
    for line in f:
        out.write(orjson.dumps(orjson.loads(line)) + b"\\n")
"""


def generate(n: int, seed: int = 7) -> list[bytes]:
    """n realistic-looking cases: mostly benign presentations, some red flags."""
    kb = load_knowledge()
    v = kb.vocabulary
    rng = random.Random(seed)
    presentation = ["pain_before_resistance", "resistance_before_pain", "joint_hypomobility",
                    "segmental_hypomobility", "myofascial_trigger_points", "muscle_guarding",
                    "reduced_muscle_length", "positive_neurodynamic_test", "radicular_signs",
                    "symptoms_distal_to_knee", "fear_of_movement", "looking_up_does_not_aggravate"]
    cases = []
    for i in range(n):
        findings = set(rng.sample(presentation, rng.randint(0, 4)))
        if rng.random() < 0.3:
            findings.update(rng.sample(v.findings, rng.randint(1, 3)))
        case: dict[str, object] = {
            "id": f"bench-{i}", "age": rng.randint(16, 90), "sex": rng.choice(["female", "male"]),
            "region": rng.choice(v.regions), "onset": rng.choice(v.onsets),
            "duration_days": rng.randint(1, 400), "pain_nprs": rng.randint(0, 10),
            "irritability": rng.choice(["low", "moderate", "high"]), "findings": sorted(findings),
        }
        if rng.random() < 0.5:
            case["measures"] = {"fabq_work": rng.randint(0, 42), "fabq_pa": rng.randint(0, 24),
                                "hip_internal_rotation_deg": rng.randint(10, 60)}
        cases.append(orjson.dumps(case))
    return cases


def in_process(raw: list[bytes]) -> tuple[float, float]:
    """(assessments/s of the pure engine, end-to-end decode+assess+encode/s), one core."""
    kb = load_knowledge()
    cases = [decode_case(r, kb) for r in raw]
    start = time.perf_counter()
    for c in cases:
        assess(c, kb)
    engine = len(cases) / (time.perf_counter() - start)
    start = time.perf_counter()
    for r in raw:
        encode_assessment(assess(decode_case(r, kb), kb), kb)
    full = len(raw) / (time.perf_counter() - start)
    assessment_to_dict(assess(cases[0], kb), kb)
    return engine, full


# A small interpreter runs the command, so the peak RSS it reports is the command's own and not
# inherited from this (large) process through fork.
WRAP = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of the largest process) of a command, output discarded."""
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    raw = generate(args.cases)
    engine, full = in_process(raw)
    print(f"in-process, {args.cases} cases: engine {engine:,.0f} assessments/s; "
          f"decode+assess+encode {full:,.0f}/s (goal >= 20,000/s)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.ndjson"
        path.write_bytes(b"\n".join(raw) + b"\n")
        small = Path(tmp) / "small.ndjson"
        small.write_bytes(b"\n".join(raw[: max(1, args.cases // 10)]) + b"\n")
        floor_s, floor_mb = timed([sys.executable, "-c", FLOOR, str(path)])
        palpa_s, palpa_mb = timed([sys.executable, "-m", "palpa.cli", "assess", str(path)])
        one_s, one_mb = timed([sys.executable, "-m", "palpa.cli", "assess", "--jobs", "1", str(path)])
        _, small_mb = timed([sys.executable, "-m", "palpa.cli", "assess", "--jobs", "1", str(small)])
    print(f"palpa assess on {args.cases} NDJSON cases: {palpa_s:.2f} s; orjson parse+dump floor "
          f"{floor_s:.2f} s; ratio {palpa_s / floor_s:.1f}x (goal <= 5x)")
    print(f"  with --jobs 1: {one_s:.2f} s, ratio {one_s / floor_s:.1f}x "
          f"({os.cpu_count()} cores; default uses every core for files over 1 MB)")
    print(f"peak RSS (largest process): {one_mb} MB for {args.cases} cases, {small_mb} MB for "
          f"{args.cases // 10} cases, {palpa_mb} MB per process with workers "
          f"(floor {floor_mb} MB; goal < 150 MB and flat)")


if __name__ == "__main__":
    main()
