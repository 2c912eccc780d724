"""The clinician's text report, rendered from real assessments."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from palpa.codec import assessment_to_dict, decode_case
from palpa.core.assess import assess
from palpa.knowledge.loader import load_knowledge
from palpa.reports.text import make_console, render_assessment

EMERGENCY = {"id": "t-ces", "age": 44, "sex": "male", "region": "lumbar", "duration_days": 3,
             "findings": ["saddle_anesthesia", "bladder_dysfunction_new"]}
PRECAUTIONS = {"id": "t-op", "age": 71, "sex": "female", "region": "lumbar",
               "duration_days": 240, "irritability": "low",
               "findings": ["osteoporosis", "resistance_before_pain", "segmental_hypomobility",
                            "reduced_muscle_length"]}
NECK = {"id": "t-neck", "age": 56, "sex": "male", "region": "cervical", "duration_days": 200,
        "irritability": "low",
        "findings": ["resistance_before_pain", "joint_hypomobility", "myofascial_trigger_points"]}
DISCLAIMER = "Decision support for a qualified clinician; it does not diagnose."


@pytest.fixture(scope="module")
def kb() -> Any:
    return load_knowledge()


def _assessment(case: dict[str, Any], kb: Any) -> dict[str, Any]:
    d = assessment_to_dict(assess(decode_case(json.dumps(case).encode(), kb), kb), kb)
    return d


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """The dict as the JSON contract has it (the codec holds some values pre-encoded)."""
    out: dict[str, Any] = orjson.loads(orjson.dumps(d))
    return out


def _render(d: dict[str, Any]) -> str:
    console = Console(record=True, width=100, file=io.StringIO())
    render_assessment(d, console)
    return console.export_text()


def test_emergency_report(kb: Any) -> None:
    d = _assessment(EMERGENCY, kb)
    text = _render(d)
    assert d["triage"]["level"] == "emergency"
    assert "EMERGENCY" in text
    assert "No manual therapy." in text
    assert "cauda_equina_syndrome" in text
    assert "No care plan: medical care comes first." in text
    assert "[finucane2020_red_flags]" in text  # brackets survive: no markup parsing
    for t in d["techniques"]:
        line = next(ln for ln in text.splitlines() if f" {t['technique']} " in ln)
        assert "contraindicated" in line
    assert DISCLAIMER in text
    assert d["knowledge_version"] in text


def test_precautions_report(kb: Any) -> None:
    d = _assessment(PRECAUTIONS, kb)
    plain = _plain(d)
    text = _render(d)
    assert "TREAT WITH PRECAUTIONS" in text
    assert "No manual therapy" not in text
    assert "No care plan" not in text
    for t in plain["techniques"]:
        assert t["technique"] in text
    manip = next(ln for ln in text.splitlines() if ln.strip().startswith("joint_manipulation "))
    assert "contraindicated" in manip
    mob = next(ln for ln in text.splitlines() if ln.strip().startswith("joint_mobilization "))
    assert "recommended" in mob and "II-III" in mob
    assert plain["plan"]["exercise"][0]["name"] in text
    assert plain["plan"]["education"][0]["title"] in text
    assert "informs, never gates" in text
    assert "criteria met 2/5" in text
    assert "Stage: chronic" in text
    assert f"Reassess after visit {plain['plan']['reassess']['after_visits']}" in text
    key = next(iter(plain["sources"]))
    assert f"{key} — " in text
    assert DISCLAIMER in text


def test_neck_report_other_region(kb: Any) -> None:
    d = _plain(_assessment(NECK, kb))
    text = _render(d)
    assert "TREAT" in text
    others = [t for t in d["techniques"] if t["region"] != "cervical"]
    for t in others:
        assert f"{t['technique']} @ {t['region']}" in text
    for m in d["plan"]["manual_therapy"]:
        assert m["technique"] in text
    assert "Techniques (cervical)" in text


def test_make_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    console = make_console()
    assert console.width == 100
    assert console.no_color


def test_cli_text_format(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(PRECAUTIONS))
    run = subprocess.run([sys.executable, "-m", "palpa.cli", "assess", "--format", "text",
                          str(path)], capture_output=True, text=True, encoding="utf-8",
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "TREAT WITH PRECAUTIONS" in run.stdout
    assert "\x1b[" not in run.stdout  # no colour codes in a pipe
