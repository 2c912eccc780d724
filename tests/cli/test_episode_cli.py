"""`palpa units` and `palpa episode report`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EPISODE = ROOT / "examples" / "episodes" / "lumbar_episode.json"


def palpa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "palpa.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_units_cms_and_ama() -> None:
    cms = json.loads(palpa("units", "97110=33", "97140=7", "--format", "json").stdout)
    assert cms["total_minutes"] == 40 and cms["units"] == {"97110": 2, "97140": 1}
    ama = json.loads(palpa("units", "--rule", "ama", "97110=33", "97140=7", "--format", "json").stdout)
    assert ama["units"] == {"97110": 2, "97140": 0}
    text = palpa("units", "97112=24", "97110=23")
    assert text.returncode == 0 and "3 units" in text.stdout


def test_units_bad_argument() -> None:
    run = palpa("units", "97140=ten")
    assert run.returncode == 2 and "97140=ten" in run.stderr and len(run.stderr.splitlines()) == 1


def test_episode_report_prints_and_writes_chart(tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    run = palpa("episode", "report", str(EPISODE), "--chart", str(chart))
    assert run.returncode == 0, run.stderr
    for words in ("Progress", "odi: 42 -> 24", "improved", "SOAP note", "SUBJECTIVE", "BILLING",
                  "soreness_beyond_48h", "Units per visit"):
        assert words in run.stdout
    assert chart.read_bytes().startswith(b"\x89PNG") and chart.stat().st_size > 5000


def test_episode_report_json(tmp_path: Path) -> None:
    run = palpa("episode", "report", str(EPISODE), "--format", "json",
                "--chart", str(tmp_path / "c.svg"), "--chart-format", "svg")
    doc = json.loads(run.stdout)
    assert doc["visits"] == 6 and doc["units"]["1"]["97162"] == 1
    assert {t["id"] for t in doc["triggers"]} >= {"soreness_beyond_48h"}
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()


def test_episode_report_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "e.json"
    bad.write_text('{"id": "x"}')
    run = palpa("episode", "report", str(bad))
    assert run.returncode == 2 and "palpa:" in run.stderr and "Traceback" not in run.stderr
