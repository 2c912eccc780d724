"""`palpa notes extract`: the handler registered by add_parser, called with a parsed Namespace."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import orjson
import pytest

from palpa.notes.cli import add_parser

NOTE = "No saddle anaesthesia. Hx prostate ca."


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="palpa")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["notes", "extract", NOTE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["saddle_anesthesia\tnegated\t[3, 21)\t'saddle anaesthesia'\tNo",
                     "history_of_cancer\tpresent\t[23, 37)\t'Hx prostate ca'\t-"]


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["notes", "extract", "--format", "json", NOTE]) == 0
    out = orjson.loads(capsys.readouterr().out)
    assert out[1] == {"code": "history_of_cancer", "status": "present", "span": [23, 37],
                      "text": "Hx prostate ca", "cue": None}
    assert out[0]["status"] == "negated" and out[0]["cue"] == "No"


def test_present_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["notes", "extract", "--present", "--format", "json", NOTE]) == 0
    assert [m["code"] for m in orjson.loads(capsys.readouterr().out)] == ["history_of_cancer"]


def test_stdin_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Febrile, night sweats."))
    assert run(["notes", "extract", "-", "--format", "json"]) == 0
    assert {m["code"] for m in orjson.loads(capsys.readouterr().out)} == {"fever_or_systemic_illness"}
    note = tmp_path / "note.txt"
    note.write_text("Pt declines manipulation.", encoding="utf-8")
    assert run(["notes", "extract", "--file", str(note)]) == 0
    assert capsys.readouterr().out.startswith("prefers_no_manipulation\tpresent\t[3, 24)")


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["notes", "extract"]) == 2
    assert "give the note" in capsys.readouterr().err
    assert run(["notes", "extract", "--file", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert run(["notes", "extract", "--file", str(tmp_path / "x"), "text"]) == 2
