"""STarT Back scoring and fear-avoidance thresholds feeding the plan."""

from __future__ import annotations

import pytest

from palpa.core.psychosocial import start_back
from palpa.knowledge.loader import load_knowledge
from tests.conftest import AssessFn

KB = load_knowledge()


@pytest.mark.parametrize(("items", "total", "psych", "risk"), [
    ((0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 0, "low"),
    ((1, 1, 1, 0, 0, 0, 0, 0, 0), 3, 0, "low"),
    ((1, 1, 1, 1, 0, 0, 0, 0, 0), 4, 0, "medium"),
    ((1, 1, 0, 0, 1, 1, 1, 0, 0), 5, 3, "medium"),
    ((0, 0, 0, 0, 1, 1, 1, 1, 0), 4, 4, "high"),
    ((1, 1, 1, 1, 1, 1, 1, 1, 1), 9, 5, "high"),
])
def test_start_back(items: tuple[int, ...], total: int, psych: int, risk: str) -> None:
    r = start_back(items, KB)
    assert (r.total, r.psychosocial, r.risk) == (total, psych, risk)


def test_high_risk_changes_plan(run: AssessFn) -> None:
    a = run(measures={"start_back_items": [0, 0, 0, 0, 1, 1, 1, 1, 1]})
    assert a["psychosocial"]["start_back"]["risk"] == "high"
    topics = {t["id"] for t in a["plan"]["education"]}
    assert {"support_beyond_the_body", "hurt_does_not_mean_harm"} <= topics
    assert a["plan"]["expected_visits"]["max"] >= 8


def test_fear_avoidance_brings_graded_exposure(run: AssessFn) -> None:
    a = run(measures={"fabq_pa": 18})
    assert a["psychosocial"]["fear_avoidance_high"] is True
    assert "graded_return_to_activity" in {t["id"] for t in a["plan"]["education"]}
    calm = run(measures={"fabq_pa": 10})
    assert calm["psychosocial"]["fear_avoidance_high"] is False
