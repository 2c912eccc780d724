"""The contract's examples and Palpa's own case set pass the contract's checker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT.parent / "shared" / "contract" / "examples" / "check_examples.py"
PALPA = f"{sys.executable} -m palpa.cli"


@pytest.mark.skipif(not CHECKER.exists(), reason="../shared/contract not present")
@pytest.mark.parametrize("folder", [CHECKER.parent, ROOT / "tests" / "cases"], ids=["contract", "palpa"])
def test_examples_pass(folder: Path) -> None:
    run = subprocess.run([sys.executable, str(CHECKER), str(folder), "--palpa", PALPA],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stdout
