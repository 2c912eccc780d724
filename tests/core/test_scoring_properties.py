"""Properties: billed units are bounded by minutes under both rules; scores are monotone in answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from palpa.core.billing import bill_visit
from palpa.core.measures import score
from palpa.knowledge.measures_loader import load_measures

MEASURES = load_measures()
CODES = ["97110", "97112", "97140", "97530", "97535"]
minutes_st = st.dictionaries(st.sampled_from(CODES), st.integers(0, 120), max_size=5)


@given(minutes_st, st.sampled_from(["cms_8_minute", "per_code"]))
def test_units_never_exceed_minutes_over_8(minutes: dict[str, int], method: str) -> None:
    b = bill_visit(minutes, method, None)  # type: ignore[arg-type]
    assert b.timed_units <= sum(minutes.values()) // 8
    for line in b.lines:
        if method == "per_code":
            assert line.units <= line.minutes // 8
        assert line.units >= 0


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, list[float], int, float]:
    mid = draw(st.sampled_from(sorted(MEASURES)))
    m = MEASURES[mid]
    n = draw(st.integers(m.items_min, m.items_max))
    items = [float(draw(st.integers(m.item_min, m.item_max))) for _ in range(n)]
    i = draw(st.integers(0, n - 1))
    higher = float(draw(st.integers(int(items[i]), m.item_max)))
    return mid, items, i, higher


@settings(max_examples=300)
@given(answers())
def test_scores_are_monotone_in_each_answer(case: tuple[str, list[float], int, float]) -> None:
    mid, items, i, higher = case
    m = MEASURES[mid]
    raised = list(items)
    raised[i] = higher
    before, after = score(m, items), score(m, raised)
    if before.score is not None and after.score is not None:
        assert after.score >= before.score - 1e-9
    for key, value in before.subscores.items():
        assert after.subscores[key] >= value - 1e-9
