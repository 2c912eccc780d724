"""`palpa screen` through its own parser: outputs, summary, and one-line errors on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from palpa.interop.screen_cli import main
from palpa.interop.synthetic_export import Truth, write_export


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    directory = tmp_path_factory.mktemp("cli") / "export"
    return directory, write_export(directory, 300, seed=21)


def test_screen_writes_lines_summary_and_table(export: tuple[Path, Truth], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    directory, truth = export
    out, summary = tmp_path / "triage.ndjson", tmp_path / "summary.json"
    code = main(["screen", str(directory), "-o", str(out), "--summary", str(summary),
                 "--as-of", truth.as_of.isoformat()])
    assert code == 0
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(r["patient_id"] for r in rows) == sorted(truth.patients)
    assert not list(tmp_path.glob("*.partial"))
    data = orjson.loads(summary.read_bytes())
    assert data["patients"] == 300 and data["grouping"] == "sorted"
    assert data["red_flags"] == dict(truth.red_flag_counts())
    shown = capsys.readouterr().out
    assert "Triage of 300 patients" in shown and "grouping: sorted: one streaming pass" in shown
    for flag in truth.red_flag_counts():
        assert flag in shown


def test_progress_bar_goes_to_stderr(export: tuple[Path, Truth], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    directory, truth = export
    code = main(["screen", str(directory), "-o", str(tmp_path / "o.ndjson"), "--progress",
                 "--order", "unsorted", "--as-of", truth.as_of.isoformat()])
    captured = capsys.readouterr()
    assert code == 0
    assert "partitioning by patient" in captured.err and "screening partitions" in captured.err
    assert "partitioned into 1 temporary files" in captured.out


def _one_bad_line(directory: Path, target: Path, name: str, line_no: int, bad: bytes) -> Path:
    target.mkdir()
    for path in directory.glob("*.ndjson"):
        lines = path.read_bytes().splitlines(keepends=True)
        if path.name == name:
            lines[line_no - 1] = bad + b"\n"
        (target / path.name).write_bytes(b"".join(lines))
    return target


@pytest.mark.parametrize(("bad", "expected"), [
    (b'{"resourceType": "Condition", "id": ', r"Condition\.2\.ndjson: line 7: malformed JSON"),
    (b'["not", "a", "resource"]', r"Condition\.2\.ndjson: line 7: expected a JSON object"),
    (b'{"id": "c1", "subject": {"reference": "Patient/pt-000001"}}',
     r"Condition\.2\.ndjson: line 7: field 'resourceType': missing"),
])
@pytest.mark.parametrize("order", ["auto", "unsorted"])
def test_malformed_line_exits_2_naming_file_line_and_field(
        export: tuple[Path, Truth], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        bad: bytes, expected: str, order: str) -> None:
    broken = _one_bad_line(export[0], tmp_path / "broken", "Condition.2.ndjson", 7, bad)
    out = tmp_path / "o.ndjson"
    code = main(["screen", str(broken), "-o", str(out), "--order", order])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("palpa: ")
    assert re.search(expected, err), err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_patient_without_id_is_refused(export: tuple[Path, Truth], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    broken = _one_bad_line(export[0], tmp_path / "broken", "Patient.ndjson", 3,
                           b'{"resourceType": "Patient", "gender": "female"}')
    assert main(["screen", str(broken)]) == 2
    assert "Patient.ndjson: line 3: field 'id': a Patient resource without an id" in capsys.readouterr().err


def test_missing_source_and_bad_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such file or directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["screen", str(empty)]) == 2
    assert "no .ndjson files" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["screen", str(empty), "--as-of", "15/01/2026"])
    assert exc.value.code == 2
    assert "not a date (YYYY-MM-DD)" in capsys.readouterr().err
