"""`palpa score`: readable and JSON output, and bad answers refused with exit 2 and one line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import pytest

from palpa import score_cli


def answers(text: str) -> list[str]:
    """Command-line answers written as one string: "2 1 - 3"."""
    return text.split()


def build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="palpa")
    sub = parser.add_subparsers(dest="command", required=True)
    score_cli.add_parser(sub)
    return parser


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    args = build().parse_args(["score", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip()


def test_odi_json_with_missing_section(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "odi", "2", "2", "2", "2", "2", "2", "2", "2", "0", "-")
    assert data["measure"] == "odi"
    assert data["score"] == 35.6 and data["percent"] == 35.6 and data["max"] == 100
    assert data["interpretation"] == "moderate disability"
    assert data["mcid"] == 10 and data["source"] == "fairbank2000_odi"
    assert (data["answered"], data["missing"], data["loinc"]) == (9, 1, "97909-6")


def test_json_has_percent_only_where_the_instrument_reports_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert "percent" not in run_json(capsys, "nprs", "4")
    assert run_json(capsys, "ndi", *answers("2 2 2 2 2 2 2 1 1 0"))["percent"] == 32
    lefs = run_json(capsys, "lefs", *(["3"] * 20))
    assert "percent" not in lefs and lefs["score"] == 60 and lefs["mcid"] == 9


def test_fabq_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "fabq", *answers("- 4 4 4 4 6 6 - 5 5 5 5 - - 6 -"))
    assert data["measure"] == "fabq"
    assert (data["pa"], data["work"], data["pa_max"], data["work_max"]) == (16, 38, 24, 42)
    assert data["mcid"] == {"pa": 4, "work": 7}
    assert data["interpretation"]["work"].startswith("high risk")
    assert "score" not in data and data["source"] == "waddell1993_fabq"


def test_startback_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "startback", *answers("0 0 0 0 1 1 1 1 0"))
    assert (data["total"], data["psychosocial"], data["risk"]) == (4, 4, "high")
    assert data["interpretation"] == "high risk" and data["mcid"] is None
    assert data["source"] == "hill2008_startback" and data["code"] == "palpa-startback"


def test_groc_negative_answer_is_not_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "groc", "-3")
    assert (data["score"], data["interpretation"]) == (-3, "worse")


def test_quickdash_one_missing(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "quickdash", *answers("2 3 1 1 2 3 4 1 2 - 3"))
    assert data["score"] == 30 and data["missing"] == 1


def test_measure_id_is_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "NPRS", "3")["measure"] == "nprs"


def test_text_output_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "odi", *answers("2 2 2 2 2 2 2 2 0 -"))
    assert code == 0 and err == ""
    for words in ("Oswestry Disability Index", "35.6 %", "moderate disability", "9 scored items, 1 missing",
                  "10 points (ostelo2008_mic)", "LOINC 97909-6", "Fairbank JC, Pynsent PB."):
        assert words in out
    code, out, _ = run(capsys, "fabq", *answers("- 4 4 4 4 6 6 - 5 5 5 5 - - 6 -"))
    assert code == 0 and "16 of 24: elevated (above 14)" in out and "palpa-fabq (no LOINC code)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["odi", "2", "2", "2", "7", "2", "2", "2", "2", "0", "1"], "palpa: odi item 4: 7 is out of range 0-5"),
    (["odi", "2", "x"], "palpa: odi item 2: 'x' is not a number"),
    (["odi", "2", "2"], "palpa: odi: 2 answers given, expected 10"),
    (["quickdash", *answers("2 3 - 1 2 3 4 - 2 1 3")],
     "palpa: quickdash: 2 items missing (items 3, 8), at most 1 allowed"),
    (["groc", "8"], "palpa: groc item 1: 8 is out of range -7 to 7"),
    (["tsk11", *(["2"] * 10), "2.5"], "palpa: tsk11 item 11: 2.5 is not a whole number"),
])
def test_bad_answers_exit_2_naming_the_item(capsys: pytest.CaptureFixture[str], argv: list[str],
                                            message: str) -> None:
    assert one_line_error(*run(capsys, *argv)) == message


def test_unknown_measure_lists_valid_ids(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(*run(capsys, "womac", "1", "2"))
    assert err.startswith("palpa: unknown measure 'womac'; valid ids: ")
    for mid in ("nprs", "odi", "ndi", "psfs", "groc", "quickdash", "lefs", "fabq", "tsk11", "startback"):
        assert mid in err


SCRIPT = """
import argparse, sys
from palpa import score_cli
parser = argparse.ArgumentParser(prog="palpa")
score_cli.add_parser(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def test_in_a_real_process() -> None:
    ok = subprocess.run([sys.executable, "-c", SCRIPT, "score", "groc", "-3", "--format", "json"],
                        capture_output=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["score"] == -3
    bad = subprocess.run([sys.executable, "-c", SCRIPT, "score", "ndi", *answers("1 2 9 1 1 1 1 1 1 1")],
                         capture_output=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert bad.stdout == b""
    assert bad.stderr.decode().strip() == "palpa: ndi item 3: 9 is out of range 0-5"
