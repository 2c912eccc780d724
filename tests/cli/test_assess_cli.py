"""`palpa assess` per the contract: JSON and NDJSON, stdin, and bad input refused with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import base_case

PALPA = [sys.executable, "-m", "palpa.cli"]


def palpa(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*PALPA, *args], input=stdin, capture_output=True, timeout=60)


def write(tmp_path: Path, text: str | bytes, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def one_line_error(run: subprocess.CompletedProcess[bytes]) -> str:
    err = run.stderr.decode().strip()
    assert run.returncode == 2
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_single_case_pretty_printed(tmp_path: Path) -> None:
    run = palpa("assess", write(tmp_path, json.dumps(base_case(id="a1"), indent=2)))
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["case_id"] == "a1" and out["knowledge_version"].startswith("kb-")


def test_stdin_ndjson_keeps_order() -> None:
    lines = b"\n".join(json.dumps(base_case(id=f"c{i}")).encode() for i in range(5)) + b"\n"
    run = palpa("assess", "-", stdin=lines)
    assert run.returncode == 0
    assert [json.loads(x)["case_id"] for x in run.stdout.splitlines()] == [f"c{i}" for i in range(5)]


def test_ndjson_continues_past_bad_lines(tmp_path: Path) -> None:
    good = json.dumps(base_case(id="good"))
    bad = json.dumps(base_case(id="bad", age=200))
    run = palpa("assess", write(tmp_path, f"{good}\n{{oops\n{bad}\n\n{good}\n", "c.ndjson"))
    assert run.returncode == 2
    out = [json.loads(x) for x in run.stdout.splitlines()]
    assert [o.get("case_id") for o in out] == ["good", None, "bad", "good"]
    assert "line 2" in out[1]["error"] and "malformed JSON" in out[1]["error"]
    assert "line 3" in out[2]["error"] and "'age'" in out[2]["error"]


@pytest.mark.parametrize(("case", "words"), [
    (base_case(findings=["saddle_anesthesia", "numb_toes"]), ["findings", "'numb_toes'"]),
    (base_case(region="neck"), ["region", "'neck'"]),
    (base_case(age=121), ["age", "<= 120"]),
    (base_case(pain_nprs=11), ["pain_nprs"]),
    (base_case(duration_days=-1), ["duration_days"]),
    (base_case(age="40"), ["age", "expected `int`"]),
    (base_case(age=True), ["age"]),
    (base_case(age=40.5), ["age"]),
    (base_case(findings="saddle_anesthesia"), ["findings", "array"]),
    (base_case(measures={"fabq_work": 50}), ["measures.fabq_work"]),
    (base_case(measures={"start_back_items": [1, 0]}), ["start_back_items"]),
    (base_case(measures={"grip": 3}), ["measures.grip", "not a field"]),
    (base_case(colour="blue"), ["colour", "not a field"]),
    (base_case(findings=["osteoporosis", "osteoporosis"]), ["findings", "listed twice"]),
    ({k: v for k, v in base_case().items() if k != "sex"}, ["sex", "missing"]),
    (base_case(note="x" * 20001), ["note", "20000"]),
    (base_case(pain_nprs=None), ["pain_nprs"]),
])
def test_bad_case_is_refused_with_case_and_field(tmp_path: Path, case: dict[str, Any],
                                                 words: list[str]) -> None:
    case = dict(case, id="bad-1")
    err = one_line_error(palpa("assess", write(tmp_path, json.dumps(case))))
    assert "'bad-1'" in err
    for w in words:
        assert w in err, err


@pytest.mark.parametrize("text", [b"", b"\n\n  \n", b"{not json", b"[1, 2]", b"\"case\""])
def test_malformed_or_empty_input(tmp_path: Path, text: bytes) -> None:
    err = one_line_error(palpa("assess", write(tmp_path, text)))
    assert "palpa:" in err


def test_missing_file_is_refused() -> None:
    err = one_line_error(palpa("assess", "/nonexistent/case.json"))
    assert "no such file" in err


def test_text_format_prints_a_report(tmp_path: Path) -> None:
    run = palpa("assess", "--format", "text",
                write(tmp_path, json.dumps(base_case(findings=["saddle_anesthesia"]))))
    assert run.returncode == 0
    assert b"EMERGENCY" in run.stdout


def test_knowledge_command() -> None:
    run = palpa("knowledge")
    assert run.returncode == 0 and b"knowledge base kb-" in run.stdout


def test_parallel_jobs_keep_order_and_errors(tmp_path: Path) -> None:
    lines = [json.dumps(base_case(id=f"c{i}", age=200 if i % 97 == 0 else 40)) for i in range(1500)]
    path = write(tmp_path, "\n".join(lines) + "\n", "many.ndjson")
    one = palpa("assess", "--jobs", "1", path)
    two = palpa("assess", "--jobs", "2", path)
    assert one.returncode == two.returncode == 2
    assert one.stdout == two.stdout
    assert one.stderr == two.stderr
    assert len(two.stdout.splitlines()) == 1500
