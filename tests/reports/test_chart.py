"""The progress chart: PNG and SVG bytes, measure names in the SVG, and deterministic output."""

from __future__ import annotations

from pathlib import Path

import pytest

from palpa.core.progress import measure_series, reassessment_triggers
from palpa.knowledge.episode_loader import load_episode, load_progress_rules
from palpa.reports.chart import progress_chart

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "palpa" / "data" / "demo_episode.json"
MCIDS = {"nprs": (2.0, False), "odi": (10.0, False)}


@pytest.fixture(scope="module")
def chart_input() -> tuple[dict[str, list[tuple[int, float]]], list[tuple[int, str]]]:
    episode = load_episode(EXAMPLE)
    series = measure_series(episode)
    found = reassessment_triggers(episode, MCIDS, frozenset(), load_progress_rules())
    return series, [(t.visit, t.id) for t in found]


def test_png_is_a_real_image(chart_input: tuple[dict[str, list[tuple[int, float]]],
                                                list[tuple[int, str]]]) -> None:
    series, triggers = chart_input
    png = progress_chart(series, MCIDS, triggers, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000
    assert png == progress_chart(series, MCIDS, triggers, "png")


def test_svg_names_measures_and_triggers_and_is_deterministic(
        chart_input: tuple[dict[str, list[tuple[int, float]]], list[tuple[int, str]]]) -> None:
    series, triggers = chart_input
    svg = progress_chart(series, MCIDS, triggers, "svg")
    text = svg.decode()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for name in ("odi (lower is better)", "nprs (lower is better)", "baseline +/- MCID (10)",
                 "soreness_beyond_48h", "no_meaningful_change"):
        assert name in text
    assert svg == progress_chart(series, MCIDS, triggers, "svg")


def test_measure_without_mcid_is_drawn_without_band() -> None:
    svg = progress_chart({"PSFS": [(1, 3.0), (3, 5.5)]}, {}, [], "svg").decode()
    assert "PSFS" in svg and "MCID" not in svg


@pytest.mark.parametrize(("series", "mcids", "fmt", "words"), [
    ({}, {}, "png", "series"),
    ({"odi": []}, {}, "svg", "series"),
    ({"odi": [(1, 40.0)]}, {"odi": (0.0, False)}, "png", "MCID"),
    ({"odi": [(1, 40.0)]}, {}, "pdf", "fmt"),
])
def test_bad_input(series: dict[str, list[tuple[int, float]]], mcids: dict[str, tuple[float, bool]],
                   fmt: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        progress_chart(series, mcids, [], fmt)  # type: ignore[arg-type]
