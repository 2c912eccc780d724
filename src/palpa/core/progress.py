"""Response to care against each measure's MCID, and the triggers to stop, re-screen or reassess.

Pure functions, no I/O. A measure's MCID and direction are passed in as
`measures_info[measure] = (mcid, higher_is_better)`; the thresholds, advice and sources of the
triggers come from `knowledge/progress.yaml` as a `ProgressRules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from palpa.core.episode import Episode, red_flag_findings

Response = Literal["improved", "no_meaningful_change", "worse"]
TRIGGER_IDS: tuple[str, ...] = (
    "new_red_flag", "serious_adverse_event", "worse_by_mcid", "soreness_beyond_48h",
    "no_meaningful_change", "medicare_progress_report")
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class TriggerRule:
    """What to do when a trigger fires, why, and the citation key behind it."""

    id: str
    what_to_do: str
    why: str
    source: str


@dataclass(frozen=True, slots=True)
class ProgressRules:
    """Trigger thresholds and texts (from progress.yaml); `rules` holds every id in TRIGGER_IDS."""

    no_change_after_visits: int
    soreness_expected_max_hours: float
    progress_report_every_visits: int
    rules: Mapping[str, TriggerRule]


@dataclass(frozen=True, slots=True)
class MeasureProgress:
    """A measure's latest score against its first (baseline) score; `change` > 0 means better."""

    measure: str
    baseline: float
    baseline_visit: int
    current: float
    current_visit: int
    change: float
    mcid: float
    higher_is_better: bool
    response: Response


@dataclass(frozen=True, slots=True)
class Trigger:
    """A reassessment trigger raised at a visit: what to do, why, and the source."""

    id: str
    visit: int
    measure: str | None
    what_to_do: str
    why: str
    source: str


def improvement(baseline: float, current: float, higher_is_better: bool) -> float:
    """Signed change from baseline, positive when the patient is better."""
    return current - baseline if higher_is_better else baseline - current


def response(baseline: float, current: float, mcid: float, higher_is_better: bool) -> Response:
    """improved if better by >= MCID, worse if worse by >= MCID, else no_meaningful_change."""
    if not mcid > 0:
        raise ValueError(f"mcid: must be more than 0, got {mcid}")
    delta = improvement(baseline, current, higher_is_better)
    if delta >= mcid - _EPS:
        return "improved"
    if delta <= -mcid + _EPS:
        return "worse"
    return "no_meaningful_change"


def measure_series(episode: Episode) -> dict[str, list[tuple[int, float]]]:
    """Each measure's (visit, score) points in visit order."""
    return {m: [(r.visit, r.score) for r in episode.results(m)] for m in episode.measure_ids()}


def measure_progress(episode: Episode, measures_info: Mapping[str, tuple[float, bool]],
                     up_to_visit: int | None = None) -> list[MeasureProgress]:
    """Progress of each measure with an MCID and 2+ scores (up to a visit, when given)."""
    out: list[MeasureProgress] = []
    for measure in episode.measure_ids():
        if measure not in measures_info:
            continue
        mcid, higher = measures_info[measure]
        results = [r for r in episode.results(measure)
                   if up_to_visit is None or r.visit <= up_to_visit]
        if len(results) < 2:
            continue
        first, last = results[0], results[-1]
        out.append(MeasureProgress(
            measure, first.score, first.visit, last.score, last.visit,
            improvement(first.score, last.score, higher), mcid, higher,
            response(first.score, last.score, mcid, higher)))
    return out


def _fmt(x: float) -> str:
    return f"{x:g}"


def reassessment_triggers(episode: Episode, measures_info: Mapping[str, tuple[float, bool]],
                          red_flag_codes: Iterable[str], rules: ProgressRules) -> list[Trigger]:
    """Every trigger raised over the episode, ordered by visit, then urgency, then measure."""
    missing = [t for t in TRIGGER_IDS if t not in rules.rules]
    if missing:
        raise ValueError(f"rules.rules: no rule for {missing}")
    flags = frozenset(red_flag_codes)
    found: list[Trigger] = []

    def add(tid: str, visit: int, measure: str | None, detail: str) -> None:
        rule = rules.rules[tid]
        found.append(Trigger(tid, visit, measure, rule.what_to_do, f"{detail} {rule.why}",
                             rule.source))

    for v in episode.visits:
        codes = red_flag_findings(v, flags)
        if codes:
            add("new_red_flag", v.number, None,
                f"New red-flag finding(s) recorded at visit {v.number}: {', '.join(codes)}.")
        for a in v.adverse_events:
            if a.severity == "serious":
                add("serious_adverse_event", v.number, None,
                    f"Serious adverse event reported at visit {v.number}: {a.description}.")
            if a.duration_hours > rules.soreness_expected_max_hours:
                add("soreness_beyond_48h", v.number, None,
                    f"Reported at visit {v.number}: {a.description} lasting "
                    f"{_fmt(a.duration_hours)} h (expected to settle within "
                    f"{_fmt(rules.soreness_expected_max_hours)} h).")
        every = rules.progress_report_every_visits
        if every > 0 and v.number % every == 0:
            add("medicare_progress_report", v.number, None,
                f"Visit {v.number} is treatment day {v.number} of the episode.")

    for measure in episode.measure_ids():
        if measure not in measures_info:
            continue
        mcid, higher = measures_info[measure]
        results = episode.results(measure)
        if len(results) < 2:
            continue
        base = results[0]
        for r in results[1:]:
            verdict = response(base.score, r.score, mcid, higher)
            detail = (f"{measure} {_fmt(base.score)} at visit {base.visit} -> {_fmt(r.score)} at "
                      f"visit {r.visit} (MCID {_fmt(mcid)}).")
            if verdict == "worse":
                add("worse_by_mcid", r.visit, measure, detail)
            elif verdict == "no_meaningful_change" and r.visit >= rules.no_change_after_visits:
                add("no_meaningful_change", r.visit, measure, detail)

    order = {t: i for i, t in enumerate(TRIGGER_IDS)}
    found.sort(key=lambda t: (t.visit, order[t.id], t.measure or ""))
    return found


def triggers_at(triggers: Iterable[Trigger], visit: int) -> list[Trigger]:
    """The triggers raised at one visit."""
    return [t for t in triggers if t.visit == visit]
